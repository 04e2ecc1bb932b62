#!/usr/bin/python3
"""PyTorch reference data for the interpretation method (src/interpret).

Usage:  /usr/bin/python3 tests/reference/make_interpret_reference.py OUTPUT_DIR

Builds a small VGG-style and a small ResNet-style network with random weights
(seeded by the case's name, BatchNorm present and in inference mode), draws a
batch of labelled images, and computes with autograd, in float64, every
gradient-based quantity of METHOD.md as it is defined there, written out from
the definitions (not from the engine's code):

  logits                 y = f(x), the class logits (pre-softmax)
  contribution           C_k = sum_hw A_k * dy_c/dA_k, for the predicted class and for given classes
  share                  C_k / sum_j max(C_j, 0)
  captor                 |sum_hw dy_c/dA_k|
  weight_gradient        sum |dy_c/dW_k| over the weights of output channel k (Conv2D or Dense)
  gamma                  per category: the mean score over the images of category c towards class c
  linear                 w_ck * mean_hw A_k, when A feeds GlobalAvgPool then the final Dense
  responses              a_k = sum_hw A_k, and its mean per category
  top                    the top-k images of a channel by response, with the peak of the map
  gradcam                ReLU(sum_k mean_hw(dy_c/dA_k) A_k), upsampled by F.interpolate
                         (bilinear, align_corners=False) to the input size
  saliency               max over input channels of |dy_c/dx|
  occlusion              the drop of y_c when a patch is filled with a constant, averaged per pixel
                         over the patches covering it (patches every `stride` pixels, plus one
                         flush with the far border)
  visualization          gradient ascent on the pixels: x <- x + lr * d(J - penalties)/dx, then,
                         when sigma > 0, a 3x3 Gaussian blur renormalised at the borders

Everything is written with make_reference.py's writer (format NLREF v1) to
OUTPUT_DIR/<case>.nlref, in the engine's layouts (NHWC, [N, K] scores, [K, classes]
per-category tables, [H, W] maps), with OUTPUT_DIR/index.txt written last.
tests/torch_interpret_test.cpp rebuilds each network in the engine, calls the
src/interpret functions and compares.

What each file holds (the test reads these lists and needs no other knowledge
of the case):
  attributes   network ("vgg" or "resnet"), classes, explain (how many of the
               images are explained one by one), labels and given_classes
               (comma lists), contribution_nodes, weight_gradient_nodes,
               gamma ("score:node" items, score one of gxa, captor, wgrad),
               gradcam_nodes, occlusion ("patch:stride:fill" items),
               response_nodes, top ("node:channel:k" items), linear_nodes,
               visualizations (names), and per visualization vis/<name>/...
               settings (node, kind, channel, steps, lr, blur, l2, tv, start,
               start_pixel)
  tensors      in0 (the images, [N, H, W, C]), param/<node>.<param>, logits,
               predicted, and the quantities above, named <quantity>/<node>/<class choice>
               (class choice "predicted" or "given"), focus maps per image
               (<map>/.../<class choice>/<image>), vis/<name>/{image, update, objective,
               start, scale, shift}
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_reference as ref  # noqa: E402  (the writer, layouts, seeded random data and network helpers)

DTYPE = ref.DTYPE
CLASSES = 10


def f32(v):
    """A Python float rounded to float32, so both sides start from the same number."""
    return float(torch.tensor(v, dtype=torch.float32))


def csv(items):
    return ",".join(str(v) for v in items)


# ---- the networks --------------------------------------------------------------------------
# Each forward returns the logits and a dict of every named node's value (NCHW
# or [N, F]); names match the engine graphs in tests/torch_interpret_test.cpp.

def vgg(r):
    """[N, 3, 16, 12] -> conv1 8 (bias), ReLU -> conv2 8, BN, ReLU -> max pool -> conv3 16, BN, ReLU
    -> max pool -> [N, 16, 4, 3] -> flatten 192 -> fc1 32, ReLU -> fc2 10"""
    net = ref.Net(r)
    conv1 = net.conv("conv1", 3, 8, 3, pad=1, bias=True)
    conv2, bn2 = net.conv("conv2", 8, 8, 3, pad=1), net.bn("bn2", 8, False)
    conv3, bn3 = net.conv("conv3", 8, 16, 3, pad=1), net.bn("bn3", 16, False)
    fc1 = net.dense("fc1", 192, 32, ref.dense_after_flatten(16, 4, 3))
    fc2 = net.dense("fc2", 32, CLASSES)

    def forward(x, p):
        v = {}
        v["conv1"] = conv1(x, p)
        v["relu1"] = F.relu(v["conv1"])
        v["conv2"] = conv2(v["relu1"], p)
        v["bn2"] = bn2(v["conv2"], p)
        v["relu2"] = F.relu(v["bn2"])
        v["pool1"] = F.max_pool2d(v["relu2"], 2, 2)
        v["conv3"] = conv3(v["pool1"], p)
        v["bn3"] = bn3(v["conv3"], p)
        v["relu3"] = F.relu(v["bn3"])
        v["pool2"] = F.max_pool2d(v["relu3"], 2, 2)
        v["fc1"] = fc1(v["pool2"].flatten(1), p)
        v["fc1_relu"] = F.relu(v["fc1"])
        v["fc2"] = fc2(v["fc1_relu"], p)
        return v["fc2"], v
    return net, forward, (16, 12)


def resnet(r):
    """[N, 3, 13, 10] -> stem conv 8, BN, ReLU -> basic block (identity shortcut) -> basic block
    (stride 2, 8 -> 16, 1x1 projection shortcut) -> [N, 16, 7, 5] -> global average pool -> fc 10"""
    net = ref.Net(r)
    stem, stem_bn = net.conv("stem", 3, 8, 3, pad=1), net.bn("stem_bn", 8, False)
    b1c1, b1bn1 = net.conv("b1_conv1", 8, 8, 3, pad=1), net.bn("b1_bn1", 8, False)
    b1c2, b1bn2 = net.conv("b1_conv2", 8, 8, 3, pad=1), net.bn("b1_bn2", 8, False)
    b2c1, b2bn1 = net.conv("b2_conv1", 8, 16, 3, stride=2, pad=1), net.bn("b2_bn1", 16, False)
    b2c2, b2bn2 = net.conv("b2_conv2", 16, 16, 3, pad=1), net.bn("b2_bn2", 16, False)
    b2sc, b2scbn = net.conv("b2_proj", 8, 16, 1, stride=2), net.bn("b2_proj_bn", 16, False)
    fc = net.dense("fc", 16, CLASSES)

    def forward(x, p):
        v = {}
        v["stem"] = stem(x, p)
        v["stem_bn"] = stem_bn(v["stem"], p)
        v["stem_relu"] = F.relu(v["stem_bn"])
        v["b1_conv1"] = b1c1(v["stem_relu"], p)
        v["b1_bn1"] = b1bn1(v["b1_conv1"], p)
        v["b1_relu1"] = F.relu(v["b1_bn1"])
        v["b1_conv2"] = b1c2(v["b1_relu1"], p)
        v["b1_bn2"] = b1bn2(v["b1_conv2"], p)
        v["b1_add"] = v["b1_bn2"] + v["stem_relu"]
        v["b1_relu"] = F.relu(v["b1_add"])
        v["b2_conv1"] = b2c1(v["b1_relu"], p)
        v["b2_bn1"] = b2bn1(v["b2_conv1"], p)
        v["b2_relu1"] = F.relu(v["b2_bn1"])
        v["b2_conv2"] = b2c2(v["b2_relu1"], p)
        v["b2_bn2"] = b2bn2(v["b2_conv2"], p)
        v["b2_proj"] = b2sc(v["b1_relu"], p)
        v["b2_proj_bn"] = b2scbn(v["b2_proj"], p)
        v["b2_add"] = v["b2_bn2"] + v["b2_proj_bn"]
        v["b2_relu"] = F.relu(v["b2_add"])
        v["pool"] = v["b2_relu"].mean(dim=(2, 3))
        v["fc"] = fc(v["pool"], p)
        return v["fc"], v
    return net, forward, (13, 10)


# ---- the quantities, from their definitions ------------------------------------------------

def spatial_sum(t):
    """[N, K, H, W] -> [N, K]; [N, F] unchanged."""
    return t.sum(dim=(2, 3)) if t.dim() == 4 else t


def node_gradients(forward, p, x, classes, names):
    """Values of the named nodes and d(y_c)/d(value) per image (images are independent in
    inference mode, so one backward of sum_n y_{n, c_n} gives every image's gradient)."""
    logits, v = forward(x, p)
    picked = logits.gather(1, classes.view(-1, 1)).sum()
    grads = torch.autograd.grad(picked, [v[n] for n in names])
    return {n: (v[n].detach(), g.detach()) for n, g in zip(names, grads)}


def weight_gradient_scores(forward, p, x, classes, node):
    """sum over the weights of output channel k of |dy_c/dW|, image by image: [N, K]."""
    w = p[node + ".weight"]
    rows = []
    for b in range(x.shape[0]):
        logits, _ = forward(x[b:b + 1], p)
        (g,) = torch.autograd.grad(logits[0, classes[b]], [w])
        rows.append(g.abs().reshape(g.shape[0], -1).sum(dim=1))
    return torch.stack(rows)


def scores(forward, p, x, classes, node, score):
    if score == "wgrad":
        return weight_gradient_scores(forward, p, x, classes, node)
    a, g = node_gradients(forward, p, x, classes, [node])[node]
    if score == "gxa":
        return spatial_sum(a * g)
    assert score == "captor"
    return spatial_sum(g).abs()


def per_category_mean(values, labels):
    """values [N, K], labels [N] -> [K, classes]: the mean over the images of each category (0 if none)."""
    out = torch.zeros(values.shape[1], CLASSES, dtype=DTYPE)
    for c in range(CLASSES):
        mask = labels == c
        if mask.any():
            out[:, c] = values[mask].mean(dim=0)
    return out


def gamma(forward, p, x, labels, node, score):
    return per_category_mean(scores(forward, p, x, labels, node, score), labels)


def grad_cam(forward, p, x1, c, node):
    """x1 [1, C, H, W] -> [H, W]."""
    a, g = node_gradients(forward, p, x1, torch.tensor([c]), [node])[node]
    alpha = g.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((alpha * a).sum(dim=1, keepdim=True))
    return F.interpolate(cam, size=x1.shape[2:], mode="bilinear", align_corners=False)[0, 0]


def saliency(forward, p, x1, c):
    x = x1.clone().requires_grad_(True)
    logits, _ = forward(x, p)
    (g,) = torch.autograd.grad(logits[0, c], [x])
    return g.abs().amax(dim=1)[0]


def patch_starts(size, patch, stride):
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def occlusion(forward, p, x1, c, patch, stride, fill):
    with torch.no_grad():
        base = forward(x1, p)[0][0, c]
        h, w = x1.shape[2:]
        boxes = [(py, px) for py in patch_starts(h, patch, stride) for px in patch_starts(w, patch, stride)]
        batch = x1.repeat(len(boxes), 1, 1, 1)
        for i, (py, px) in enumerate(boxes):
            batch[i, :, py:py + patch, px:px + patch] = fill
        drops = base - forward(batch, p)[0][:, c]
        total = torch.zeros(h, w, dtype=DTYPE)
        cover = torch.zeros(h, w, dtype=DTYPE)
        for (py, px), d in zip(boxes, drops):
            total[py:py + patch, px:px + patch] += d
            cover[py:py + patch, px:px + patch] += 1
    return total / cover


def blur_3x3(x, sigma):
    """3x3 Gaussian (weights exp(-d^2 / 2 sigma^2), d the offset along each axis), each
    output divided by the sum of the weights of the taps inside the image: a 2-D
    convolution with zero padding divided by the same convolution of ones."""
    t = torch.tensor([math.exp(-1.0 / (2.0 * sigma * sigma)), 1.0, math.exp(-1.0 / (2.0 * sigma * sigma))], dtype=DTYPE)
    kernel = (t[:, None] * t[None, :])[None, None]
    n, c, h, w = x.shape
    flat = x.reshape(n * c, 1, h, w)
    weight = F.conv2d(torch.ones(1, 1, h, w, dtype=DTYPE), kernel, padding=1)
    return (F.conv2d(flat, kernel, padding=1) / weight).reshape(n, c, h, w)


def objective_value(values, kind, channel):
    """J per image for a channel of a [N, C, H, W] node (mean or sum of the map) or a unit of [N, F]."""
    if kind == "mean":
        return values[:, channel].mean(dim=(1, 2))
    if kind == "sum":
        return values[:, channel].sum(dim=(1, 2))
    assert kind == "unit"
    return values[:, channel]


def objective_gradient(forward, p, x, vis):
    x = x.clone().requires_grad_(True)
    _, v = forward(x, p)
    j = objective_value(v[vis["node"]], vis["kind"], vis["channel"])
    # Penalties are subtracted: the engine ascends J - l2 * |x|^2 / 2 - tv * TV(x).
    penalty = 0.5 * vis["l2"] * (x * x).sum()
    dy, dx = x[:, :, 1:, :] - x[:, :, :-1, :], x[:, :, :, 1:] - x[:, :, :, :-1]
    penalty = penalty + vis["tv"] * ((dy * dy).sum() + (dx * dx).sum())
    (g,) = torch.autograd.grad(j.sum() - penalty, [x])
    return float(j.sum()), g


def visualize(forward, p, x0, vis):
    x = x0.clone()
    objective = []
    for _ in range(vis["steps"]):
        j, g = objective_gradient(forward, p, x, vis)
        objective.append(j)
        x = x + vis["lr"] * g
        if vis["blur"] > 0:
            x = blur_3x3(x, vis["blur"])
    return x, torch.tensor(objective, dtype=DTYPE)


# ---- one case ---------------------------------------------------------------------------

def emit_case(out_dir, name, network, build, spec):
    r = ref.Rand(name)
    net, forward, (h, w) = build(r)
    p = {k: v.value for k, v in net.params.items()}
    n, explain = spec["images"], spec["explain"]
    x = r.uniform((n, 3, h, w))
    labels = torch.randint(0, CLASSES, (n,), generator=r.g)
    xe = x[:explain]
    # A random network tends to predict one class for every image (its mean logits
    # differ more than the images move them). Centring the final layer's bias on
    # this batch makes the predicted class vary from image to image.
    final = spec["final_dense"]
    with torch.no_grad():
        features = forward(x, p)[1][spec["final_input"]]
        centred = -F.linear(features, p[final + ".weight"]).mean(dim=0) + r.uniform((CLASSES,), -0.02, 0.02)
        centred = centred.to(torch.float32).to(DTYPE)
        net.params[final + ".bias"].value.copy_(centred)
        net.params[final + ".bias"].initial = centred.clone()
    tensors = [("in0", ref.act(x))]
    for pname, par in net.params.items():
        tensors.append(("param/" + pname, par.convert(par.initial)))

    with torch.no_grad():
        logits, values = forward(x, p)
    tensors.append(("logits", logits))
    # The predicted class must not hang on float32 rounding: a clear top-1 margin.
    top2 = logits[:explain].topk(2, dim=1).values
    assert ((top2[:, 0] - top2[:, 1]) > 1e-3 * logits.abs().max()).all(), name + ": near-tie in the top logits"
    predicted = logits[:explain].argmax(dim=1)
    # Given classes: random, but never the predicted one (that case is covered already).
    given = (predicted + torch.randint(1, CLASSES, (explain,), generator=r.g)) % CLASSES
    tensors.append(("predicted", predicted.to(DTYPE)))
    choices = {"predicted": predicted, "given": given}

    # Contribution, its share, CAPTOR and weight-gradient scores per image.
    for node in spec["contribution_nodes"]:
        for choice, cls in choices.items():
            a, g = node_gradients(forward, p, xe, cls, [node])[node]
            c = spatial_sum(a * g)
            tensors.append(("contribution/%s/%s" % (node, choice), c))
            tensors.append(("captor/%s/%s" % (node, choice), spatial_sum(g).abs()))
            if choice == "predicted":
                tensors.append(("share/%s" % node, c / c.clamp(min=0).sum(dim=1, keepdim=True)))
    for node in spec["weight_gradient_nodes"]:
        for choice, cls in choices.items():
            tensors.append(("weight_gradient/%s/%s" % (node, choice), weight_gradient_scores(forward, p, xe, cls, node)))
    for node in spec.get("linear_nodes", []):
        a = values[node][:explain]
        wfc = p[spec["linear_dense"] + ".weight"]
        tensors.append(("linear/%s" % node, wfc[predicted] * a.mean(dim=(2, 3))))

    # Per category over the whole labelled batch.
    for score, node in spec["gamma"]:
        tensors.append(("gamma/%s/%s" % (score, node), gamma(forward, p, x, labels, node, score)))
    for node in spec["response_nodes"]:
        resp = spatial_sum(values[node])
        tensors.append(("responses/%s" % node, resp))
        tensors.append(("category_activation/%s" % node, per_category_mean(resp, labels)))
    for node, channel, k in spec["top"]:
        a = values[node][:, channel]
        resp = a.sum(dim=(1, 2))
        order = resp.argsort(descending=True)
        top_resp = resp[order[:k + 1]]
        assert ((top_resp[:-1] - top_resp[1:]) > 1e-4 * resp.abs().max()).all(), name + ": near-tie in the top images"
        rows = []
        for i in order[:k].tolist():
            peak = int(a[i].flatten().argmax())
            rows.append([i, float(resp[i]), peak // a.shape[2], peak % a.shape[2]])
        tensors.append(("top/%s/%d" % (node, channel), torch.tensor(rows, dtype=DTYPE)))

    # Focus maps, image by image.
    for choice, cls in choices.items():
        for i in range(explain):
            xi, c = xe[i:i + 1], int(cls[i])
            for node in spec["gradcam_nodes"]:
                tensors.append(("gradcam/%s/%s/%d" % (node, choice, i), grad_cam(forward, p, xi, c, node)))
            tensors.append(("saliency/%s/%d" % (choice, i), saliency(forward, p, xi, c)))
            for j, (patch, stride, fill) in enumerate(spec["occlusion"]):
                tensors.append(("occlusion/%d/%s/%d" % (j, choice, i), occlusion(forward, p, xi, c, patch, stride, fill)))

    # Visualizations.
    attrs = {}
    for vis in spec["visualizations"]:
        vname = vis["name"]
        scale = torch.tensor(vis.get("scale", [1.0]), dtype=DTYPE)
        shift = torch.tensor(vis.get("shift", [0.0]), dtype=DTYPE)
        if vis["start"] == "constant":
            # The constant start is given in display pixels: input = pixel * scale + shift per channel.
            x0 = (vis["start_pixel"] * scale + shift).view(1, -1, 1, 1).expand(1, 3, h, w).clone()
        else:
            x0 = r.uniform((1, 3, h, w))
        if "channel" not in vis:
            # The most active channel at the start, so the objective has a gradient (a channel
            # that is zero everywhere after its ReLU has none).
            with torch.no_grad():
                vis["channel"] = int(forward(x0, p)[1][vis["node"]].mean(dim=(0, 2, 3)).argmax())
        # The step size: given, or chosen so the first step moves the image by `move` at most,
        # far above float32 rounding of the image (the engine's result is float32).
        if "lr" not in vis:
            _, g0 = objective_gradient(forward, p, x0, dict(vis, l2=0.0, tv=0.0))
            vis["lr"] = f32(vis.pop("move") / float(g0.abs().max()))
        vis.setdefault("l2", 0.0)
        vis.setdefault("tv", 0.0)
        if "l2_times_lr" in vis:
            vis["l2"] = f32(vis.pop("l2_times_lr") / vis["lr"])
        if "tv_times_lr" in vis:
            vis["tv"] = f32(vis.pop("tv_times_lr") / vis["lr"])
        image, objective = visualize(forward, p, x0, vis)
        # The update image - start is written too, from float64: compared by itself it is not
        # dwarfed by the start image, so it checks the gradient steps to 1e-4 of their size.
        tensors += [("vis/%s/start" % vname, ref.act(x0)), ("vis/%s/image" % vname, ref.act(image)),
                    ("vis/%s/update" % vname, ref.act(image - x0)),
                    ("vis/%s/objective" % vname, objective), ("vis/%s/scale" % vname, scale),
                    ("vis/%s/shift" % vname, shift)]
        for key in ("node", "kind", "channel", "steps", "lr", "blur", "l2", "tv", "start"):
            attrs["vis/%s/%s" % (vname, key)] = vis[key]
        attrs["vis/%s/start_pixel" % vname] = vis.get("start_pixel", 0.0)

    attrs.update(network=network, classes=CLASSES, explain=explain, labels=csv(labels.tolist()),
                 given_classes=csv(given.tolist()), contribution_nodes=csv(spec["contribution_nodes"]),
                 weight_gradient_nodes=csv(spec["weight_gradient_nodes"]),
                 gamma=csv("%s:%s" % sg for sg in spec["gamma"]), gradcam_nodes=csv(spec["gradcam_nodes"]),
                 occlusion=csv("%d:%d:%r" % o for o in spec["occlusion"]), response_nodes=csv(spec["response_nodes"]),
                 top=csv("%s:%d:%d" % t for t in spec["top"]), linear_nodes=csv(spec.get("linear_nodes", [])),
                 visualizations=csv(v["name"] for v in spec["visualizations"]))
    ref.write_case(os.path.join(out_dir, name + ".nlref"), "interpret_" + network, attrs, tensors)
    return name


# Pre- and post-activation nodes at two depths (and a dense layer), weight-gradient
# scores of Conv2D and Dense nodes, per-category tables for every score type.
# The VGG's visualizations start from a random image: from a constant image its
# max pools see exact ties, and which input receives the gradient would then
# depend on tie-breaking, not on the method.
VGG_SPEC = dict(
    images=40, explain=3, final_dense="fc2", final_input="fc1_relu",
    contribution_nodes=["conv1", "relu1", "bn3", "relu3", "fc1", "fc1_relu"],
    weight_gradient_nodes=["conv1", "conv2", "conv3", "fc1"],
    gamma=[("gxa", "bn3"), ("gxa", "relu3"), ("captor", "relu3"), ("wgrad", "conv3"), ("wgrad", "fc1")],
    gradcam_nodes=["relu3", "conv3", "relu2"],
    occlusion=[(4, 2, 0.0), (5, 3, -0.5)],
    response_nodes=["relu2", "fc1_relu"],
    top=[("relu3", 5, 4)],
    visualizations=[
        dict(name="step_image", node="relu3", kind="mean", steps=1, move=0.5, blur=0.0, start="image"),
        dict(name="blur_image", node="relu2", kind="mean", steps=4, move=0.3, blur=f32(0.4), start="image"),
        dict(name="penalties", node="conv3", kind="sum", steps=3, move=0.3, blur=f32(0.4), start="image",
             l2_times_lr=0.1, tv_times_lr=0.02),
        dict(name="logit", node="fc2", kind="unit", channel=3, steps=2, move=0.3, blur=f32(0.4), start="image"),
    ],
)

# The ResNet starts its visualizations from a constant image, as the paper does
# (no max pool, so no ties), through a per-channel input normalisation.
RESNET_SPEC = dict(
    images=36, explain=3, final_dense="fc", final_input="pool",
    contribution_nodes=["b1_bn2", "b1_relu", "b2_add", "b2_relu"],
    weight_gradient_nodes=["stem", "b1_conv2", "b2_conv2", "b2_proj"],
    gamma=[("gxa", "b2_relu"), ("captor", "b1_relu"), ("wgrad", "b2_conv1")],
    gradcam_nodes=["b2_relu", "b1_relu"],
    occlusion=[(4, 2, 0.0), (3, 3, 0.25)],
    response_nodes=["b2_relu"],
    top=[("b2_relu", 3, 5)],
    linear_nodes=["b2_relu"], linear_dense="fc",
    visualizations=[
        dict(name="step_constant", node="b1_relu", kind="mean", steps=1, move=0.5, blur=0.0,
             start="constant", start_pixel=f32(0.05), scale=[f32(1 / 0.25), f32(1 / 0.2), f32(1 / 0.3)],
             shift=[f32(-0.5 / 0.25), f32(-0.4 / 0.2), f32(-0.3 / 0.3)]),
        dict(name="paper", node="b2_relu", kind="mean", steps=5, move=0.3, blur=f32(0.4),
             start="constant", start_pixel=f32(0.05)),
        dict(name="paper_lr", node="b2_relu", kind="sum", steps=3, lr=f32(0.14), blur=f32(0.4),
             start="constant", start_pixel=f32(0.05)),
    ],
)

CASES = [("interpret_vgg", "vgg", vgg, VGG_SPEC), ("interpret_resnet", "resnet", resnet, RESNET_SPEC)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output_dir")
    args = parser.parse_args()
    os.makedirs(args.output_dir, exist_ok=True)
    torch.set_num_threads(1)
    start = time.time()
    names = [emit_case(args.output_dir, name, network, build, spec) for name, network, build, spec in CASES]
    # Written last: its presence means the set is complete.
    with open(os.path.join(args.output_dir, "index.txt"), "w") as f:
        f.write("# NeuronLens interpretation reference cases, format NLREF v%d, torch %s\n" % (ref.VERSION, torch.__version__))
        for n in names:
            f.write(n + "\n")
    print("make_interpret_reference: %d cases in %s (%.1f s)" % (len(names), args.output_dir, time.time() - start))


if __name__ == "__main__":
    sys.exit(main())
