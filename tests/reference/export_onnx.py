#!/usr/bin/python3
"""Exports ONNX models with Debian's PyTorch for the [onnx] tests, and PyTorch's
answers for them.

For each case it writes, into OUT_DIR:
  NAME.onnx          the model, exported by torch.onnx.export (random weights, fixed seeds)
  NAME.input.npy     a float32 input batch, N x C x H x W
  NAME.output.npy    PyTorch's output for it (computed in float64, stored as float32)
  NAME.grad.npy      d mean(layer[:, channel]) / d input, N x C x H x W (float64 -> float32)
and finally index.json listing the cases (written last: its presence means the set is complete).

Cases: torchvision's resnet18, vgg11_bn, mobilenet_v2, squeezenet1_1, alexnet,
googlenet and densenet121 (weights=None, 224 x 224), three small CNNs that
cover the remaining ops and older opsets (Pad, MatMul, Clip by attribute,
Squeeze/Unsqueeze, Softmax, unfoldable BatchNorm, dynamic batch and size), and
the default models of assets/models (trained; rebuilt in PyTorch from model.json
and weights.safetensors by neuronlens_model.py), whose entries also name the
model folder ("native_model", relative to the repository) for the round trip
native -> ONNX -> imported.
The layer of each gradient is a module's output; its ONNX tensor is the
output of the last ONNX node in the module's scope (torch 1.13 names nodes
"/features/features.7/Relu").

usage: /usr/bin/python3 tests/reference/export_onnx.py OUT_DIR [NAME ...]
"""
import copy
import hashlib
import json
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

import neuronlens_model

warnings.filterwarnings("ignore")
torch.set_num_threads(2)


# ---- small models ---------------------------------------------------------------------------

class SmallCNN(nn.Module):
    """Grey 28 x 28. Input normalisation (Sub, Div), Conv+BN (fused by the
    exporter), per-channel Mul/Add (folded), LeakyReLU, an asymmetric Pad (folded
    into the next conv), HardSwish, MaxPool with ceil_mode, a dilated depthwise
    conv, a constant Mul after Sigmoid, HardSigmoid, AvgPool without
    count_include_pad, x.view(x.size(0), -1) (Shape/Gather/Concat/Reshape),
    Gemm, Tanh, Dropout, MatMul + Add, Clip with min/max inputs."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8, eps=1e-3)
        self.register_buffer("scale", torch.rand(1, 8, 1, 1) + 0.5)
        self.register_buffer("shift", torch.randn(8, 1, 1) * 0.1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.dw = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16)
        self.pw = nn.Conv2d(16, 12, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(12)
        self.fc1 = nn.Linear(12 * 5 * 5, 32)
        self.w2 = nn.Parameter(torch.randn(32, 10) * 0.3)
        self.b2 = nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        x = (x - 0.5) / 0.25
        x = self.bn1(self.conv1(x))
        x = x * self.scale + self.shift
        x = F.leaky_relu(x, 0.1)
        x = F.pad(x, (0, 1, 1, 0))
        x = F.hardswish(self.conv2(x))
        x = F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True)
        x = torch.sigmoid(self.dw(x)) * 1.5
        x = F.hardsigmoid(self.bn2(self.pw(x)))
        x = F.avg_pool2d(x, 2, padding=1, count_include_pad=False)
        x = x.view(x.size(0), -1)
        x = torch.tanh(self.fc1(x))
        x = F.dropout(x, 0.3, self.training)
        x = torch.matmul(x, self.w2) + self.b2
        return torch.clamp(x, -3.0, 3.0)


class SmallBranchy(nn.Module):
    """RGB 32 x 32, opset 9. ReLU6 (Clip by attribute), branches joined by
    Concat, BatchNorm after the Concat (a real BatchNorm op), a residual Add, a
    Pad before MaxPool (kept as zero padding), LeakyReLU, AvgPool counting its
    padding, GlobalAveragePool -> Squeeze -> Unsqueeze -> Flatten -> Gemm, a
    flattened map -> BatchNorm1d -> Gemm (both permuted from C,H,W to H,W,C
    order), and the sum of two heads."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 6, 3, padding=1)
        self.c3 = nn.Conv2d(8, 4, 1)
        self.bn = nn.BatchNorm2d(10)
        self.c4 = nn.Conv2d(10, 10, 3, padding=1)
        self.fc = nn.Linear(10, 10)
        self.bn1d = nn.BatchNorm1d(10 * 9 * 9)
        self.fc2 = nn.Linear(10 * 9 * 9, 10)

    def forward(self, x):
        a = F.relu6(self.c1(x))
        x = torch.cat([self.c2(a), self.c3(a)], 1)
        x = self.bn(x)
        x = x + self.c4(x)
        x = F.pad(x, (1, 1, 1, 1))
        x = F.max_pool2d(x, 2)
        x = F.leaky_relu(x, 0.2)
        x = F.avg_pool2d(x, 3, stride=2, padding=1)
        y = F.adaptive_avg_pool2d(x, 1).squeeze(3).squeeze(2)
        y = torch.flatten(y.unsqueeze(2).unsqueeze(3), 1)
        z = self.fc(y)
        w = self.fc2(self.bn1d(torch.flatten(x, 1)))
        return z + w


