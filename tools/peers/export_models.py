#!/usr/bin/python3
"""Exports the benchmark models of `tools/bench peers` once, with fixed seeds, so every
engine runs the same weights on the same inputs.

    /usr/bin/python3 tools/peers/export_models.py OUT_DIR [--fashion-model DIR]

For each model it writes OUT_DIR/<model>/:
  model.onnx            the deploy graph (BatchNorm folded into the convolutions), opset 13,
                        dynamic batch: read by `neuronlens` (importer) and onnxruntime-web
  spec.json             the same graph as a list of nodes, weights in TensorFlow's layouts
                        (conv [KH, KW, Cin, Cout], dense [In, Out] with NHWC flatten order),
                        FLOP counts, the gradient's target node and channel: read by tfjs
  weights.bin           the float32 weights spec.json points into
  state.pt              the PyTorch deploy model's state_dict (for torch_bench.py)
  input_b1.npy, input_b64.npy   N x C x H x W float32 inputs (seeded normal)
  ref_forward_b1.npy, ref_forward_b64.npy, ref_grad_b1.npy   float64 PyTorch answers
Labels of the training step are `i % classes` for image i.

Models (see docs/BENCHMARKS.md):
  cnn_a        28x28x1: conv3x3 1->32, 32->32, maxpool2, 32->64, 64->64, maxpool2,
               dense 3136->128, 128->10; ReLU after each conv and the first dense
  resnet18     torchvision's, 224x224x3, random weights and BatchNorm statistics, BN folded
  fashion_vgg  assets/recipes/fashion_vgg.json's deploy graph (BN folded, dropout gone):
               random weights, or the trained model's when --fashion-model (or
               assets/models/fashion-vgg) holds one
The gradient's target is "the last conv stage": the output (after ReLU) of the last
convolution block, i.e. the input of the last pooling node.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

GRAD_CHANNEL = 7
BATCH_SIZES = (1, 64)


# ---- the models, as PyTorch deploy graphs -------------------------------------------

def conv(cin, cout, k=3, stride=1, pad=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=True)


def cnn_a():
    torch.manual_seed(1)
    layers = [conv(1, 32), nn.ReLU(), conv(32, 32), nn.ReLU(), nn.MaxPool2d(2),
              conv(32, 64), nn.ReLU(), conv(64, 64), nn.ReLU(), nn.MaxPool2d(2),
              nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)]
    return nn.Sequential(*layers), 8  # index of the last conv stage's ReLU


def fold_bn(conv_or_linear, bn):
    """Returns the layer with `bn` (eval mode) folded in, computed in float64."""
    with torch.no_grad():
        s = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        w = conv_or_linear.weight.double() * s.reshape(-1, *([1] * (conv_or_linear.weight.dim() - 1)))
        b = conv_or_linear.bias.double() if conv_or_linear.bias is not None else torch.zeros_like(s)
        b = s * (b - bn.running_mean.double()) + bn.bias.double()
        out = type(conv_or_linear)(*conv_args(conv_or_linear), bias=True)
        out.weight.copy_(w.float())
        out.bias.copy_(b.float())
    return out


def conv_args(layer):
    if isinstance(layer, nn.Linear):
        return (layer.in_features, layer.out_features)
    return (layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding)


def randomize_bn(module, gen):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d) or isinstance(m, nn.BatchNorm1d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


def fashion_vgg(trained_dir=None):
    """The recipe's graph with BatchNorm folded, as `neuronlens train` saves it."""
    recipe = json.load(open(os.path.join(os.path.dirname(__file__), "../../assets/recipes/fashion_vgg.json")))
    torch.manual_seed(recipe.get("seed", 1))
    gen = torch.Generator().manual_seed(2)
    layers, channels, size, last_conv_relu = [], 1, 28, -1
    for layer in recipe["architecture"]:
        t = layer["type"]
        if t == "conv":
            c, bn = conv(channels, layer["channels"]), nn.BatchNorm2d(layer["channels"])
            if layer.get("batchnorm"):
                randomize_bn(bn, gen)
                c = fold_bn(c, bn.eval())
            layers.append(c)
            channels = layer["channels"]
            if layer.get("activation") == "relu":
                layers.append(nn.ReLU())
                last_conv_relu = len(layers) - 1
        elif t == "maxpool":
            layers.append(nn.MaxPool2d(2))
            size //= 2
        elif t == "flatten":
            layers.append(nn.Flatten())
            channels = channels * size * size
        elif t == "dropout":
            pass  # identity in the deploy graph
        elif t == "dense":
            d = nn.Linear(channels, layer["units"])
            if layer.get("batchnorm"):
                bn = nn.BatchNorm1d(layer["units"])
                randomize_bn(bn, gen)
                d = fold_bn(d, bn.eval())
            layers.append(d)
            channels = layer["units"]
            if layer.get("activation") == "relu":
                layers.append(nn.ReLU())
        else:
            raise SystemExit(f"export_models: recipe layer type {t!r} is not handled")
    model = nn.Sequential(*layers)
    source = "random weights (seeded), BatchNorm folded"
    if trained_dir:
        load_neuronlens_weights(model, trained_dir)
        source = f"trained weights from {trained_dir}"
    return model, last_conv_relu, source


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=np.float32).reshape(info["shape"]).copy()
    return out


