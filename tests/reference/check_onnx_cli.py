#!/usr/bin/python3
"""End-to-end check of `neuronlens import`, `forward` and `grad` on the exported
reference models (tests/reference/export_onnx.py), the default models among them: each is imported
to a model folder, run from that folder and straight from the .onnx file, and
its output and input gradient compared with PyTorch's (max|a-b| / max|b| <= 1e-4);
a file that is not ONNX must fail with a message and exit code 1.

usage: /usr/bin/python3 tests/reference/check_onnx_cli.py NEURONLENS REFERENCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def relative_error(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, ref = sys.argv[1], sys.argv[2]
    cases = {c["name"]: c for c in json.load(open(os.path.join(ref, "index.json")))["cases"]}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("small_cnn", "small_branchy", "small_head", "squeezenet1_1", "fashion_vgg", "digits_vgg"):
            c = cases[name]
            onnx_path = os.path.join(ref, c["onnx"])
            config = os.path.join(tmp, name + ".json")
            with open(config, "w") as f:
                json.dump({"name": name, "input": c["config"]} if c["config"] else {"name": name}, f)
            folder = os.path.join(tmp, name)
            r = run([exe, "import", onnx_path, "--config", config, "--out", folder])
            if r.returncode != 0:
                print(f"{name}: import failed: {r.stderr}")
                failures += 1
                continue
            for model in (folder, onnx_path):
                out, grad = os.path.join(tmp, "out.npy"), os.path.join(tmp, "grad.npy")
                common = ["--model", model, "--input", os.path.join(ref, c["input"]), "--config", config]
                r1 = run([exe, "forward", *common, "--output", out])
                r2 = run([exe, "grad", *common, "--layer", c["layer"], "--channel", str(c["channel"]), "--output", grad])
                if r1.returncode or r2.returncode:
                    print(f"{name} ({model}): {r1.stderr}{r2.stderr}")
                    failures += 1
                    continue
                e_out = relative_error(np.load(out), np.load(os.path.join(ref, c["output"])))
                e_grad = relative_error(np.load(grad), np.load(os.path.join(ref, c["grad"])))
                ok = e_out <= 1e-4 and e_grad <= 1e-4
                failures += not ok
                print(f"{name:14s} {'folder' if model == folder else '.onnx ':6s} output err {e_out:.2e}  grad err {e_grad:.2e}"
                      f"  {'ok' if ok else 'FAILED'}")
        bad = os.path.join(tmp, "bad.onnx")
        with open(bad, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + bytes(100))
        r = run([exe, "import", bad, "--out", os.path.join(tmp, "bad")])
        if r.returncode != 1 or "ONNX" not in r.stderr:
            print(f"a PNG given as ONNX: exit {r.returncode}, {r.stderr!r}")
            failures += 1
        else:
            print("a PNG given as ONNX: " + r.stderr.strip())
    print(f"{'all' if not failures else failures} {'checks passed' if not failures else 'failures'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
