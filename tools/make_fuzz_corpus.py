#!/usr/bin/python3
"""Seed corpora for the libFuzzer targets (tests/fuzz/*_fuzz.cpp).

Usage: tools/make_fuzz_corpus.py OUT_DIR [TARGET...]
Writes OUT_DIR/<target>/<name> for each target (all when none are named):
valid files of every kind the reader accepts, and edge cases around its
checks (truncations, huge header sizes, zero sizes, wrong types). Everything
is generated here, from the formats' specifications: nothing is copied in.
tools/fuzz calls this; the seeds are build outputs, never committed.
Needs Debian's python3 (PIL for the image formats, onnx for ONNX models).
"""
import base64
import io
import json
import os
import struct
import sys
import zlib

TARGETS = {}


def target(fn):
    TARGETS[fn.__name__.replace('seeds_', '')] = fn
    return fn


def two_files(first, second):
    """tests/fuzz/fuzz_input.h: u32 little-endian length of the first file, then both."""
    return struct.pack('<I', len(first)) + first + second


# ---- images ------------------------------------------------------------------------
def png(width, height, colour_type, bit_depth, rows, interlace=0, claim=None):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    w, h = claim or (width, height)
    ihdr = struct.pack('>IIBBBBB', w, h, bit_depth, colour_type, 0, 0, interlace)
    raw = b''.join(b'\x00' + r for r in rows)
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
    if colour_type == 3:
        out += chunk(b'PLTE', bytes(range(0, 256, 16)) * 3)
    return out + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')


def bmp(width, height, pixels_bgr, claim=None):
    w, h = claim or (width, height)
    row = (width * 3 + 3) & ~3
    data = b''.join(pixels_bgr[y * width * 3:(y + 1) * width * 3].ljust(row, b'\0') for y in range(height))
    header = b'BM' + struct.pack('<IHHI', 54 + len(data), 0, 0, 54)
    info = struct.pack('<IiiHHIIiiII', 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0)
    return header + info + data


@target
def seeds_image():
    s = {}
    s['grey_1x1.png'] = png(1, 1, 0, 8, [b'\x80'])
    s['rgba_5x3.png'] = png(5, 3, 6, 8, [bytes(v for x in range(5) for v in (x * 50, y * 80, 128, 255 - x * 40))
                                         for y in range(3)])
    s['grey_alpha_2x2.png'] = png(2, 2, 4, 8, [b'\x10\xff\x20\x00', b'\x30\x80\x40\x40'])
    s['palette_4x1.png'] = png(4, 1, 3, 8, [b'\x00\x05\x0a\x0f'])
    s['rgb16_2x1.png'] = png(2, 1, 2, 16, [b'\xff\xff\x00\x00\x80\x00' * 2])
    s['grey1bit_8x2.png'] = png(8, 2, 0, 1, [b'\xaa', b'\x55'])
    s['interlaced_3x3.png'] = png(3, 3, 0, 8, [b'\x01\x02\x03'] * 3, interlace=1)
    s['huge_claim.png'] = png(1, 1, 0, 8, [b'\x00'], claim=(100000, 100000))   # over the pixel limit
    s['zero_width.png'] = png(1, 1, 0, 8, [b'\x00'], claim=(0, 1))
    s['truncated.png'] = png(5, 3, 2, 8, [b'\x7f' * 15] * 3)[:60]
    s['rgb_3x2.bmp'] = bmp(3, 2, bytes(range(18)))
    s['huge_claim.bmp'] = bmp(1, 1, b'\0\0\0', claim=(50000, 50000))
    s['top_down.bmp'] = bmp(2, 2, bytes(range(12)), claim=(2, -2))
    s['grey_3x2.pgm'] = b'P5\n3 2\n255\n' + bytes([0, 50, 100, 150, 200, 250])
    s['rgb_2x1.ppm'] = b'P6 2 1 255\n' + bytes([255, 0, 0, 0, 0, 255])
    s['ascii.pgm'] = b'P2\n2 1\n15\n0 15\n'
    s['huge.ppm'] = b'P6 99999 99999 255\n\0\0\0'
    # TGA: uncompressed true colour 2x1, and run-length encoded grey 4x1.
    s['rgb_2x1.tga'] = struct.pack('<BBBHHBHHHHBB', 0, 0, 2, 0, 0, 0, 0, 0, 2, 1, 24, 0) + bytes([1, 2, 3, 4, 5, 6])
    s['rle_grey_4x1.tga'] = struct.pack('<BBBHHBHHHHBB', 0, 0, 11, 0, 0, 0, 0, 0, 4, 1, 8, 0) + bytes([0x83, 0x40])
    try:
        from PIL import Image
        img = Image.new('RGB', (9, 7))
        img.putdata([(x * 28, y * 36, (x + y) * 16) for y in range(7) for x in range(9)])
        for name, kw in [('baseline.jpg', {'quality': 80}), ('progressive.jpg', {'quality': 60, 'progressive': True}),
                         ('grey.jpg', {}), ('anim.gif', {}), ('palette.gif', {})]:
            b = io.BytesIO()
            im = img.convert('L') if name == 'grey.jpg' else img
            if name == 'anim.gif':
                im.save(b, format='GIF', save_all=True, append_images=[img.rotate(90)], duration=10, loop=0)
            else:
                im.save(b, format='GIF' if name.endswith('.gif') else 'JPEG', **kw)
            s[name] = b.getvalue()
    except ImportError:
        print('make_fuzz_corpus: no PIL, no JPEG/GIF seeds', file=sys.stderr)
    return s