def load_neuronlens_weights(model, folder):
    """Copies a NeuronLens model's Conv2D/Dense weights, in graph order, into `model`."""
    spec = json.load(open(os.path.join(folder, "model.json")))
    weights = read_safetensors(os.path.join(folder, spec.get("weights", "weights.safetensors")))
    engine = [n for n in spec["nodes"] if n["op"] in ("Conv2D", "Dense")]
    others = {n["op"] for n in spec["nodes"]} - {"Conv2D", "Dense", "ReLU", "MaxPool2D", "Flatten", "Dropout"}
    mine = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    if others or len(engine) != len(mine):
        raise SystemExit(f"export_models: {folder} is not the recipe's deploy graph (ops {sorted(others)})")
    prev_hwc = None  # (H, W, C) of the map a Dense after Flatten reads
    size, channels = 28, 1
    for node, layer in zip(engine, mine):
        w = weights[node["name"] + ".weight"]
        b = weights[node["name"] + ".bias"]
        with torch.no_grad():
            if isinstance(layer, nn.Conv2d):
                layer.weight.copy_(torch.from_numpy(w.transpose(0, 3, 1, 2).copy()))
            else:
                if w.shape[1] != layer.in_features:
                    raise SystemExit(f"export_models: {node['name']} has {w.shape[1]} inputs, expected {layer.in_features}")
                if layer is [m for m in mine if isinstance(m, nn.Linear)][0]:
                    c = [m for m in mine if isinstance(m, nn.Conv2d)][-1].out_channels
                    hw = int(round((layer.in_features / c) ** 0.5))
                    w = w.reshape(-1, hw, hw, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            layer.bias.copy_(torch.from_numpy(b.copy()))


def resnet18():
    torch.manual_seed(3)
    model = torchvision.models.resnet18(weights=None)
    gen = torch.Generator().manual_seed(4)
    randomize_bn(model, gen)
    model.eval()
    model.conv1 = fold_bn(model.conv1, model.bn1)
    model.bn1 = nn.Identity()
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in layer:
            block.conv1 = fold_bn(block.conv1, block.bn1)
            block.bn1 = nn.Identity()
            block.conv2 = fold_bn(block.conv2, block.bn2)
            block.bn2 = nn.Identity()
            if block.downsample is not None:
                block.downsample = nn.Sequential(fold_bn(block.downsample[0], block.downsample[1]))
    return model


def resnet_trunk(model):
    """ResNet-18 up to layer4's output (the last conv stage, after its ReLU)."""
    return nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool,
                         model.layer1, model.layer2, model.layer3, model.layer4)


# ---- the graph as nodes (spec.json) ---------------------------------------------------

class SpecWriter:
    """Collects nodes and their weights in TensorFlow's layouts."""

    def __init__(self):
        self.nodes, self.blobs, self.offset, self.flops = [], [], 0, 0

    def weight(self, name, array):
        a = np.ascontiguousarray(array, dtype=np.float32)
        entry = {"name": name, "shape": list(a.shape), "offset": self.offset}
        self.blobs.append(a.tobytes())
        self.offset += a.nbytes
        return entry

    def add(self, node):
        node["id"] = len(self.nodes) + 1  # node 0 is the input
        self.nodes.append(node)
        return node["id"]


