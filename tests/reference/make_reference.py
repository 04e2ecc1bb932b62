#!/usr/bin/python3
"""PyTorch reference data for the engine's ops and for small whole networks.

Usage:  /usr/bin/python3 tests/reference/make_reference.py OUTPUT_DIR

For every case it draws inputs, parameters and a random upstream gradient
(never a plain .sum(), which would hide transposition bugs) from a generator
seeded by the case's name, runs the op or network forward in float64 with
autograd, backpropagates the upstream gradient, and writes everything, in the
engine's layouts, to OUTPUT_DIR/<case>.nlref. OUTPUT_DIR/index.txt lists the
cases. tests/torch_reference_test.cpp rebuilds each case in the engine and
compares.

Why float64: the reference is then exact to float32 precision, and the
comparison measures the engine's own rounding only. The inputs and parameters
are float32 values, so both sides start from identical numbers.

Layouts written (the engine's, see src/nn/ops/*.h):
  activations NHWC [N, H, W, C] (or [N, F]); Conv2D weight [Cout, KH, KW, Cin/groups];
  Dense weight [Out, In], where a Dense after Flatten takes its inputs in H, W, C
  order (PyTorch flattens NCHW in C, H, W order, so that weight is permuted).

File format (.nlref, little-endian), read by tests/reference_data.h:
  char[8]  magic "NLREF\\0\\0\\0"
  u32      version (1)
  str      kind (which builder in the test rebuilds it: "conv2d", "vgg", ...)
  u32      attribute count, then per attribute:
             str name, u8 type (0: f64 number, 1: string), then f64 or str
  u32      tensor count, then per tensor:
             str name, u32 rank, i64 dims[rank], f32 data[product(dims)]
  where str = u32 byte length + UTF-8 bytes (no terminator).

Tensor names:
  in0, in1, ...          the op's inputs (a network has one: in0)
  out                    the forward output
  out_grad               the upstream gradient d(objective)/d(out), the backward seed
  in0_grad, ...          d(objective)/d(input)
  param/<name>           a parameter's value (networks: "<node>.<param>", the
                         engine's Graph::params() naming); buffers (running stats) too
  grad/<name>            d(objective)/d(parameter), for trained parameters only
  after/<name>           a buffer's value after a training-mode forward (BatchNorm
                         running statistics, PyTorch's update rule)
"""
import argparse
import math
import os
import struct
import sys
import time
import zlib

import torch
import torch.nn.functional as F

MAGIC = b"NLREF\0\0\0"
VERSION = 1
DTYPE = torch.float64


# ---- writing ---------------------------------------------------------------------------

def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def write_case(path, kind, attrs, tensors):
    """attrs: dict name -> number or str; tensors: list of (name, tensor in engine layout)."""
    out = [MAGIC, struct.pack("<I", VERSION), _str(kind), struct.pack("<I", len(attrs))]
    for name, value in attrs.items():
        out.append(_str(name))
        if isinstance(value, str):
            out += [struct.pack("<B", 1), _str(value)]
        else:
            out += [struct.pack("<B", 0), struct.pack("<d", float(value))]
    out.append(struct.pack("<I", len(tensors)))
    for name, t in tensors:
        t = t.detach().to(torch.float32).contiguous()
        assert t.dim() <= 4, name
        out += [_str(name), struct.pack("<I", t.dim()), struct.pack("<%dq" % t.dim(), *t.shape)]
        out.append(t.numpy().astype("<f4").tobytes())
    with open(path, "wb") as f:
        f.write(b"".join(out))


# ---- layouts ---------------------------------------------------------------------------

def act(t):
    """Activation to the engine's layout: NCHW -> NHWC; [N, F] unchanged."""
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


def conv_weight(w):
    """[Cout, Cin/g, KH, KW] -> [Cout, KH, KW, Cin/g]."""
    return w.permute(0, 2, 3, 1)


def dense_after_flatten(c, h, w):
    """Dense weight [Out, C*H*W] (inputs in C, H, W order) -> [Out, H*W*C] (H, W, C order)."""
    def convert(weight):
        out = weight.shape[0]
        return weight.reshape(out, c, h, w).permute(0, 2, 3, 1).reshape(out, h * w * c)
    return convert