# ---- models ------------------------------------------------------------------------
def safetensors(tensors, metadata=None):
    header, data = {}, b''
    for name, shape, values in tensors:
        raw = struct.pack('<%df' % len(values), *values)
        header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header['__metadata__'] = metadata
    h = json.dumps(header).encode()
    return struct.pack('<Q', len(h)) + h + data


def model_json(nodes, shape=(1, 4, 4, 1), labels=('a', 'b'), colour='grey', **extra):
    doc = {'format': 'neuronlens-model', 'version': 1, 'name': 'fuzz', 'description': 'a fuzz seed',
           'input': {'name': 'image', 'layout': 'NHWC', 'shape': list(shape)},
           'preprocessing': {'colour': colour, 'invert': False, 'scale': 1 / 255, 'mean': [0.5], 'std': [0.25]},
           'labels': list(labels), 'nodes': nodes, 'metadata': {'seed': True}}
    doc.update(extra)
    return json.dumps(doc).encode()


def values(n, scale=0.1):
    return [((i * 37) % 17 - 8) * scale for i in range(n)]


@target
def seeds_model():
    s = {}
    conv = [{'name': 'conv', 'op': 'Conv2D', 'inputs': ['image'], 'settings': {'out_channels': 2, 'kernel': 3, 'padding': 1}},
            {'name': 'relu', 'op': 'ReLU', 'inputs': ['conv']},
            {'name': 'pool', 'op': 'MaxPool2D', 'inputs': ['relu'], 'settings': {'kernel': 2}},
            {'name': 'flat', 'op': 'Flatten', 'inputs': ['pool']},
            {'name': 'fc', 'op': 'Dense', 'inputs': ['flat'], 'settings': {'out_features': 2}}]
    w = safetensors([('conv.weight', [2, 3, 3, 1], values(18)), ('conv.bias', [2], [0.1, -0.1]),
                     ('fc.weight', [2, 8], values(16)), ('fc.bias', [2], [0, 0])], {'format': 'pt'})
    s['cnn'] = two_files(model_json(conv), w)
    s['cnn_no_weights'] = two_files(model_json(conv), b'')
    s['cnn_truncated_weights'] = two_files(model_json(conv), w[:len(w) - 7])
    s['cnn_wrong_shape'] = two_files(model_json(conv), safetensors([('conv.weight', [2, 3, 3, 2], values(36))]))
    every = [{'name': 'bn', 'op': 'BatchNorm', 'inputs': ['image']},
             {'name': 'avg', 'op': 'AvgPool2D', 'inputs': ['bn'], 'settings': {'kernel': 2, 'stride': 1, 'padding': 1,
                                                                               'ceil_mode': True, 'count_include_pad': False}},
             {'name': 'leaky', 'op': 'LeakyReLU', 'inputs': ['avg'], 'settings': {'alpha': 0.1}},
             {'name': 'clip', 'op': 'Clip', 'inputs': ['leaky'], 'settings': {'min': 0, 'max': 6}},
             {'name': 'hs', 'op': 'HardSigmoid', 'inputs': ['clip']},
             {'name': 'hw', 'op': 'HardSwish', 'inputs': ['hs']},
             {'name': 'add', 'op': 'Add', 'inputs': ['hw', 'clip']},
             {'name': 'cat', 'op': 'Concat', 'inputs': ['add', 'leaky']},
             {'name': 'gconv', 'op': 'Conv2D', 'inputs': ['cat'], 'settings': {'out_channels': 2, 'kernel': [1, 2], 'groups': 2,
                                                                              'stride': [1, 2], 'dilation': 1, 'bias': False}},
             {'name': 'sig', 'op': 'Sigmoid', 'inputs': ['gconv']},
             {'name': 'tanh', 'op': 'Tanh', 'inputs': ['sig']},
             {'name': 'scale', 'op': 'Scale', 'inputs': ['tanh'], 'settings': {'factor': 2}},
             {'name': 'drop', 'op': 'Dropout', 'inputs': ['scale'], 'settings': {'p': 0.2}},
             {'name': 'gap', 'op': 'GlobalAvgPool', 'inputs': ['drop']},
             {'name': 'soft', 'op': 'Softmax', 'inputs': ['gap']}]
    w2 = safetensors([('bn.weight', [1], [1]), ('bn.bias', [1], [0]), ('bn.running_mean', [1], [0.2]),
                      ('bn.running_var', [1], [0.5]), ('gconv.weight', [2, 1, 2, 1], values(4))])
    s['every_op'] = two_files(model_json(every, shape=(1, 5, 5, 1)), w2)
    s['huge_conv'] = two_files(model_json([{'name': 'c', 'op': 'Conv2D', 'inputs': ['image'],
                                            'settings': {'out_channels': 16000000, 'kernel': 3}}]), w)
    s['deep_json'] = two_files(b'[' * 200 + b']' * 200, w)
    s['empty'] = b''
    s['safetensors_huge_header'] = two_files(b'{}', struct.pack('<Q', 1 << 62) + b'{}')
    s['safetensors_overlap'] = two_files(b'{}', struct.pack('<Q', 100) + json.dumps(
        {'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},
         'b': {'dtype': 'F32', 'shape': [1], 'data_offsets': [4, 8]}}).encode().ljust(100) + b'\0' * 8)
    return s


