#!/usr/bin/python3
"""PyTorch (Debian's, CPU) as a peer of `tools/bench peers`: times the workloads on the
models export_models.py wrote, with the weights and inputs it wrote.

    /usr/bin/python3 tools/peers/torch_bench.py MODELS_DIR --engine NAME --threads N
        [--models cnn_a,resnet18,fashion_vgg] [--workloads forward_b1,forward_b64,grad_b1,train_b64]
        [--runs 20] [--warmup 3]

Which BLAS PyTorch uses is chosen by the caller (tools/bench runs this script with
LD_LIBRARY_PATH pointing at Debian's reference BLAS or at OpenBLAS); the script reports
the library it finds mapped, so a mislabelled run shows. Set OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS to N before starting Python (the caller does).

Prints one JSON line per (model, workload) on stdout and writes each result's output to
MODELS_DIR/<model>/out/<engine>_t<N>_<workload>.npy for the cross-check:
  forward_bB   logits [B, classes]
  grad_b1      d mean(y[:, k]) / d input, N x C x H x W, y = the last conv stage
  train_b64    [loss, |d loss / d first conv weight|] of the first SGD step
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models  # noqa: E402  (the architectures)

LEARNING_RATE = 0.01


def build(name):
    if name == "cnn_a":
        model, target_index = export_models.cnn_a()
        trunk = torch.nn.Sequential(*list(model)[:target_index + 1])
    elif name == "fashion_vgg":
        model, target_index, _ = export_models.fashion_vgg(None)
        trunk = torch.nn.Sequential(*list(model)[:target_index + 1])
    elif name == "resnet18":
        model = export_models.resnet18()
        trunk = export_models.resnet_trunk(model)
    else:
        raise SystemExit(f"torch_bench: unknown model {name}")
    return model, trunk


def time_runs(fn, runs, warmup):
    # Warm-up: at least `warmup` calls and at least 1 s, as every engine of tools/bench peers does.
    start = time.perf_counter()
    i = 0
    while i < warmup or time.perf_counter() - start < 1.0:
        fn()
        i += 1
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), min(times)


def blas_library():
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() and "/" in line})
    return ["/".join(l.split("/")[-2:]) for l in libs]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models_dir")
    ap.add_argument("--engine", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models", default="cnn_a,resnet18,fashion_vgg")
    ap.add_argument("--workloads", default="forward_b1,forward_b64,grad_b1,train_b64")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    workloads = args.workloads.split(",")
    blas = blas_library()
    for name in args.models.split(","):
        folder = os.path.join(args.models_dir, name)
        if not os.path.exists(os.path.join(folder, "spec.json")):
            continue
        spec = json.load(open(os.path.join(folder, "spec.json")))
        model, trunk = build(name)
        model.load_state_dict(torch.load(os.path.join(folder, "state.pt")))
        os.makedirs(os.path.join(folder, "out"), exist_ok=True)
        for workload in workloads:
            kind, batch = workload.split("_b")
            batch = int(batch)
            input_path = os.path.join(folder, f"input_b{batch}.npy")
            if not os.path.exists(input_path):
                continue
            x = torch.from_numpy(np.load(input_path))
            out_path = os.path.join(folder, "out", f"{args.engine}_t{args.threads}_{workload}.npy")
            if kind == "forward":
                model.eval()
                for p in model.parameters():
                    p.requires_grad_(False)
                with torch.no_grad():
                    np.save(out_path, model(x).numpy())

                    def step():
                        model(x)
                    median, best = time_runs(step, args.runs, args.warmup)
                flops = spec["flops_per_image"] * batch
            elif kind == "grad":
                for p in model.parameters():
                    p.requires_grad_(False)  # only the input's gradient is wanted

                def step():
                    xi = x.clone().requires_grad_(True)
                    trunk(xi)[:, spec["grad_channel"]].mean().backward()
                    return xi.grad
                np.save(out_path, step().numpy())
                median, best = time_runs(step, args.runs, args.warmup)
                flops = 2 * spec["flops_to_target_per_image"] * batch
            elif kind == "train":
                model.load_state_dict(torch.load(os.path.join(folder, "state.pt")))
                for p in model.parameters():
                    p.requires_grad_(True)
                model.train()
                labels = torch.arange(batch) % spec["classes"]
                opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
                first_conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))

                def step():
                    opt.zero_grad(set_to_none=False)
                    loss = F.cross_entropy(model(x), labels)
                    loss.backward()
                    opt.step()
                    return loss.item()
                loss = step()
                np.save(out_path, np.array([loss, float(first_conv.weight.grad.norm())], dtype=np.float64))
                median, best = time_runs(step, args.runs, args.warmup)
                flops = 3 * spec["flops_per_image"] * batch
                model.load_state_dict(torch.load(os.path.join(folder, "state.pt")))
            else:
                raise SystemExit(f"torch_bench: unknown workload {workload}")
            print(json.dumps({"engine": args.engine, "platform": "native", "model": name, "workload": workload,
                              "threads": args.threads, "runs": args.runs, "median_ms": round(median, 4),
                              "min_ms": round(best, 4), "flops": flops, "output": out_path,
                              "blas": blas}), flush=True)


if __name__ == "__main__":
    main()