def spec_conv(w, layer, x, hw, relu):
    cin, cout = layer.in_channels, layer.out_channels
    kh, kw = layer.kernel_size
    s, p = layer.stride[0], layer.padding[0]
    h = (hw[0] + 2 * p - kh) // s + 1
    ww = (hw[1] + 2 * p - kw) // s + 1
    w.flops += 2 * h * ww * cout * kh * kw * cin
    name = f"conv{len(w.nodes) + 1}"
    nid = w.add({"op": "conv", "input": x, "stride": s, "pad": p, "relu": relu,
                 "weight": w.weight(name + ".weight", layer.weight.detach().numpy().transpose(2, 3, 1, 0)),
                 "bias": w.weight(name + ".bias", layer.bias.detach().numpy())})
    return nid, (h, ww), cout


def spec_sequential(model, input_hw, cin):
    w = SpecWriter()
    x, hw, c, flat_hwc = 0, input_hw, cin, None
    modules = list(model)
    i = 0
    target = None
    while i < len(modules):
        m = modules[i]
        relu = i + 1 < len(modules) and isinstance(modules[i + 1], nn.ReLU)
        if isinstance(m, nn.Conv2d):
            x, hw, c = spec_conv(w, m, x, hw, relu)
            w.nodes[-1]["flops_to_here"] = w.flops
        elif isinstance(m, nn.MaxPool2d):
            target = x  # the last pool's input: the last conv stage
            x = w.add({"op": "maxpool", "input": x, "k": m.kernel_size, "s": m.stride, "pad": m.padding})
            hw = (hw[0] // m.stride, hw[1] // m.stride)
        elif isinstance(m, nn.Flatten):
            flat_hwc = (hw[0], hw[1], c)
            x = w.add({"op": "flatten", "input": x})
            c = hw[0] * hw[1] * c
        elif isinstance(m, nn.Linear):
            wt = m.weight.detach().numpy()
            if flat_hwc:
                H, W, C = flat_hwc
                wt = wt.reshape(-1, C, H, W).transpose(0, 2, 3, 1).reshape(wt.shape[0], -1)
                flat_hwc = None
            w.flops += 2 * m.in_features * m.out_features
            name = f"dense{len(w.nodes) + 1}"
            x = w.add({"op": "dense", "input": x, "relu": relu,
                       "weight": w.weight(name + ".weight", wt.T), "bias": w.weight(name + ".bias", m.bias.detach().numpy())})
            c = m.out_features
        if relu:
            i += 1
        i += 1
    return w, target


def spec_resnet(model):
    w = SpecWriter()
    x, hw, c = spec_conv(w, model.conv1, 0, (224, 224), True)
    x = w.add({"op": "maxpool", "input": x, "k": 3, "s": 2, "pad": 1})
    hw = (56, 56)
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in layer:
            y, hw2, c2 = spec_conv(w, block.conv1, x, hw, True)
            y, hw2, c2 = spec_conv(w, block.conv2, y, hw2, False)
            shortcut = x
            if block.downsample is not None:
                shortcut, _, _ = spec_conv(w, block.downsample[0], x, hw, False)
            x = w.add({"op": "add", "inputs": [y, shortcut], "relu": True})
            hw, c = hw2, c2
    target = x
    flops_to_target = w.flops
    x = w.add({"op": "gap", "input": x})
    w.flops += 2 * 512 * 1000
    x = w.add({"op": "dense", "input": x, "relu": False,
               "weight": w.weight("fc.weight", model.fc.weight.detach().numpy().T),
               "bias": w.weight("fc.bias", model.fc.bias.detach().numpy())})
    return w, target, flops_to_target


# ---- writing one model -------------------------------------------------------------------

def onnx_target_tensor(path):
    """The ONNX name of the last conv stage's output: the input of the last pooling node."""
    import onnx
    g = onnx.load(path).graph
    pools = [n for n in g.node if n.op_type in ("MaxPool", "GlobalAveragePool", "AveragePool")]
    return pools[-1].input[0]


def write_model(out, name, model, trunk, spec, target, flops_to_target, input_chw, description, source):
    os.makedirs(out, exist_ok=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    # Inputs: seeded normal values (the engines see them already preprocessed).
    gen = torch.Generator().manual_seed(11)
    inputs = {b: torch.randn(b, *input_chw, generator=gen) for b in BATCH_SIZES}
    for b, x in inputs.items():
        np.save(os.path.join(out, f"input_b{b}.npy"), x.numpy())
    torch.save(model.state_dict(), os.path.join(out, "state.pt"))
    onnx_path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, inputs[1], onnx_path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    # float64 answers: forward at both batch sizes (ResNet-18 at batch 64 in float32: float64
    # convolutions are slow in this PyTorch), the input gradient at batch 1.
    m64 = [model.double(), trunk.double()]
    with torch.no_grad():
        for b, x in inputs.items():
            if name == "resnet18" and b > 1:
                continue
            np.save(os.path.join(out, f"ref_forward_b{b}.npy"), m64[0](x.double()).numpy())
    x = inputs[1].double().requires_grad_(True)
    m64[1](x)[:, GRAD_CHANNEL].mean().backward()
    np.save(os.path.join(out, "ref_grad_b1.npy"), x.grad.numpy())
    model.float()
    if name == "resnet18":
        with torch.no_grad():
            np.save(os.path.join(out, "ref_forward_b64.npy"), model(inputs[64]).double().numpy())
    with open(os.path.join(out, "weights.bin"), "wb") as f:
        for blob in spec.blobs:
            f.write(blob)
    params = sum(p.numel() for p in model.parameters())
    info = {
        "name": name, "description": description, "weights_source": source,
        "input_chw": list(input_chw), "classes": int(spec.nodes[-1]["bias"]["shape"][0]),
        "parameters": int(params), "flops_per_image": int(spec.flops),
        "flops_to_target_per_image": int(flops_to_target),
        "grad_target_node": target, "grad_channel": GRAD_CHANNEL,
        "grad_target_onnx": onnx_target_tensor(onnx_path),
        "nodes": spec.nodes,
        "preset": "imagenet" if input_chw[0] == 3 else "grey28",
    }
    with open(os.path.join(out, "spec.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"export_models: {name}: {params} parameters, {spec.flops / 1e9:.3f} GFLOP per image, "
          f"target {info['grad_target_onnx']} ({source})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--fashion-model", default=None, help="a trained NeuronLens fashion-vgg folder")
    ap.add_argument("--models", default="cnn_a,resnet18,fashion_vgg")
    args = ap.parse_args()
    torch.set_num_threads(2)
    wanted = args.models.split(",")
    if "cnn_a" in wanted:
        model, target_index = cnn_a()
        spec, target = spec_sequential(model, (28, 28), 1)
        trunk = nn.Sequential(*list(model)[:target_index + 1])
        write_model(os.path.join(args.out, "cnn_a"), "cnn_a", model, trunk, spec, target,
                    [n for n in spec.nodes if n["id"] == target][0]["flops_to_here"], (1, 28, 28),
                    "CNN A: conv 32, 32, pool, conv 64, 64, pool, dense 128, 10", "random weights (seeded)")
    if "resnet18" in wanted:
        model = resnet18()
        spec, target, flops_to_target = spec_resnet(model)
        write_model(os.path.join(args.out, "resnet18"), "resnet18", model, resnet_trunk(model), spec, target,
                    flops_to_target, (3, 224, 224), "torchvision ResNet-18, BatchNorm folded",
                    "random weights and BatchNorm statistics (seeded), BatchNorm folded")
    if "fashion_vgg" in wanted:
        trained = args.fashion_model
        default = os.path.join(os.path.dirname(__file__), "../../assets/models/fashion-vgg")
        if trained is None and os.path.exists(os.path.join(default, "model.json")):
            trained = os.path.normpath(default)
        model, target_index, source = fashion_vgg(trained)
        spec, target = spec_sequential(model, (28, 28), 1)
        trunk = nn.Sequential(*list(model)[:target_index + 1])
        write_model(os.path.join(args.out, "fashion_vgg"), "fashion_vgg", model, trunk, spec, target,
                    [n for n in spec.nodes if n["id"] == target][0]["flops_to_here"], (1, 28, 28),
                    "assets/recipes/fashion_vgg.json as deployed: BatchNorm folded, no dropout", source)


if __name__ == "__main__":
    main()