@target
def seeds_onnx():
    s = {}
    try:
        import numpy as np
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print('make_fuzz_corpus: no onnx module, no ONNX seeds', file=sys.stderr)
        return s

    def model(nodes, inits, in_shape, out_shape, opset=13):
        graph = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, in_shape)],
                                  [helper.make_tensor_value_info('y', TensorProto.FLOAT, out_shape)],
                                  [numpy_helper.from_array(np.asarray(v, dtype=np.float32).reshape(sh), n) for n, sh, v in inits])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)], producer_name='fuzz-seed')
        return m.SerializeToString()

    s['cnn.onnx'] = model([
        helper.make_node('Conv', ['x', 'w', 'b'], ['c'], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['c'], ['r']),
        helper.make_node('MaxPool', ['r'], ['p'], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node('Flatten', ['p'], ['f']),
        helper.make_node('Gemm', ['f', 'fw', 'fb'], ['y'], transB=1)],
        [('w', [2, 1, 3, 3], values(18)), ('b', [2], [0.1, -0.1]), ('fw', [3, 8], values(24)), ('fb', [3], [0, 0, 0])],
        [1, 1, 4, 4], [1, 3])
    s['bn_add_gap.onnx'] = model([
        helper.make_node('BatchNormalization', ['x', 'g', 'be', 'm', 'v'], ['n']),
        helper.make_node('Add', ['n', 'x'], ['a']),
        helper.make_node('GlobalAveragePool', ['a'], ['gp']),
        helper.make_node('Reshape', ['gp', 'shape'], ['y'])],
        [('g', [2], [1, 2]), ('be', [2], [0, 1]), ('m', [2], [0, 0.5]), ('v', [2], [1, 2]), ('shape', [2], [1, -1])],
        [1, 2, 3, 3], [1, 2], opset=11)
    s['dynamic.onnx'] = model([helper.make_node('Relu', ['x'], ['r']), helper.make_node('Flatten', ['r'], ['y'])],
                              [], ['N', 1, 'H', 'W'], ['N', 'F'], opset=17)
    s['unsupported_op.onnx'] = model([helper.make_node('Resize', ['x'], ['y'])], [], [1, 1, 2, 2], [1, 1, 4, 4])
    s['cycle.onnx'] = model([helper.make_node('Relu', ['y'], ['a']), helper.make_node('Relu', ['a'], ['y'])],
                            [], [1, 1, 2, 2], [1, 1, 2, 2])
    s['empty.onnx'] = b''
    try:
        import torch
        net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                                  torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(8, 3), torch.nn.Softmax(1)).eval()
        b = io.BytesIO()
        torch.onnx.export(net, torch.zeros(1, 1, 4, 4), b, opset_version=13)
        s['torch_cnn.onnx'] = b.getvalue()
    except Exception as e:  # torch is optional here
        print('make_fuzz_corpus: no torch export (%s)' % e, file=sys.stderr)
    return s