def identity(t):
    return t


# ---- random data -----------------------------------------------------------------------

class Rand:
    """Float32-valued random tensors (stored as float64), seeded per case."""

    def __init__(self, name):
        self.g = torch.Generator().manual_seed(zlib.crc32(name.encode()))

    def uniform(self, shape, lo=-1.0, hi=1.0):
        t = torch.rand(shape, generator=self.g, dtype=torch.float32) * (hi - lo) + lo
        return t.to(DTYPE)

    def normal(self, shape, std=1.0):
        return (torch.randn(shape, generator=self.g, dtype=torch.float32) * std).to(DTYPE)

    def conv_weight(self, cout, cin_per_group, kh, kw):
        fan_in = cin_per_group * kh * kw
        return self.uniform((cout, cin_per_group, kh, kw), -1, 1) * math.sqrt(3.0 / fan_in)

    def dense_weight(self, out, inp):
        return self.uniform((out, inp), -1, 1) * math.sqrt(3.0 / inp)


# ---- running one case ------------------------------------------------------------------

class Param:
    """A parameter in PyTorch's layout, with the function giving the engine's layout.
    trained=False marks a buffer (no gradient is written)."""

    def __init__(self, value, convert=identity, trained=True):
        self.value = value.clone().requires_grad_(trained)
        self.initial = value.clone()
        self.convert = convert
        self.trained = trained


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def emit(out_dir, name, kind, attrs, inputs, params, forward, rnd, grad_inputs=True):
    """Runs forward(inputs, params) with autograd, seeds a random upstream
    gradient, and writes everything in the engine's layouts."""
    inputs = [x.clone().requires_grad_(grad_inputs) for x in inputs]
    out = forward(inputs, {k: p.value for k, p in params.items()})
    seed = rnd.uniform(out.shape)
    out.backward(seed)
    tensors = []
    for i, x in enumerate(inputs):
        tensors.append(("in%d" % i, act(x)))
    tensors += [("out", act(out)), ("out_grad", act(seed))]
    if grad_inputs:
        for i, x in enumerate(inputs):
            tensors.append(("in%d_grad" % i, act(x.grad)))
    for pname, p in params.items():
        tensors.append(("param/" + pname, p.convert(p.initial)))
        if p.trained:
            tensors.append(("grad/" + pname, p.convert(p.value.grad)))
        elif not torch.equal(p.value.detach(), p.initial):
            tensors.append(("after/" + pname, p.convert(p.value.detach())))
    write_case(os.path.join(out_dir, name + ".nlref"), kind, attrs, tensors)
    return name


# ---- ops: Conv2D -----------------------------------------------------------------------

CONV_SETTINGS = [
    # name, N, Cin, H, W, Cout, (KH, KW), (SH, SW), (DH, DW), (top, left, bottom, right), groups, bias
    ("conv2d_3x3_pad1", 2, 3, 9, 8, 5, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1, True),
    ("conv2d_3x3_stride2", 2, 4, 11, 10, 6, (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), 1, True),
    ("conv2d_rect_kernel_stride", 1, 5, 10, 9, 7, (3, 2), (2, 1), (1, 1), (0, 1, 2, 0), 1, True),
    ("conv2d_dilation2", 2, 3, 11, 12, 4, (3, 3), (1, 1), (2, 2), (2, 2, 2, 2), 1, True),
    ("conv2d_dilation_stride_mixed", 1, 4, 13, 11, 6, (3, 3), (2, 1), (1, 2), (1, 0, 1, 2), 1, False),
    ("conv2d_asym_pad", 2, 3, 8, 7, 5, (3, 3), (2, 2), (1, 1), (0, 1, 2, 2), 1, True),
    ("conv2d_groups3", 2, 6, 7, 7, 9, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 3, True),
    ("conv2d_depthwise", 2, 7, 8, 9, 7, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 7, True),
    ("conv2d_depthwise_stride2_asym", 1, 10, 9, 10, 10, (3, 3), (2, 2), (1, 1), (0, 0, 1, 1), 10, True),
    ("conv2d_depthwise_multiplier2", 1, 4, 6, 6, 8, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 4, False),
    ("conv2d_pointwise_nobias", 3, 13, 5, 6, 11, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 1, False),
    ("conv2d_5x5_tails", 1, 19, 7, 7, 37, (5, 5), (1, 1), (1, 1), (2, 2, 2, 2), 1, True),
    ("conv2d_7x7_stride2", 1, 3, 17, 15, 8, (7, 7), (2, 2), (1, 1), (3, 3, 3, 3), 1, True),
    ("conv2d_wide", 2, 32, 12, 12, 40, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1, True),
    ("conv2d_kernel_covers_input", 2, 3, 2, 3, 4, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1, True),
]