class SmallHead(nn.Module):
    """Grey 16 x 16, opset 7. Tanh, a Pad absorbed by the AvgPool that follows
    (count_include_pad), Reshape with a constant shape, Gemm, LeakyReLU, Sigmoid,
    Mul and Sub by scalars (a Scale and an affine op), Softmax over the classes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 5, 5, stride=1)
        self.fc = nn.Linear(5 * 6 * 6, 20)
        self.fc2 = nn.Linear(20, 16)
        self.fc3 = nn.Linear(16, 4)

    def forward(self, x):
        x = torch.tanh(self.conv(x))
        x = F.pad(x, (2, 0, 0, 2))
        x = F.avg_pool2d(x, 3, stride=2)
        x = x.reshape(-1, 5 * 6 * 6)
        x = F.leaky_relu(self.fc(x), 0.05)
        x = torch.sigmoid(self.fc2(x)) * 2 - 1
        return F.softmax(self.fc3(x), dim=1)


# ---- the cases --------------------------------------------------------------------------------

def torchvision_model(name, **kwargs):
    return lambda: getattr(torchvision.models, name)(weights=None, **kwargs)


# name, model factory, input N x C x H x W, opset, gradient layer (module path), channel,
# dynamic axes of the input, config the importer needs (dynamic sizes)
CASES = [
    ("resnet18", torchvision_model("resnet18"), (2, 3, 224, 224), 17, "layer3", 7, {0: "batch"}, {}),
    ("vgg11_bn", torchvision_model("vgg11_bn"), (1, 3, 224, 224), 11, "features.10", 5, None, {}),
    ("mobilenet_v2", torchvision_model("mobilenet_v2"), (1, 3, 224, 224), 13, "features.6", 3, None, {}),
    ("squeezenet1_1", torchvision_model("squeezenet1_1"), (2, 3, 224, 224), 10, "features.7", 11, {0: "batch"}, {}),
    ("alexnet", torchvision_model("alexnet"), (1, 3, 224, 224), 7, "features.7", 2, None, {}),
    # init_weights=False: PyTorch's default initialisation. GoogLeNet's own (truncated normal,
    # std 0.01) makes activations vanish with depth, and the input gradient so ill-conditioned
    # that PyTorch's float32 and float64 answers differ by 6%.
    ("googlenet", torchvision_model("googlenet", aux_logits=False, init_weights=False), (1, 3, 224, 224), 12,
     "inception3b", 40, None, {}),
    ("densenet121", torchvision_model("densenet121"), (1, 3, 224, 224), 14, "features.denseblock2", 100, None, {}),
    ("small_cnn", SmallCNN, (3, 1, 28, 28), 14, "dw", 5, {0: "batch", 2: "height", 3: "width"},
     {"height": 28, "width": 28}),
    ("small_branchy", SmallBranchy, (1, 3, 32, 32), 9, "c4", 4, None, {}),
    ("small_head", SmallHead, (1, 1, 16, 16), 7, "fc2", 6, None, {}),
]


# The default models: name, folder under assets/models, input N x C x H x W, opset, gradient
# layer (a model.json node: the last convolution stage's ReLU), channel.
REPOSITORY = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
DEFAULT_MODELS = [
    ("fashion_vgg", "fashion-vgg", (4, 1, 28, 28), 13, "conv5_relu", 5),
    ("digits_vgg", "digits-vgg", (4, 1, 28, 28), 13, "conv5_relu", 5),
]


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


def count_near_ties(x, pool, tolerance):
    """Max-pool windows whose two largest values differ by less than tolerance times the
    largest (but are not equal): float32 rounding may pick either, and the gradient then flows
    to another position. Exact ties (zeros after a ReLU, values repeated by an
    overlapping pool) reach the same answer either way."""
    pair = lambda v: v if isinstance(v, tuple) else (v, v)
    k, s, p = pair(pool.kernel_size), pair(pool.stride), pair(pool.padding)
    out_h, out_w = F.max_pool2d(x, k, s, p, ceil_mode=pool.ceil_mode).shape[2:]
    padded = F.pad(x, (p[1], p[1] + s[1], p[0], p[0] + s[0]), value=-float("inf"))
    windows = F.unfold(padded, k, stride=s)
    n, c = x.shape[:2]
    rows, cols = (padded.shape[2] - k[0]) // s[0] + 1, (padded.shape[3] - k[1]) // s[1] + 1
    windows = windows.view(n, c, k[0] * k[1], rows, cols)[:, :, :, :out_h, :out_w]
    top = windows.topk(2, dim=2).values
    gap = top[:, :, 0] - top[:, :, 1]
    return int(((gap > 0) & (gap < tolerance * top[:, :, 0].abs())).sum())


class _ReachedLayer(Exception):
    pass


def choose_input(model64, shape, uniform, layer, tries=12, tolerance=1e-6, transform=lambda x: x):
    """Gradients through ReLU and max-pooling jump where a ReLU's input crosses 0 or a
    pool's two largest values swap: an input within float32 rounding of such a kink may
    fall on either side in a float32 engine (or in PyTorch's own float32), and the
    gradient then differs locally by percents. Among a few seeded inputs, take the
    first without near-kinks on the way to the gradient's layer (ReLU inputs, or
    BatchNorm outputs, which functional ReLUs read, within `tolerance` of 0 relative to
    the tensor's largest value; max-pool windows whose two largest values differ by less
    than `tolerance` of the largest), else the one with the fewest.
    The input is transform(the random draw).
    Returns (input, seed, near-kinks)."""
    counts = []

    def relu_near_zero(module, inputs):
        x = inputs[0]
        counts.append(int((x.abs() < tolerance * x.abs().max()).sum()))

    def stop(module, inputs, output):
        raise _ReachedLayer()  # later layers do not affect the gradient

    hooks = [model64.get_submodule(layer).register_forward_hook(stop)]
    for m in model64.modules():
        if isinstance(m, nn.MaxPool2d):
            hooks.append(m.register_forward_hook(lambda m, i, o: counts.append(count_near_ties(i[0], m, tolerance))))
        elif isinstance(m, (nn.ReLU, nn.ReLU6)):
            hooks.append(m.register_forward_pre_hook(relu_near_zero))  # before an in-place ReLU overwrites it
        elif isinstance(m, nn.BatchNorm2d):
            hooks.append(m.register_forward_hook(lambda m, i, o: relu_near_zero(m, (o,))))
    best = None
    for seed in range(7, 7 + tries):
        generator = torch.Generator().manual_seed(seed)
        x = torch.rand(*shape, generator=generator) if uniform else torch.randn(*shape, generator=generator)
        x = transform(x)
        counts.clear()
        try:
            with torch.no_grad():
                model64(x.double())
        except _ReachedLayer:
            pass
        kinks = sum(counts)
        if best is None or kinks < best[2]:
            best = (x, seed, kinks)
        if kinks == 0:
            break
    for h in hooks:
        h.remove()
    return best


def layer_tensor(onnx_model, module_path):
    """The output tensor of the last node in the module's scope, e.g. '/layer3/...'."""
    # A child of a Sequential is scoped "features.7", a named child "denseblock2".
    parts = module_path.split(".")
    scopes = [parts[i] if not parts[i].isdigit() else ".".join(parts[: i + 1]) for i in range(len(parts))]
    prefix = "/" + "/".join(scopes) + "/"
    nodes = [n for n in onnx_model.graph.node if n.name.startswith(prefix)]
    if not nodes:
        raise RuntimeError(f"no ONNX node in scope {prefix}")
    return nodes[-1].output[0], nodes[-1].name