# ---- share links -------------------------------------------------------------------
def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip('=')


def deflate_raw(b, level=9):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


@target
def seeds_link_state():
    state = {'v': 1, 'model': 'mnist-cnn', 'invert': False, 'layer': 'conv2', 'neuron': 7,
             'viz': {'objective': 'mean', 'steps': 256, 'learningRate': 0.05, 'optimizer': 'adam', 'blur': 0.4, 'l2': 0,
                     'tv': 0, 'jitter': 1, 'scaleJitter': 0, 'rotate': 0, 'start': 'constant', 'seed': 1},
             'focus': {'method': 'gradcam', 'target': -1},
             'clusters': {'layer': 'conv1', 'source': 'activation', 'similarity': 'pearson', 'features': 'activation',
                          'method': 'kmeans', 'k': 4},
             'panels': {'input': True, 'clusters': False}, 'input': {'pixels': b64url(bytes(range(0, 256, 3)))}}
    text = json.dumps(state, separators=(',', ':')).encode()
    s = {'full_dynamic': '#s=' + b64url(deflate_raw(text)),
         'full_stored': 's=' + b64url(deflate_raw(text, 0)),
         'full_fast': 's=' + b64url(deflate_raw(text, 1)),
         'sample': 's=' + b64url(deflate_raw(b'{"v":1,"input":{"sample":12},"neuron":null,"layer":"a \\"b\\" \\u00e9"}')),
         'unknown_key': 's=' + b64url(deflate_raw(b'{"v":1,"zoom":3}')),
         'bad_range': 's=' + b64url(deflate_raw(b'{"v":1,"viz":{"steps":1e9}}')),
         'not_object': 's=' + b64url(deflate_raw(b'[]')),
         'empty': '', 'prefix_only': 's=', 'bad_base64': 's=ab$d', 'other': '#page=2'}
    return {k: v.encode() for k, v in s.items()}


# ---- datasets ----------------------------------------------------------------------
def idx(dims, data, kind=8):
    return b'\0\0' + bytes([kind, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + bytes(data)


@target
def seeds_idx():
    images = idx([2, 28, 28], [(i * 13) % 256 for i in range(2 * 784)])
    labels = idx([2], [3, 9])
    return {'mnist_like': two_files(images, labels),
            'small': two_files(idx([3, 2, 2], range(12)), idx([3], [0, 1, 2])),
            'label_out_of_range': two_files(idx([1, 1, 1], [0]), idx([1], [200])),
            'count_mismatch': two_files(idx([2, 1, 1], [0, 1]), idx([3], [0, 1, 2])),
            'huge_dims': two_files(idx([0xffffffff, 0xffffffff, 0xffffffff], b''), labels),
            'zero_dim': two_files(idx([0, 28, 28], b''), idx([0], b'')),
            'float_type': two_files(idx([1], b'\0\0\0\0', kind=0x0d), labels),
            'rank5': two_files(idx([1, 1, 1, 1, 1], [7]), labels),
            'trailing': two_files(idx([1], [1]) + b'\0', idx([1], [1])),
            'empty': b''}


@target
def seeds_digits_json():
    one = [round(((i * 31) % 256) / 255, 4) for i in range(784)]
    return {'one': json.dumps({'data': one}).encode(),
            'two': json.dumps({'data': one + [0] * 784}).encode(),
            'ints': json.dumps({'data': [1, 0] * 392}).encode(),
            'exponents': ('{"data":[' + ','.join(['1e-3', '5E-1', '0.0e0', '1.0'] * 196) + ']}').encode(),
            'not_multiple': json.dumps({'data': [0.5] * 100}).encode(),
            'out_of_range': json.dumps({'data': [2] * 784}).encode(),
            'extra_key': json.dumps({'data': one, 'x': 1}).encode(),
            'empty_data': b'{"data":[]}', 'nested': b'{"data":[[0]]}', 'garbage': b'{"data":[0,', 'empty': b''}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    names = sys.argv[2:] or sorted(TARGETS)
    for name in names:
        if name not in TARGETS:
            sys.exit('make_fuzz_corpus: no target %r (known: %s)' % (name, ', '.join(sorted(TARGETS))))
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        seeds = TARGETS[name]()
        for seed, data in seeds.items():
            with open(os.path.join(folder, seed), 'wb') as f:
                f.write(data)
        print('%s: %d seeds in %s' % (name, len(seeds), folder))


if __name__ == '__main__':
    main()