def make_conv_case(setting):
    name, n, cin, h, w, cout, (kh, kw), (sh, sw), (dh, dw), (pt, pl, pb, pr), groups, bias = setting

    def build(out_dir):
        r = Rand(name)
        x = r.uniform((n, cin, h, w))
        params = {"weight": Param(r.conv_weight(cout, cin // groups, kh, kw), conv_weight)}
        if bias:
            params["bias"] = Param(r.uniform((cout,), -0.5, 0.5))

        def forward(ins, p):
            xp = F.pad(ins[0], (pl, pr, pt, pb))
            return F.conv2d(xp, p["weight"], p.get("bias"), stride=(sh, sw), dilation=(dh, dw), groups=groups)

        attrs = dict(in_channels=cin, out_channels=cout, kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw,
                     dilation_h=dh, dilation_w=dw, pad_top=pt, pad_left=pl, pad_bottom=pb, pad_right=pr,
                     groups=groups, has_bias=int(bias))
        return emit(out_dir, name, "conv2d", attrs, [x], params, forward, r)
    build.__name__ = name
    return build


for _s in CONV_SETTINGS:
    case(make_conv_case(_s))


# ---- ops: Dense ------------------------------------------------------------------------

DENSE_SETTINGS = [
    ("dense_basic", 3, 20, 7, True),
    ("dense_nobias", 1, 33, 65, False),
    ("dense_tails", 5, 300, 70, True),
]


def make_dense_case(setting):
    name, n, fin, fout, bias = setting

    def build(out_dir):
        r = Rand(name)
        x = r.uniform((n, fin))
        params = {"weight": Param(r.dense_weight(fout, fin))}
        if bias:
            params["bias"] = Param(r.uniform((fout,), -0.5, 0.5))
        attrs = dict(in_features=fin, out_features=fout, has_bias=int(bias))
        return emit(out_dir, name, "dense", attrs, [x], params, lambda ins, p: F.linear(ins[0], p["weight"], p.get("bias")), r)
    build.__name__ = name
    return build


for _s in DENSE_SETTINGS:
    case(make_dense_case(_s))


# ---- ops: elementwise activations -----------------------------------------------------

ACTIVATIONS = [
    # name, kind, attrs, input scale, function
    ("relu", "relu", {}, 2.0, F.relu),
    ("clip", "clip", {"min": -0.5, "max": 0.7}, 1.5, lambda x: torch.clamp(x, -0.5, 0.7)),
    ("relu6", "clip", {"min": 0.0, "max": 6.0}, 9.0, F.relu6),
    ("leaky_relu", "leaky_relu", {"alpha": 0.1}, 2.0, lambda x: F.leaky_relu(x, 0.1)),
    ("sigmoid", "sigmoid", {}, 4.0, torch.sigmoid),
    ("tanh", "tanh", {}, 3.0, torch.tanh),
    # PyTorch's hard sigmoid: relu6(x + 3) / 6, i.e. ONNX HardSigmoid with alpha = 1/6, beta = 0.5.
    ("hard_sigmoid", "hard_sigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}, 5.0, F.hardsigmoid),
    # ONNX's default HardSigmoid: clip(0.2 x + 0.5, 0, 1).
    ("hard_sigmoid_onnx", "hard_sigmoid", {"alpha": 0.2, "beta": 0.5}, 4.0,
     lambda x: torch.clamp(0.2 * x + 0.5, 0.0, 1.0)),
    ("hard_swish", "hard_swish", {}, 5.0, F.hardswish),
]


def make_activation_case(setting):
    name, kind, attrs, scale, fn = setting

    def build(out_dir):
        r = Rand(name)
        x = r.uniform((2, 7, 5, 6)) * scale
        return emit(out_dir, name, kind, attrs, [x], {}, lambda ins, p: fn(ins[0]), r)
    build.__name__ = name
    return build


for _s in ACTIVATIONS:
    case(make_activation_case(_s))


# ---- ops: pooling ----------------------------------------------------------------------

POOL_SETTINGS = [
    # name, kind, N, C, H, W, (KH, KW), (SH, SW), (top, left, bottom, right), ceil_mode, count_include_pad
    ("maxpool_2x2", "max_pool2d", 2, 5, 8, 6, (2, 2), (2, 2), (0, 0, 0, 0), False, True),
    ("maxpool_3x3_s2_pad1", "max_pool2d", 2, 4, 9, 8, (3, 3), (2, 2), (1, 1, 1, 1), False, True),
    ("maxpool_3x3_s2_ceil", "max_pool2d", 1, 6, 8, 10, (3, 3), (2, 2), (0, 0, 0, 0), True, True),
    # ceil_mode where PyTorch drops the last window because it would start in the right padding.
    ("maxpool_ceil_drops_last", "max_pool2d", 1, 3, 5, 5, (2, 2), (3, 3), (1, 1, 1, 1), True, True),
    ("maxpool_rect_overlap", "max_pool2d", 2, 3, 7, 8, (3, 2), (1, 2), (0, 0, 0, 0), False, True),
    ("maxpool_asym_pad", "max_pool2d", 1, 5, 7, 6, (3, 3), (2, 2), (0, 1, 1, 0), False, True),
    ("avgpool_2x2", "avg_pool2d", 2, 5, 8, 6, (2, 2), (2, 2), (0, 0, 0, 0), False, True),
    ("avgpool_3x3_pad1_incl", "avg_pool2d", 2, 4, 9, 8, (3, 3), (2, 2), (1, 1, 1, 1), False, True),
    ("avgpool_3x3_pad1_excl", "avg_pool2d", 2, 4, 9, 8, (3, 3), (2, 2), (1, 1, 1, 1), False, False),
    ("avgpool_ceil_incl", "avg_pool2d", 1, 3, 8, 9, (3, 3), (2, 2), (1, 1, 1, 1), True, True),
    ("avgpool_ceil_excl", "avg_pool2d", 1, 3, 8, 9, (3, 3), (2, 2), (1, 1, 1, 1), True, False),
    ("avgpool_asym_pad_incl", "avg_pool2d", 1, 5, 7, 6, (3, 3), (2, 2), (0, 1, 1, 0), False, True),
    ("avgpool_asym_pad_excl", "avg_pool2d", 1, 5, 7, 6, (3, 3), (2, 2), (0, 1, 1, 0), False, False),
]


def make_pool_case(setting):
    name, kind, n, c, h, w, (kh, kw), (sh, sw), (pt, pl, pb, pr), ceil, incl = setting
    symmetric = pt == pb and pl == pr

    def forward(ins, p):
        x = ins[0]
        if kind == "max_pool2d":
            if symmetric:
                return F.max_pool2d(x, (kh, kw), (sh, sw), (pt, pl), ceil_mode=ceil)
            return F.max_pool2d(F.pad(x, (pl, pr, pt, pb), value=-math.inf), (kh, kw), (sh, sw), ceil_mode=ceil)
        if symmetric:
            return F.avg_pool2d(x, (kh, kw), (sh, sw), (pt, pl), ceil_mode=ceil, count_include_pad=incl)
        assert not ceil
        total = F.avg_pool2d(F.pad(x, (pl, pr, pt, pb)), (kh, kw), (sh, sw))
        if incl:
            return total
        ones = torch.ones_like(x)
        return total / F.avg_pool2d(F.pad(ones, (pl, pr, pt, pb)), (kh, kw), (sh, sw))

    def build(out_dir):
        r = Rand(name)
        x = r.uniform((n, c, h, w))
        attrs = dict(kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw, pad_top=pt, pad_left=pl,
                     pad_bottom=pb, pad_right=pr, ceil_mode=int(ceil), count_include_pad=int(incl))
        return emit(out_dir, name, kind, attrs, [x], {}, forward, r)
    build.__name__ = name
    return build


for _s in POOL_SETTINGS:
    case(make_pool_case(_s))


@case
def global_avg_pool(out_dir):
    name = "global_avg_pool"
    r = Rand(name)
    x = r.uniform((3, 6, 5, 7))
    # PyTorch keeps [N, C, 1, 1]; written as [N, C], the test reshapes the engine's output to compare.
    return emit(out_dir, name, "global_avg_pool", {}, [x], {}, lambda ins, p: ins[0].mean(dim=(2, 3)), r)


# ---- ops: BatchNorm --------------------------------------------------------------------

def batch_norm_params(r, c):
    return {
        "weight": Param(r.uniform((c,), 0.5, 1.5)),
        "bias": Param(r.uniform((c,), -0.5, 0.5)),
        "running_mean": Param(r.uniform((c,), -0.5, 0.5), trained=False),
        "running_var": Param(r.uniform((c,), 0.5, 2.0), trained=False),
    }


def make_batch_norm_case(name, training, shape):
    def build(out_dir):
        r = Rand(name)
        x = r.uniform(shape) * 2.0 + 0.3
        c = shape[1]
        params = batch_norm_params(r, c)
        eps, momentum = 1e-5, 0.1

        def forward(ins, p):
            return F.batch_norm(ins[0], p["running_mean"], p["running_var"], p["weight"], p["bias"],
                                training=training, momentum=momentum, eps=eps)
        attrs = dict(channels=c, epsilon=eps, momentum=momentum, training=int(training))
        return emit(out_dir, name, "batch_norm", attrs, [x], params, forward, r)
    build.__name__ = name
    return build


case(make_batch_norm_case("batch_norm_eval", False, (3, 6, 5, 4)))
case(make_batch_norm_case("batch_norm_train", True, (3, 6, 5, 4)))
case(make_batch_norm_case("batch_norm_train_2d", True, (8, 10)))


# ---- ops: structure (Add, Scale, Concat, Flatten, Dropout) ------------------------------

@case
def add(out_dir):
    name = "add"
    r = Rand(name)
    a, b = r.uniform((2, 4, 5, 6)), r.uniform((2, 4, 5, 6))
    return emit(out_dir, name, "add", {}, [a, b], {}, lambda ins, p: ins[0] + ins[1], r)


@case
def scale(out_dir):
    name = "scale"
    r = Rand(name)
    x = r.uniform((2, 3, 4, 5))
    return emit(out_dir, name, "scale", {"factor": 0.75}, [x], {}, lambda ins, p: ins[0] * 0.75, r)


@case
def concat(out_dir):
    name = "concat_channels"
    r = Rand(name)
    xs = [r.uniform((2, c, 4, 5)) for c in (3, 5, 2)]
    # Channels are dim 1 in NCHW, the last axis in the engine's NHWC.
    return emit(out_dir, name, "concat", {"axis": 3}, xs, {}, lambda ins, p: torch.cat(ins, dim=1), r)


@case
def flatten(out_dir):
    name = "flatten"
    r = Rand(name)
    x = r.uniform((2, 3, 4, 5))
    # The engine flattens NHWC in H, W, C order.
    return emit(out_dir, name, "flatten", {}, [x], {}, lambda ins, p: ins[0].permute(0, 2, 3, 1).reshape(2, -1), r)


@case
def dropout_eval(out_dir):
    name = "dropout_eval"
    r = Rand(name)
    x = r.uniform((2, 3, 4, 5))
    # Outside training, dropout is the identity (the training mask cannot match PyTorch's generator).
    return emit(out_dir, name, "dropout", {"rate": 0.5}, [x], {}, lambda ins, p: F.dropout(ins[0], 0.5, training=False), r)


# ---- ops: Softmax and the loss ----------------------------------------------------------

@case
def softmax(out_dir):
    name = "softmax"
    r = Rand(name)
    x = r.uniform((4, 10)) * 3.0
    return emit(out_dir, name, "softmax", {}, [x], {}, lambda ins, p: torch.softmax(ins[0], dim=1), r)


@case
def softmax_cross_entropy(out_dir):
    name = "softmax_cross_entropy"
    r = Rand(name)
    logits = r.uniform((5, 7)) * 3.0
    labels = torch.tensor([3, 0, 6, 2, 3])
    # Mean over the batch, like PyTorch's default reduction. The labels travel as an attribute string.
    attrs = {"labels": ",".join(str(int(v)) for v in labels), "classes": 7}
    return emit(out_dir, name, "softmax_cross_entropy", attrs, [logits], {},
                lambda ins, p: F.cross_entropy(ins[0], labels).reshape(1), r)


# ---- networks --------------------------------------------------------------------------
# Node names match the engine graphs built in tests/torch_reference_test.cpp:
# parameters are written as "<node>.<param>", the engine's Graph::params() naming.

class Net:
    """Collects named parameters while a network's forward pass is written once."""

    def __init__(self, r):
        self.r = r
        self.params = {}

    def conv(self, node, cin, cout, k, stride=1, pad=0, groups=1, bias=False):
        self.params[node + ".weight"] = Param(self.r.conv_weight(cout, cin // groups, k, k), conv_weight)
        if bias:
            self.params[node + ".bias"] = Param(self.r.uniform((cout,), -0.2, 0.2))
        def apply(x, p):
            return F.conv2d(x, p[node + ".weight"], p.get(node + ".bias"), stride=stride, padding=pad, groups=groups)
        return apply

    def bn(self, node, c, training):
        for k, v in batch_norm_params(self.r, c).items():
            self.params[node + "." + k] = v

        def apply(x, p):
            return F.batch_norm(x, p[node + ".running_mean"], p[node + ".running_var"], p[node + ".weight"],
                                p[node + ".bias"], training=training, momentum=0.1, eps=1e-5)
        return apply

    def dense(self, node, fin, fout, convert=identity):
        self.params[node + ".weight"] = Param(self.r.dense_weight(fout, fin), convert)
        self.params[node + ".bias"] = Param(self.r.uniform((fout,), -0.2, 0.2))

        def apply(x, p):
            return F.linear(x, p[node + ".weight"], p[node + ".bias"])
        return apply


def make_vgg_case(training):
    name = "net_vgg_" + ("train" if training else "eval")

    def build(out_dir):
        # input [2, 3, 16, 16] -> conv1 8 (with bias), relu -> conv2 8, bn, relu -> pool1
        # -> conv3 16, bn, relu -> pool2 -> [2, 16, 4, 4] -> flatten 256 -> fc1 32 -> relu -> fc2 10
        # (conv1 has no BN after it: a bias before a training-mode BN has an exactly zero gradient)
        r = Rand(name)
        net = Net(r)
        conv1 = net.conv("conv1", 3, 8, 3, pad=1, bias=True)
        conv2, bn2 = net.conv("conv2", 8, 8, 3, pad=1), net.bn("bn2", 8, training)
        conv3, bn3 = net.conv("conv3", 8, 16, 3, pad=1), net.bn("bn3", 16, training)
        fc1 = net.dense("fc1", 256, 32, dense_after_flatten(16, 4, 4))
        fc2 = net.dense("fc2", 32, 10)

        def forward(ins, p):
            x = F.relu(conv1(ins[0], p))
            x = F.max_pool2d(F.relu(bn2(conv2(x, p), p)), 2, 2)
            x = F.max_pool2d(F.relu(bn3(conv3(x, p), p)), 2, 2)
            x = F.relu(fc1(x.flatten(1), p))
            return fc2(x, p)
        return emit(out_dir, name, "net_vgg", {"training": int(training)}, [r.uniform((2, 3, 16, 16))],
                    net.params, forward, r)
    build.__name__ = name
    return build


def make_resnet_case(training):
    name = "net_resnet_" + ("train" if training else "eval")

    def build(out_dir):
        # stem conv 3->8 + bn + relu, [2, 8, 10, 10]
        # block1 (identity shortcut): conv-bn-relu-conv-bn, add, relu
        # block2 (projection shortcut, stride 2, 8->16): conv-bn-relu-conv-bn, 1x1 conv-bn shortcut, add, relu
        # global average pool [2, 16] -> fc 10
        r = Rand(name)
        net = Net(r)
        stem, stem_bn = net.conv("stem", 3, 8, 3, pad=1), net.bn("stem_bn", 8, training)
        b1c1, b1bn1 = net.conv("b1_conv1", 8, 8, 3, pad=1), net.bn("b1_bn1", 8, training)
        b1c2, b1bn2 = net.conv("b1_conv2", 8, 8, 3, pad=1), net.bn("b1_bn2", 8, training)
        b2c1, b2bn1 = net.conv("b2_conv1", 8, 16, 3, stride=2, pad=1), net.bn("b2_bn1", 16, training)
        b2c2, b2bn2 = net.conv("b2_conv2", 16, 16, 3, pad=1), net.bn("b2_bn2", 16, training)
        b2sc, b2scbn = net.conv("b2_proj", 8, 16, 1, stride=2), net.bn("b2_proj_bn", 16, training)
        fc = net.dense("fc", 16, 10)

        def forward(ins, p):
            x = F.relu(stem_bn(stem(ins[0], p), p))
            y = b1bn2(b1c2(F.relu(b1bn1(b1c1(x, p), p)), p), p)
            x = F.relu(y + x)
            y = b2bn2(b2c2(F.relu(b2bn1(b2c1(x, p), p)), p), p)
            x = F.relu(y + b2scbn(b2sc(x, p), p))
            return fc(x.mean(dim=(2, 3)), p)
        return emit(out_dir, name, "net_resnet", {"training": int(training)}, [r.uniform((2, 3, 10, 10))],
                    net.params, forward, r)
    build.__name__ = name
    return build


def make_dwsep_case(training):
    name = "net_dwsep_" + ("train" if training else "eval")

    def build(out_dir):
        # stem conv 3->8 stride 2 + bn + relu6, [2, 8, 6, 6]
        # depthwise 3x3 (groups 8) + bn + relu6, pointwise 1x1 8->16 + bn + relu6
        # global average pool [2, 16] -> fc 10
        r = Rand(name)
        net = Net(r)
        stem, stem_bn = net.conv("stem", 3, 8, 3, stride=2, pad=1), net.bn("stem_bn", 8, training)
        dw, dw_bn = net.conv("dw", 8, 8, 3, pad=1, groups=8), net.bn("dw_bn", 8, training)
        pw, pw_bn = net.conv("pw", 8, 16, 1), net.bn("pw_bn", 16, training)
        fc = net.dense("fc", 16, 10)

        def forward(ins, p):
            # Inputs scaled up so that ReLU6 clips at 6 somewhere.
            x = F.relu6(stem_bn(stem(ins[0], p), p) * 4.0)
            x = F.relu6(dw_bn(dw(x, p), p) * 4.0)
            x = F.relu6(pw_bn(pw(x, p), p) * 4.0)
            return fc(x.mean(dim=(2, 3)), p)
        return emit(out_dir, name, "net_dwsep", {"training": int(training)}, [r.uniform((2, 3, 12, 12))],
                    net.params, forward, r)
    build.__name__ = name
    return build


for _training in (False, True):
    case(make_vgg_case(_training))
    case(make_resnet_case(_training))
    case(make_dwsep_case(_training))


# ---- main ------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output_dir")
    args = parser.parse_args()
    os.makedirs(args.output_dir, exist_ok=True)
    torch.set_num_threads(1)
    start = time.time()
    names = [build(args.output_dir) for build in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    # Written last: its presence means the set is complete.
    with open(os.path.join(args.output_dir, "index.txt"), "w") as f:
        f.write("# NeuronLens PyTorch reference cases, format NLREF v%d, torch %s\n" % (VERSION, torch.__version__))
        for n in names:
            f.write(n + "\n")
    print("make_reference: %d cases in %s (%.1f s)" % (len(names), args.output_dir, time.time() - start))


if __name__ == "__main__":
    sys.exit(main())
