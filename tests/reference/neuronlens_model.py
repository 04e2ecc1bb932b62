"""A NeuronLens model folder (model.json + weights.safetensors, docs/MODEL_FORMAT.md)
rebuilt in PyTorch, independently of the engine: its own safetensors reader, and
one torch module per graph node, registered under the node's name (so that
torch.onnx.export scopes a node's ONNX ops as "/conv5_relu/Relu").

The module takes NCHW input already preprocessed (what the engine's graph takes);
preprocess() applies model.json's preprocessing to pixels in [0, 1].

Flatten: the engine flattens NHWC maps in H, W, C order, so its Dense weights
after a Flatten expect that order. flatten="hwc" reproduces it literally
(a permute before the reshape); flatten="chw" is the model as a PyTorch user
would write it (torch.flatten in C, H, W order) with the weight columns of the
Dense that reads the features permuted to match: the same function, and the
form that exports to plain ONNX Flatten + Gemm.

Used by check_model_eval.py (accuracy against `neuronlens eval`) and
export_onnx.py (the default models exported to ONNX for the [onnx] tests).
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn


def read_safetensors(path):
    """{name: float32 tensor}; only F32 tensors (all the format writes)."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    body = data[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", f"{name}: dtype {entry['dtype']}"
        begin, end = entry["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def read_model(model_dir):
    """(model.json as a dict, its weights)."""
    with open(os.path.join(model_dir, "model.json")) as f:
        spec = json.load(f)
    return spec, read_safetensors(os.path.join(model_dir, spec.get("weights", "weights.safetensors")))


def model_files(model_dir):
    """The files a model folder's answers depend on."""
    with open(os.path.join(model_dir, "model.json")) as f:
        weights = json.load(f).get("weights", "weights.safetensors")
    return [os.path.join(model_dir, "model.json"), os.path.join(model_dir, weights)]


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def pads(value):
    """model.json padding (int, [h, w] or [top, left, bottom, right]) as F.pad's (left, right, top, bottom)."""
    if isinstance(value, int):
        return (value, value, value, value)
    if len(value) == 2:
        return (value[1], value[1], value[0], value[0])
    top, left, bottom, right = value
    return (left, right, top, bottom)


class _Flatten(nn.Module):
    def __init__(self, order):
        super().__init__()
        self.order = order

    def forward(self, x):
        if x.dim() != 4:
            return x
        if self.order == "hwc":  # the engine's order
            x = x.permute(0, 2, 3, 1)
        return torch.flatten(x, 1)


class _Function(nn.Module):
    """An op without parameters, on one input."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class _Join(nn.Module):
    """Add or Concat (along the channels) of several inputs."""

    def __init__(self, op):
        super().__init__()
        self.op = op

    def forward(self, *inputs):
        return sum(inputs[1:], inputs[0]) if self.op == "Add" else torch.cat(inputs, dim=1)


# Ops that keep each feature in its place: a flattened map stays in its order through them.
_FEATUREWISE = {"Dropout", "ReLU", "Sigmoid", "Tanh", "HardSwish", "LeakyReLU", "Clip", "HardSigmoid", "Scale"}


def _node_module(node, weights, dense_columns_hwc):
    """The torch module of one model.json node. dense_columns_hwc: for a Dense reading
    features flattened from an (H, W, C) map to be read in C, H, W order: (H, W, C)."""
    op, s, name = node["op"], node.get("settings", {}), node["name"]
    if op == "Conv2D":
        weight = weights[name + ".weight"].permute(0, 3, 1, 2)  # [Cout, KH, KW, Cin/g] -> [Cout, Cin/g, KH, KW]
        bias = weights.get(name + ".bias") if s.get("bias", True) else None
        left, right, top, bottom = pads(s.get("padding", 0))
        symmetric = left == right and top == bottom
        conv = nn.Conv2d(weight.shape[1] * s.get("groups", 1), weight.shape[0], tuple(weight.shape[2:]),
                         stride=pair(s.get("stride", 1)), padding=(top, left) if symmetric else 0,
                         dilation=pair(s.get("dilation", 1)), groups=s.get("groups", 1), bias=bias is not None)
        with torch.no_grad():
            conv.weight.copy_(weight)
            if bias is not None:
                conv.bias.copy_(bias)
        return conv if symmetric else nn.Sequential(nn.ZeroPad2d((left, right, top, bottom)), conv)
    if op == "Dense":
        weight = weights[name + ".weight"]
        if dense_columns_hwc is not None:
            h, w, c = dense_columns_hwc
            weight = weight.reshape(-1, h, w, c).permute(0, 3, 1, 2).reshape(weight.shape[0], -1)
        bias = weights.get(name + ".bias") if s.get("bias", True) else None
        linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
        with torch.no_grad():
            linear.weight.copy_(weight)
            if bias is not None:
                linear.bias.copy_(bias)
        return linear
    if op in ("MaxPool2D", "AvgPool2D"):
        kernel = pair(s["kernel"])
        stride = pair(s.get("stride", s["kernel"]))
        left, right, top, bottom = pads(s.get("padding", 0))
        assert left == right and top == bottom, f"{name}: asymmetric pooling pads are not supported here"
        if op == "MaxPool2D":
            return nn.MaxPool2d(kernel, stride, (top, left), ceil_mode=s.get("ceil_mode", False))
        return nn.AvgPool2d(kernel, stride, (top, left), ceil_mode=s.get("ceil_mode", False),
                            count_include_pad=s.get("count_include_pad", True))
    if op == "BatchNorm":
        mean = weights[name + ".running_mean"]
        bn = nn.BatchNorm2d(mean.shape[0], eps=s.get("eps", 1e-5))  # on [N, C] too: the checks differ only
        bn._check_input_dim = lambda x: None
        with torch.no_grad():
            for param in ("weight", "bias", "running_mean", "running_var"):
                getattr(bn, param).copy_(weights[name + "." + param])
        return bn
    if op == "Flatten":
        return _Flatten("hwc")
    if op in ("Add", "Concat"):
        return _Join(op)
    if op == "Dropout":
        return nn.Dropout(s.get("p", 0.5))
    simple = {"ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "HardSwish": nn.Hardswish}
    if op in simple:
        return simple[op]()
    if op == "Softmax":
        return nn.Softmax(dim=1)
    if op == "LeakyReLU":
        return nn.LeakyReLU(s.get("alpha", 0.01))
    if op == "GlobalAvgPool":
        return _Function(lambda x: x.mean(dim=(2, 3)))
    if op == "Scale":
        return _Function(lambda x: x * s["factor"])
    if op == "Clip":
        return _Function(lambda x: torch.clamp(x, s.get("min"), s.get("max")))
    if op == "HardSigmoid":
        return _Function(lambda x: torch.clamp(s.get("alpha", 0.2) * x + s.get("beta", 0.5), 0.0, 1.0))
    raise ValueError(f"node {name}: op {op} is not supported by this checker")


def module_name(node_name):
    """A node's name as a torch attribute (no dots)."""
    return node_name.replace(".", "_")


class NeuronLensNet(nn.Module):
    """The graph of model.json: NCHW input (preprocessed), class scores out.
    flatten: "hwc" (the engine's order, literally) or "chw" (PyTorch's, with permuted Dense weights)."""

    def __init__(self, spec, weights, flatten="hwc"):
        super().__init__()
        assert flatten in ("hwc", "chw"), flatten
        self.input_name = spec["input"].get("name", "image")
        self.output_name = spec.get("output", spec["nodes"][-1]["name"])
        self.wiring = [(node["name"], module_name(node["name"]), list(node["inputs"])) for node in spec["nodes"]]
        # Shapes through the graph (NCHW), to know what a Dense after a Flatten reads.
        _, height, width, channels = spec["input"]["shape"]
        shapes = {self.input_name: (channels, height, width)}
        flattened = {}  # value -> (H, W, C) of the map it was flattened from, while features keep their places
        for node in spec["nodes"]:
            name, op, inputs = node["name"], node["op"], node["inputs"]
            source = flattened.get(inputs[0])
            if source is not None and op not in _FEATUREWISE and op != "Dense":
                raise ValueError(f"node {name}: {op} on flattened features is not supported with flatten='chw'")
            module = _node_module(node, weights, source if op == "Dense" and flatten == "chw" else None)
            if op == "Flatten" and len(shapes[inputs[0]]) == 3 and flatten == "chw":
                c, h, w = shapes[inputs[0]]
                module = _Flatten("chw")
                flattened[name] = (h, w, c)
            elif source is not None and op != "Dense":
                flattened[name] = source
            self.add_module(module_name(name), module)
            with torch.no_grad():
                probes = [torch.zeros(1, *shapes[i]) for i in inputs]
                shapes[name] = tuple(module.eval()(*probes).shape[1:])
        if self.output_name in flattened:
            raise ValueError(f"output {self.output_name}: flattened features out are not supported with flatten='chw'")
        self.eval()

    def forward(self, x):
        values = {self.input_name: x}
        for name, attribute, inputs in self.wiring:
            values[name] = getattr(self, attribute)(*[values[i] for i in inputs])
        return values[self.output_name]


def preprocess(spec, pixels):
    """pixels: [N, C, H, W] in [0, 1] (the scale already applied) -> the graph's input."""
    pre = spec["preprocessing"]
    mean = torch.tensor(pre.get("mean", [0.0]), dtype=pixels.dtype).reshape(1, -1, 1, 1)
    std = torch.tensor(pre.get("std", [1.0]), dtype=pixels.dtype).reshape(1, -1, 1, 1)
    if pre.get("invert", False):
        pixels = 1.0 - pixels
    return (pixels - mean) / std
