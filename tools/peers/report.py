#!/usr/bin/python3
"""Turns the JSON lines of `tools/bench peers` into docs/BENCHMARKS.md and docs/BENCHMARKS.json:
times, GFLOP/s, errors against PyTorch's float64 answers, ratios of NeuronLens to each
peer, and the performance issue's targets with the measured ratios.

    /usr/bin/python3 tools/peers/report.py RESULTS.jsonl --models-dir DIR --report-dir docs
        [--runs N --warmup N --load-before "a b c" --load-after "a b c"]
    /usr/bin/python3 tools/peers/report.py --from-report OLD.json --models-dir DIR --report-dir docs
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess

import numpy as np

ENGINES = {  # name -> (label, platform)
    "neuronlens-wasm": ("NeuronLens wasm (Node)", "wasm"),
    "tfjs-wasm": ("tfjs + tfjs-backend-wasm (Node)", "wasm"),
    "ort-wasm": ("onnxruntime-web, wasm EP (Node)", "wasm"),
    "neuronlens-native": ("NeuronLens native, built-in kernels", "native"),
    "neuronlens-xnnpack": ("NeuronLens native, XNNPACK forward", "native"),
    "pytorch-ref": ("PyTorch, reference BLAS", "native"),
    "pytorch-openblas": ("PyTorch, OpenBLAS", "native"),
}
OURS = ["neuronlens-wasm", "neuronlens-native", "neuronlens-xnnpack"]
PEERS = ["tfjs-wasm", "ort-wasm", "pytorch-ref", "pytorch-openblas"]
WORKLOADS = ["forward_b1", "forward_b64", "grad_b1", "train_b64"]
MODELS = ["cnn_a", "resnet18", "fashion_vgg"]
TOLERANCE = {"forward": 1e-4, "grad": 1e-4, "train": 1e-3}
NOISY_SPREAD = 1.3  # median / min above this: the runs were disturbed (another process, a thread preempted)


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        return ""


def machine_info(load_before, load_after):
    cpu = ""
    flags = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and not cpu:
            cpu = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = line.split(":", 1)[1].split()
    lscpu = sh("lscpu")
    mhz = re.search(r"CPU max MHz:\s*([\d.]+)", lscpu) or re.search(r"BogoMIPS:\s*([\d.]+)", lscpu)
    return {
        "cpu": cpu, "cores": os.cpu_count(),
        "isa": [f for f in ("avx2", "fma", "avx512f") if f in flags],
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(), "os": sh("sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"),
        "load_average_before": load_before, "load_average_after": load_after,
        "lscpu_model": (re.search(r"Model name:\s*(.*)", lscpu).group(1).strip() if "Model name" in lscpu else cpu),
    }


def versions():
    def npm(pkg):
        try:
            return json.load(open(f"tools/peers/node_modules/{pkg}/package.json"))["version"]
        except Exception:
            return "missing"

    def deb(pkg):
        return sh("dpkg-query", "-W", "-f=${Version}", pkg) or "missing"
    import torch
    import torchvision
    return {
        "neuronlens_commit": sh("git", "rev-parse", "--short=12", "HEAD") + (" (modified)" if sh("git", "status", "--porcelain", "--untracked-files=no") else ""),
        "node": sh("node", "--version"), "emscripten": (re.findall(r"\d+\.\d+\.\d+", sh("sh", "-c", "emcc --version 2>/dev/null | head -1")) or ["?"])[0],
        "g++": (re.findall(r"\d+\.\d+\.\d+", sh("sh", "-c", "g++ --version | head -1")) or ["?"])[-1],
        "@tensorflow/tfjs": npm("@tensorflow/tfjs"), "@tensorflow/tfjs-backend-wasm": npm("@tensorflow/tfjs-backend-wasm"),
        "onnxruntime-web": npm("onnxruntime-web"),
        "torch": torch.__version__, "torchvision": torchvision.__version__, "python3-torch (Debian)": deb("python3-torch"),
        "libblas3 (reference BLAS)": deb("libblas3"), "libopenblas0-pthread": deb("libopenblas0-pthread"),
        "libxnnpack0": deb("libxnnpack0"),
    }


def rel_error(a, b):
    return float(np.max(np.abs(a.astype(np.float64) - b)) / max(np.max(np.abs(b)), 1e-30))


def cross_check(r, models_dir, train_refs):
    out = r.get("output")
    if not out or not os.path.exists(out):
        return None, "no output"
    a = np.load(out)
    kind = r["workload"].split("_")[0]
    if kind == "train":
        ref = train_refs.get(r["model"])
        if ref is None:
            return None, "no reference"
        return float(np.max(np.abs(a - ref) / np.abs(ref))), "PyTorch+OpenBLAS 1 thread, float32"
    ref_path = os.path.join(models_dir, r["model"], f"ref_{r['workload']}.npy")
    if not os.path.exists(ref_path):
        return None, "no reference"
    b = np.load(ref_path)
    if a.shape != b.shape:
        return float("inf"), f"shape {a.shape} != {b.shape}"
    return rel_error(a, b), "PyTorch float64" if not (r["model"] == "resnet18" and r["workload"] == "forward_b64") else "PyTorch float32"


def fmt_ms(ms):
    return f"{ms:.3f}" if ms < 10 else (f"{ms:.2f}" if ms < 100 else f"{ms:.1f}")


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}"


def best_round(rows, key_fields, figure, pick):
    """One row per key: of the rounds that measured it, the one whose `figure` `pick` chooses
    (every engine alike); each round's figure, in round order, stays in `rounds_<figure>`."""
    by_key = {}
    for r in rows:
        by_key.setdefault(tuple(r[f] for f in key_fields), []).append(r)
    best = []
    for group in by_key.values():
        chosen = dict(pick(group, key=lambda r: r[figure]))
        chosen["rounds_" + figure] = [r[figure] for r in group]
        best.append(chosen)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="?", default=None)
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--report-dir", default="docs")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--from-report", default=None,
                    help="rewrite the report from an earlier BENCHMARKS.json (its results, machine, versions, date)")
    ap.add_argument("--note", action="append", default=[], help="a line about this run, shown under the machine")
    args = ap.parse_args()

    old = json.load(open(args.from_report)) if args.from_report else None
    if old:
        lines = old["results"] + old["gemm"] + old["rss"]
        args.runs, args.warmup, args.rounds = old["runs"], old["warmup"], old.get("rounds", 1)
    else:
        lines = [json.loads(l) for l in open(args.results) if l.strip().startswith("{")]
    model_results = best_round([r for r in lines if r.get("workload") in WORKLOADS],
                               ("engine", "model", "workload", "threads"), "median_ms", min)
    gemm = best_round([r for r in lines if r.get("workload") == "gemm"], ("name", "threads"), "gflops", max)
    rss = [r for r in lines if r.get("workload") == "rss_grad_b1"]
    specs = {}
    for m in MODELS:
        p = os.path.join(args.models_dir, m, "spec.json")
        if os.path.exists(p):
            s = json.load(open(p))
            s.pop("nodes", None)
            specs[m] = s

    train_refs = {}
    for r in model_results:
        if r["engine"] == "pytorch-openblas" and r["threads"] == 1 and r["workload"] == "train_b64" and os.path.exists(r["output"]):
            train_refs[r["model"]] = np.load(r["output"]).astype(np.float64)
    for r in model_results:
        err, against = cross_check(r, args.models_dir, train_refs)
        r["max_rel_error"], r["error_against"] = err, against
        tol = TOLERANCE[r["workload"].split("_")[0]]
        r["check"] = "ok" if err is not None and err <= tol else ("unchecked" if err is None else "MISMATCH")
        r["gflops"] = r["flops"] / (r["median_ms"] * 1e6) if r["median_ms"] > 0 else 0.0
        r["spread"] = r["median_ms"] / r["min_ms"] if r["min_ms"] > 0 else 0.0

    def find(engine, model, workload, threads):
        for r in model_results:
            if (r["engine"], r["model"], r["workload"], r["threads"]) == (engine, model, workload, threads):
                return r
        return None

    def peer_time(peer, model, workload, threads):
        """A peer's median at this thread count (tfjs-wasm: its 1-thread figure, the only one it has)."""
        r = find(peer, model, workload, threads)
        if r is None and peer == "tfjs-wasm":
            r = find(peer, model, workload, 1)
        return r["median_ms"] if r else None

    thread_counts = sorted({r["threads"] for r in model_results})
    ratios = []
    for r in model_results:
        if r["engine"] not in OURS:
            continue
        row = {"engine": r["engine"], "model": r["model"], "workload": r["workload"], "threads": r["threads"]}
        for p in PEERS:
            if (ENGINES[r["engine"]][1] == "wasm") != (ENGINES[p][1] == "wasm"):
                continue  # wasm against wasm, native against native
            t = peer_time(p, r["model"], r["workload"], r["threads"])
            row[p] = r["median_ms"] / t if t else None
        ratios.append(row)

    # ---- the targets ----
    targets = []

    def target(name, case, value, goal, op="<="):
        met = None if value is None else (value <= goal if op == "<=" else value >= goal)
        targets.append({"target": name, "case": case, "measured": value, "goal": f"{op} {goal}", "met": met})

    for t in thread_counts:
        for model, workload in (("cnn_a", "forward_b1"), ("cnn_a", "forward_b64"), ("resnet18", "forward_b1"),
                                ("fashion_vgg", "forward_b1"), ("fashion_vgg", "forward_b64")):
            ours = find("neuronlens-wasm", model, workload, t)
            peers = [x for x in (peer_time(p, model, workload, t) for p in ("tfjs-wasm", "ort-wasm")) if x]
            # The issue names CNN A and ResNet-18; the clothing model is held to the same bar.
            name = "wasm forward / fastest wasm peer" + ("" if model != "fashion_vgg" else " (beyond the issue's list)")
            target(name, f"{model} {workload}, {t} thread(s)",
                   ours["median_ms"] / min(peers) if ours and peers else None, 0.9)
        for model in MODELS:
            ours = find("neuronlens-wasm", model, "grad_b1", t)
            tfjs = peer_time("tfjs-wasm", model, "grad_b1", t)
            fwd = find("neuronlens-wasm", model, "forward_b1", t)
            target("wasm input gradient / tfjs-wasm", f"{model} grad_b1, {t} thread(s) (tfjs: 1 thread)",
                   ours["median_ms"] / tfjs if ours and tfjs else None, 0.2)
            target("wasm input gradient / own wasm forward", f"{model} batch 1, {t} thread(s)",
                   ours["median_ms"] / fwd["median_ms"] if ours and fwd else None, 3.0)
        for model in MODELS:
            for workload in WORKLOADS:
                peer = find("pytorch-openblas", model, workload, t)
                if not peer:
                    continue
                for engine in ("neuronlens-native", "neuronlens-xnnpack"):
                    ours = find(engine, model, workload, t)
                    if ours:
                        target(f"native / PyTorch+OpenBLAS ({'built-in' if engine.endswith('native') else 'XNNPACK forward'})",
                               f"{model} {workload}, {t} thread(s)", ours["median_ms"] / peer["median_ms"], 1.0)
    gemm_rows = []
    for r in gemm:
        gemm_rows.append(r)
    square = [r for r in gemm if "512x512x512" in r["name"] and "wasmsimd" in r["name"]]
    g1 = max((r["gflops"] for r in square if r["threads"] == 1), default=None)
    g2 = max((r["gflops"] for r in square if r["threads"] == 2), default=None)
    target("wasm GEMM GFLOP/s per core", "512x512x512, 1 thread", g1, 34, ">=")
    target("wasm GEMM 2-thread speed-up", "512x512x512", g2 / g1 if g1 and g2 else None, 1.7, ">=")
    for conv_shape in ("3136x64x576", "3136x576x64", "64x576x3136"):
        rows = [r for r in gemm if conv_shape in r["name"] and "wasmsimd" in r["name"]]
        a = max((r["gflops"] for r in rows if r["threads"] == 1), default=None)
        b = max((r["gflops"] for r in rows if r["threads"] == 2), default=None)
        target("wasm GEMM GFLOP/s per core", f"{conv_shape} (3x3 conv 64->64 on 56x56), 1 thread", a, 34, ">=")
        target("wasm GEMM 2-thread speed-up", f"{conv_shape}", b / a if a and b else None, 1.7, ">=")
    for r in rss:
        need = r["weight_bytes"] + r["activation_bytes"]
        r["step_ratio"] = r["step_peak_rss_bytes"] / need
        r["process_ratio"] = r["peak_rss_bytes"] / need
        target("peak RSS / (weights + activations)", f"ResNet-18 grad_b1 natively, {r['threads']} thread(s), during the step",
               r["step_ratio"], 1.5)
        target("peak RSS / (weights + activations)", f"ResNet-18 grad_b1 natively, {r['threads']} thread(s), whole process (incl. ONNX import)",
               r["process_ratio"], 1.5)

    machine = machine_info(args.load_before, args.load_after)
    vers = versions()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if old:
        machine, vers, now = old["machine"], old["versions"], old["generated"]
    os.makedirs(args.report_dir, exist_ok=True)
    notes = (old.get("run_notes", []) if old else []) + args.note
    report = {"generated": now, "run_notes": notes, "command": "tools/bench peers", "runs": args.runs, "warmup": args.warmup, "rounds": args.rounds,
              "machine": machine, "versions": vers, "models": specs, "results": model_results, "ratios": ratios,
              "targets": targets, "gemm": gemm_rows, "rss": rss}
    with open(os.path.join(args.report_dir, "BENCHMARKS.json"), "w") as f:
        json.dump(report, f, indent=1, default=float)
        f.write("\n")

    md = []
    w = md.append
    w("# Benchmarks: NeuronLens against its peers\n")
    w(f"Generated by `tools/bench peers` on {now} (NeuronLens {vers['neuronlens_commit']}); the same figures, "
      "with every field, are in [BENCHMARKS.json](BENCHMARKS.json), to compare runs over time. "
      f"Each figure: a warm-up of at least {args.warmup} runs and at least 1 s (V8 starts wasm code on its baseline "
      f"compiler), then the **median** (and minimum) of {args.runs} timed runs, "
      "in milliseconds; GFLOP/s = counted FLOPs / median time."
      + (f" The whole set of engines ran {args.rounds} times, one round after another; each row is the round "
         "with the lowest median (the highest GFLOP/s for the GEMM kernels), chosen the same way for every engine, "
         "so that a burst of load from elsewhere spoils a round rather than a ratio; every round's figure is in "
         "the JSON (`rounds_median_ms`)." if args.rounds > 1 else "") + "\n")
    w("## Machine and versions\n")
    w(f"- CPU: {machine['lscpu_model']}, {machine['cores']} cores ({', '.join(machine['isa'])}), "
      f"{machine['memory_gib']} GiB; {machine['os']}, Linux {machine['kernel']}")
    w(f"- Load average (1, 5, 15 min) before: {machine['load_average_before']}; after: {machine['load_average_after']}")
    for n in notes:
        w(f"- This run: {n}")
    w("- " + "; ".join(f"{k} {v}" for k, v in vers.items() if k != "neuronlens_commit") + "\n")
    w("## Models and workloads\n")
    w("| model | input | parameters | GFLOP per image (forward) | GFLOP to the last conv stage | gradient target | weights |")
    w("|---|---|---|---|---|---|---|")
    for m, s in specs.items():
        w(f"| {m} | {'x'.join(map(str, s['input_chw']))} (CxHxW) | {s['parameters']:,} | {s['flops_per_image'] / 1e9:.3f} | "
          f"{s['flops_to_target_per_image'] / 1e9:.3f} | `{s['grad_target_onnx']}`, channel {s['grad_channel']} | {s['weights_source']} |")
    w("")
    w("Workloads: `forward_b1`, `forward_b64` (logits of a batch); `grad_b1` (the input gradient of the mean of one "
      "channel of the last conv stage's output, after its ReLU, at batch 1: forward up to that stage and back; "
      "counted as 2x the forward FLOPs up to it); `train_b64` (one SGD step, lr 0.01, softmax cross-entropy, labels "
      "`i % 10`: forward, backward with weight gradients, update; counted as 3x the forward FLOPs; native engines "
      "only). Every engine runs the deploy graph (BatchNorm folded into the convolutions, no dropout), exported once "
      "from PyTorch with fixed seeds by `tools/peers/export_models.py`: NeuronLens imports the ONNX file, "
      "onnxruntime-web runs it, tfjs builds the graph from the same weights in its layouts (`spec.json`, "
      "`weights.bin`), PyTorch loads the state dict. Inputs are seeded normal values, already preprocessed.\n")
    w("Errors: max |a - b| / max |b| against PyTorch's float64 answer (ResNet-18 at batch 64: float32); for "
      "`train_b64`, the first step's loss and first-conv weight-gradient norm against PyTorch + OpenBLAS (1 thread). "
      f"Tolerances: {TOLERANCE['forward']:g} (forward, gradient), {TOLERANCE['train']:g} (training step).\n")

    w("## Results\n")
    for m in MODELS:
        rows = [r for r in model_results if r["model"] == m]
        if not rows:
            continue
        w(f"### {m}\n")
        w("| workload | engine | threads | median ms | min ms | median/min | GFLOP/s | max rel. error | check |")
        w("|---|---|---|---|---|---|---|---|---|")
        order = list(ENGINES)
        rows.sort(key=lambda r: (WORKLOADS.index(r["workload"]), order.index(r["engine"]) if r["engine"] in order else 99, r["threads"]))
        for r in rows:
            err = "-" if r["max_rel_error"] is None else f"{r['max_rel_error']:.1e}"
            label = ENGINES.get(r["engine"], (r["engine"],))[0]
            spread = f"{r['spread']:.2f}" + (" (noisy)" if r["spread"] > NOISY_SPREAD else "")
            w(f"| {r['workload']} | {label} | {r['threads']} | {fmt_ms(r['median_ms'])} | {fmt_ms(r['min_ms'])} | "
              f"{spread} | {r['gflops']:.1f} | {err} | {r['check']} |")
        w("")

    w("## Ratios: NeuronLens time / peer time\n")
    w("Median against median, at the same thread count (below 1: NeuronLens is faster). WebAssembly engines are "
      "compared with WebAssembly peers, native with native. tfjs-wasm has only single-threaded figures (see the "
      "notes), so the 2-thread rows divide by its 1-thread time.\n")
    w("| model | workload | threads | NeuronLens engine | / tfjs-wasm | / ort-wasm | / PyTorch ref. BLAS | / PyTorch OpenBLAS |")
    w("|---|---|---|---|---|---|---|---|")
    ratios.sort(key=lambda r: (MODELS.index(r["model"]), WORKLOADS.index(r["workload"]), r["threads"], OURS.index(r["engine"])))
    for r in ratios:
        w(f"| {r['model']} | {r['workload']} | {r['threads']} | {r['engine']} | "
          + " | ".join(fmt_ratio(r.get(p)) for p in PEERS) + " |")
    w("")

    w("## Targets of the performance issue\n")
    w("Each target of the performance issue as this run measured it; `no` marks one not met yet.\n")
    w("| target | case | measured | goal | met |")
    w("|---|---|---|---|---|")
    for t in targets:
        v = "-" if t["measured"] is None else f"{t['measured']:.2f}"
        met = "-" if t["met"] is None else ("yes" if t["met"] else "no")
        w(f"| {t['target']} | {t['case']} | {v} | {t['goal']} | {met} |")
    w("")
    if gemm_rows:
        w("## WebAssembly GEMM kernels (neuronlens_bench gemm under Node)\n")
        w("| kernel / shape | threads | GFLOP/s | ms (fastest run) |")
        w("|---|---|---|---|")
        for r in sorted(gemm_rows, key=lambda r: (r["name"], r["threads"])):
            w(f"| {r['name']} | {r['threads']} | {r['gflops']:.1f} | {r['ms']:.3f} |")
        w("")
    if rss:
        w("## Memory: ResNet-18's input-gradient step, natively\n")
        w("What the step must hold: the weights, and the value of every node up to the last conv stage at batch 1 "
          "(the backward pass reads them). The step's peak is measured after resetting the high-water mark once "
          "the model is loaded (`/proc/self/clear_refs`); the process's peak includes the ONNX import.\n")
        w("| threads | weights MB | activations MB | step peak RSS MB | ratio | process peak RSS MB | ratio |")
        w("|---|---|---|---|---|---|---|")
        for r in rss:
            w(f"| {r['threads']} | {r['weight_bytes'] / 1e6:.1f} | {r['activation_bytes'] / 1e6:.1f} | "
              f"{r['step_peak_rss_bytes'] / 1e6:.1f} | {r['step_ratio']:.2f} | {r['peak_rss_bytes'] / 1e6:.1f} | {r['process_ratio']:.2f} |")
        w("")
    w("## Notes\n")
    w("- tfjs-backend-wasm 4.22.0 turns its multithreaded build off under Node (`WASM_HAS_MULTITHREAD_SUPPORT` "
      "is false whenever `IS_NODE`), so only 1-thread tfjs figures exist. Forcing the flag fails at once (its "
      "pthread workers are `blob:` URLs, which Node's worker_threads refuse); serving them as files instead, the "
      "threaded module and its workers do load (`tfjs_bench.mjs --threads 2` does this), but XNNPACK's thread pool "
      "inside still reports one thread, so the script reports no 2-thread figure.")
    w("- PyTorch's BLAS is chosen per run with `LD_LIBRARY_PATH` (Debian's reference BLAS in "
      "`/usr/lib/x86_64-linux-gnu/blas`, or OpenBLAS in `.../openblas-pthread`), with `OMP_NUM_THREADS` and "
      "`OPENBLAS_NUM_THREADS` set to the thread count; the system's BLAS alternative is left as it is. The library "
      "actually mapped is recorded per result in the JSON (`blas`). PyTorch's convolutions go through oneDNN for "
      "batches above 1 and through im2col + BLAS for small single images, which is where the reference BLAS costs most.")
    w("- NeuronLens natively: `neuronlens-native` runs every op on the built-in kernels; `neuronlens-xnnpack` runs "
      "the forward pass through Debian's XNNPACK (ReLUs fused for `forward_*`, not fused for `grad_b1`; a "
      "convolution whose weight is over 512 KB runs as slices of its output channels, side by side with 2 threads) "
      "and the backward pass through the ops (pthreadpool's spinning workers are sent to sleep first, so they leave "
      "the cores to the ops). The training step uses the built-in kernels only.")
    w("- ResNet-18 runs at batch 1 by default (`--resnet-batch64` adds batch 64 and its training step natively; "
      "the wasm build's fixed 1 GiB heap cannot hold its activations at batch 64).")
    w("- The machine may be shared: compare the load averages above. A median well above the minimum "
      f"(median/min > {NOISY_SPREAD}, marked noisy) means the runs were disturbed; 2-thread runs of engines whose "
      "threads spin while they wait (OpenMP, OpenBLAS, pthreadpool) suffer most when any other process wants a core; "
      "NeuronLens's pool polls for only 50 us after a task (between the ops of one pass) and then sleeps; its "
      "caller runs the chunks a late worker has not started, but a worker preempted in the middle of its chunk "
      "still holds up the op, so its 2-thread runs suffer on a busy machine too.")
    with open(os.path.join(args.report_dir, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    bad = [r for r in model_results if r["check"] == "MISMATCH"]
    print(f"report: {len(model_results)} results, {len(bad)} mismatches -> {args.report_dir}/BENCHMARKS.md, BENCHMARKS.json")
    for r in bad:
        print(f"  MISMATCH {r['engine']} {r['model']} {r['workload']} t{r['threads']}: {r['max_rel_error']}")


if __name__ == "__main__":
    main()
