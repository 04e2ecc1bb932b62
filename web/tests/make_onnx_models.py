#!/usr/bin/python3
"""ONNX models for the web app's end-to-end import tests (web/tests/e2e.mjs),
exported by Debian's PyTorch with random weights at fixed seeds, each with a
test image and PyTorch's logits for it.

Writes into OUT_DIR:
  resnet18.onnx, resnet18.json       torchvision's ResNet-18 (weights=None, BatchNorm
                                     statistics randomised as in tests/reference/export_onnx.py),
                                     224 x 224 x 3, and its sidecar: the "imagenet" preset
  small_cnn.onnx, small_cnn.json     a small grey 28 x 28 CNN, and its sidecar: the "grey28" preset
  NAME.pixels.bin                    the test image as model pixels: H x W x C bytes (HWC order)
  NAME.logits.json                   PyTorch's logits for it (float64), preprocessed as the
                                     sidecar says: x = (byte * scale - mean) / std per channel
  upsample.onnx                      a model with an op the importer does not support (Resize)
  wide_input.onnx                    a tiny model whose 3 x 2048 x 2048 input makes its activations
                                     too large for the browser (the CLI would take it)
  index.json                         written last: the set is complete

usage: /usr/bin/python3 web/tests/make_onnx_models.py OUT_DIR
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

warnings.filterwarnings("ignore")
torch.set_num_threads(2)

IMAGENET = {"scale": 1 / 255, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
GREY28 = {"scale": 1 / 255, "mean": [0.0], "std": [1.0]}


class SmallCNN(nn.Module):
    """Grey 28 x 28, 10 classes: conv, batch norm, ReLU, max pool, conv, global average, linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


class Upsampling(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        x = F.interpolate(self.conv(x), scale_factor=2.0, mode="nearest")
        return self.fc(x.mean(dim=(2, 3)))


class WideInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(F.relu(self.conv(x)), 1).flatten(1))


def randomize_batchnorms(model, generator):
    """weights=None leaves BatchNorm as the identity; give it statistics worth folding."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(c, generator=generator) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=generator) + 0.5)


def export(model, shape, path, opset=13):
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(shape), path, opset_version=opset, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}})


def test_image(height, width, channels, seed):
    """A smooth picture with some texture (not noise alone), as HWC bytes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    planes = []
    for c in range(channels):
        a, b, p = rng.uniform(2, 9, size=3)
        planes.append(0.5 + 0.3 * np.sin(a * x * np.pi + p) * np.cos(b * y * np.pi) + 0.15 * rng.standard_normal((height, width)))
    return (np.clip(np.stack(planes, axis=-1), 0, 1) * 255).round().astype(np.uint8)


def reference_logits(model, pixels, pre):
    """PyTorch's logits in float64 for HWC bytes, preprocessed as the engine does."""
    x = pixels.astype(np.float64) * pre["scale"]
    x = (x - np.array(pre["mean"])) / np.array(pre["std"])
    x = torch.from_numpy(x.transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        return model.double()(x)[0].tolist()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    index = {}

    cases = [
        ("resnet18", lambda: torchvision.models.resnet18(weights=None), (224, 224, 3), {"preset": "imagenet", "name": "resnet18-random"}, IMAGENET),
        ("small_cnn", SmallCNN, (28, 28, 1), {"preset": "grey28", "name": "small-cnn"}, GREY28),
    ]
    for name, factory, (h, w, c), sidecar, pre in cases:
        torch.manual_seed(1234)
        model = factory()
        randomize_batchnorms(model, torch.Generator().manual_seed(99))
        model.eval()
        export(model, (1, c, h, w), os.path.join(out, name + ".onnx"))
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(sidecar, f)
        pixels = test_image(h, w, c, seed=7)
        pixels.tofile(os.path.join(out, name + ".pixels.bin"))
        logits = reference_logits(model, pixels, pre)
        with open(os.path.join(out, name + ".logits.json"), "w") as f:
            json.dump(logits, f)
        index[name] = {"onnx": name + ".onnx", "sidecar": name + ".json", "pixels": name + ".pixels.bin",
                       "logits": name + ".logits.json", "height": h, "width": w, "channels": c,
                       "classes": len(logits), "bytes": os.path.getsize(os.path.join(out, name + ".onnx"))}
        print(f"  {name}: {index[name]['bytes']} bytes, {len(logits)} classes", flush=True)

    torch.manual_seed(5)
    export(Upsampling().eval(), (1, 3, 16, 16), os.path.join(out, "upsample.onnx"))
    export(WideInput().eval(), (1, 3, 2048, 2048), os.path.join(out, "wide_input.onnx"))
    index["upsample"] = {"onnx": "upsample.onnx"}
    index["wide_input"] = {"onnx": "wide_input.onnx"}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