def save(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def export_case(out_dir, case):
    name, factory, shape, opset, layer, channel, dynamic, config = case
    start = time.time()
    torch.manual_seed(1234)
    generator = torch.Generator().manual_seed(99)
    model = factory()
    randomize_batchnorms(model, generator)
    model.eval()
    # The reference, in float64 on a copy of the same weights.
    model64 = copy.deepcopy(model).double()
    x, seed, ties = choose_input(model64, shape, uniform=name.startswith("small"), layer=layer)
    return export_with_reference(out_dir, name, model, model64, x, opset, layer, channel, dynamic,
                                 {"config": config, "input_seed": seed, "near_kinks": ties}, start)


def export_with_reference(out_dir, name, model, model64, x, opset, layer, channel, dynamic, extra, start):
    """Exports `model` (float32) to NAME.onnx, and saves x and the float64 twin's output and
    input gradient; returns the case's index entry (with `extra` merged in)."""
    onnx_path = os.path.join(out_dir, name + ".onnx")
    kwargs = {"dynamic_axes": {"input": dynamic}} if dynamic else {}
    with torch.no_grad():
        torch.onnx.export(model, x, onnx_path, opset_version=opset, input_names=["input"], output_names=["output"],
                          do_constant_folding=True, **kwargs)
    tensor, node_name = layer_tensor(onnx.load(onnx_path), layer)

    captured = {}
    module = model64.get_submodule(layer)
    module.register_forward_hook(lambda m, i, o: captured.__setitem__("out", o))
    x64 = x.double().requires_grad_(True)
    output = model64(x64)
    act = captured["out"]
    act[:, channel].mean().backward()
    if x64.grad is None or not x64.grad.abs().max() > 0:
        raise RuntimeError(f"{name}: channel {channel} of {layer} does not depend on the input; pick another")

    save(os.path.join(out_dir, name + ".input.npy"), x.numpy())
    save(os.path.join(out_dir, name + ".output.npy"), output.detach().numpy())
    save(os.path.join(out_dir, name + ".grad.npy"), x64.grad.numpy())
    print(f"  {name}: opset {opset}, layer {layer} -> {node_name}, input seed {extra['input_seed']} "
          f"({extra['near_kinks']} near-kinks), {time.time() - start:.1f} s", flush=True)
    entry = {"name": name, "onnx": name + ".onnx", "opset": opset, "input": name + ".input.npy",
            "output": name + ".output.npy", "grad": name + ".grad.npy", "layer": tensor, "layer_node": node_name,
            "layer_shape": list(act.shape), "channel": channel, "config": extra["config"],
            "onnx_bytes": os.path.getsize(onnx_path), "input_seed": extra["input_seed"],
            "near_kinks": extra["near_kinks"]}
    entry.update({k: v for k, v in extra.items() if k not in entry})
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(entry, f, indent=1)
    return entry


def export_default_model(out_dir, case):
    """A trained model of assets/models, rebuilt in PyTorch as a PyTorch user would write it
    (torch.flatten in C, H, W order, the first Dense's columns permuted to match), on random
    images (pixels uniform in [0, 1], then the model's own preprocessing)."""
    name, folder, shape, opset, layer, channel = case
    start = time.time()
    spec, weights = neuronlens_model.read_model(os.path.join(REPOSITORY, "assets/models", folder))
    model = neuronlens_model.NeuronLensNet(spec, weights, flatten="chw")
    model64 = copy.deepcopy(model).double()
    x, seed, ties = choose_input(model64, shape, uniform=True, layer=layer,
                                 transform=lambda pixels: neuronlens_model.preprocess(spec, pixels))
    # The exported form computes what the engine's graph computes (its H, W, C flatten, literally).
    engine_form = neuronlens_model.NeuronLensNet(spec, weights, flatten="hwc").double()
    with torch.no_grad():
        a, b = model64(x.double()), engine_form(x.double())
    if not (a - b).abs().max() <= 1e-9 * b.abs().max():
        raise RuntimeError(f"{name}: the C, H, W form differs from the engine's: {(a - b).abs().max():.3g}")
    return export_with_reference(out_dir, name, model, model64, x, opset, neuronlens_model.module_name(layer),
                                 channel, {0: "batch"},
                                 {"config": {}, "input_seed": seed, "near_kinks": ties,
                                  "native_model": "assets/models/" + folder, "native_layer": layer}, start)


def sources_hash():
    """What the exported set depends on: this script, neuronlens_model.py, the default models' files."""
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.abspath(__file__), os.path.join(here, "neuronlens_model.py")]
    for case in DEFAULT_MODELS:
        paths += neuronlens_model.model_files(os.path.join(REPOSITORY, "assets/models", case[1]))
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    only = set(sys.argv[2:])
    os.makedirs(out_dir, exist_ok=True)
    index_path = os.path.join(out_dir, "index.json")
    # Every build directory asks for the export; one complete set made from these
    # same sources serves them all (touched, so the asking build sees it as new).
    script_hash = sources_hash()
    if not only and os.path.exists(index_path):
        with open(index_path) as f:
            if json.load(f).get("sources_sha256") == script_hash:
                os.utime(index_path)
                print(f"ONNX reference models in {out_dir} are up to date", flush=True)
                return
    if os.path.exists(index_path):
        os.remove(index_path)
    print(f"exporting ONNX reference models to {out_dir} (torch {torch.__version__}, "
          f"torchvision {torchvision.__version__}, onnx {onnx.__version__})", flush=True)
    cases = []
    for export, case in [(export_case, c) for c in CASES] + [(export_default_model, c) for c in DEFAULT_MODELS]:
        if not only or case[0] in only:
            cases.append(export(out_dir, case))
        elif os.path.exists(os.path.join(out_dir, case[0] + ".json")):  # exported by an earlier run
            with open(os.path.join(out_dir, case[0] + ".json")) as f:
                cases.append(json.load(f))
    with open(index_path + ".tmp", "w") as f:
        json.dump({"sources_sha256": script_hash, "cases": cases}, f, indent=1)
    os.replace(index_path + ".tmp", index_path)


if __name__ == "__main__":
    main()
