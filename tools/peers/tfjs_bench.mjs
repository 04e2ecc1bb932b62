// TensorFlow.js 4.22.0 with its WebAssembly backend (XNNPACK inside, SIMD), under Node,
// as a peer of `tools/bench peers`. Builds each model from the spec.json and weights.bin
// that export_models.py wrote (TensorFlow layouts, NHWC) with tfjs ops:
//   conv: tf.fused.conv2d (bias and ReLU fused, explicit padding like PyTorch's),
//   maxpool: tf.maxPool (numeric padding), add (+ReLU), global average pool: tf.mean,
//   dense: tf.fused.matMul; for the gradient the same graph with unfused ops (see buildModel).
//
//   node tools/peers/tfjs_bench.mjs MODELS_DIR [--threads 1] [--runs 20] [--warmup 3]
//        [--models cnn_a,resnet18,fashion_vgg] [--workloads forward_b1,forward_b64,grad_b1]
//
// Prints one JSON line per result and writes MODELS_DIR/<model>/out/tfjs-wasm_t<N>_<workload>.npy
// (logits [N, classes]; the input gradient N x C x H x W) for the cross-check.
//
// Threads: tfjs-backend-wasm 4.22.0 disables its multithreaded build under Node
// (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE). With --threads N > 1 this script
// forces the flag and gives Node's worker_threads the pthread scripts as files instead of
// blob: URLs (loader plumbing only, nothing of the math changes), then checks how many
// threads XNNPACK's pool really has, and reports nothing unless it is N.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import {parseArgs, readNpy, writeNpy, timeRuns, printResult} from './common.mjs';

const require = createRequire(import.meta.url);

// Node's worker_threads take files, not blob: URLs: write the Blobs the backend makes
// for its pthread workers (the worker script, and the module's own source as
// mainScriptUrlOrBlob) to temporary files. The module's source refers to the bundle's
// rollup shims, which the prelude defines.
function servePthreadScriptsAsFiles() {
  const NodeBlob = globalThis.Blob;
  class RecordingBlob extends NodeBlob {
    constructor(parts, options) {
      super(parts, options);
      this.textParts = parts.every(p => typeof p === 'string') ? parts : null;
    }
  }
  globalThis.Blob = RecordingBlob;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-'));
  process.on('exit', () => fs.rmSync(dir, {recursive: true, force: true}));
  const prelude = "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), " +
                  "require$$4 = require('os'), commonjsGlobal = globalThis;\n";
  let files = 0;
  const toFile = blob => {
    const file = path.join(dir, `script${files++}.cjs`);
    fs.writeFileSync(file, prelude + blob.textParts.join(''));
    return file;
  };
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = blob => (blob instanceof RecordingBlob && blob.textParts ? toFile(blob) : createObjectURL(blob));
  Object.defineProperty(Object.prototype, 'mainScriptUrlOrBlob', {
    configurable: true,
    set(v) {
      Object.defineProperty(this, 'mainScriptUrlOrBlob', {
        value: v instanceof RecordingBlob && v.textParts ? toFile(v) : v, writable: true, enumerable: true});
    },
  });
}

const options = parseArgs(process.argv.slice(2), {
  threads: '1', runs: '20', warmup: '3', models: 'cnn_a,resnet18,fashion_vgg',
  workloads: 'forward_b1,forward_b64,grad_b1',
});
const modelsDir = options.positional[0];
if (!modelsDir) throw new Error('usage: tfjs_bench.mjs MODELS_DIR [options]');
const threads = Number(options.threads), runs = Number(options.runs), warmup = Number(options.warmup);
if (threads > 1) servePthreadScriptsAsFiles();
const tf = require('@tensorflow/tfjs');  // core with every gradient registered
const wasm = require('@tensorflow/tfjs-backend-wasm');

wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
if (threads > 1) {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
}
await tf.setBackend('wasm');
await tf.ready();
if (wasm.getThreadsCount() !== threads) {
  console.error(`tfjs_bench: asked for ${threads} threads, XNNPACK's pool has ${wasm.getThreadsCount()}: no figures`);
  process.exit(0);
}
const engine = 'tfjs-wasm';
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
console.error(`tfjs_bench: tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, SIMD ${simd}, multithread ${multithread}`);

// The model as a function of the input, up to node `last` (default: the output). `fused`:
// convolutions and dense layers as tfjs's fused ops (bias and ReLU inside); else as
// separate conv2d/matMul, add and relu. Gradients need the unfused form: the fused ops'
// gradient computes the filter's gradient too (Conv2DBackpropFilter, which the wasm
// backend lacks), while unfused ops compute only the gradients on the path to the input.
function buildModel(spec, weightsBuffer, fused) {
  const tensors = new Map();
  const weight = w => {
    if (!tensors.has(w.name)) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      tensors.set(w.name, tf.tensor(new Float32Array(weightsBuffer, w.offset, n), w.shape));
    }
    return tensors.get(w.name);
  };
  for (const node of spec.nodes) for (const key of ['weight', 'bias']) if (node[key]) weight(node[key]);
  const pad = p => (p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]]);
  return (x, last = spec.nodes.length) => {
    const values = [x];
    for (const node of spec.nodes) {
      if (node.id > last) break;
      const at = i => values[i];
      let y;
      switch (node.op) {
        case 'conv':
          if (fused) {
            y = tf.fused.conv2d({x: at(node.input), filter: weight(node.weight), strides: node.stride, pad: pad(node.pad),
                                 bias: weight(node.bias), activation: node.relu ? 'relu' : 'linear'});
          } else {
            y = tf.add(tf.conv2d(at(node.input), weight(node.weight), node.stride, pad(node.pad)), weight(node.bias));
            if (node.relu) y = tf.relu(y);
          }
          break;
        case 'maxpool':
          y = tf.maxPool(at(node.input), node.k, node.s, node.pad === 0 ? 'valid' : node.pad);
          break;
        case 'add':
          y = tf.add(at(node.inputs[0]), at(node.inputs[1]));
          if (node.relu) y = tf.relu(y);
          break;
        case 'gap':
          y = tf.mean(at(node.input), [1, 2]);
          break;
        case 'flatten':
          y = tf.reshape(at(node.input), [at(node.input).shape[0], -1]);
          break;
        case 'dense':
          if (fused) {
            y = tf.fused.matMul({a: at(node.input), b: weight(node.weight), bias: weight(node.bias),
                                 activation: node.relu ? 'relu' : 'linear'});
          } else {
            y = tf.add(tf.matMul(at(node.input), weight(node.weight)), weight(node.bias));
            if (node.relu) y = tf.relu(y);
          }
          break;
        default:
          throw new Error(`tfjs_bench: unknown op ${node.op}`);
      }
      values[node.id] = y;
    }
    return values[Math.min(last, spec.nodes.length)];
  };
}

const wanted = new Set(options.workloads.split(','));
for (const name of options.models.split(',')) {
  const folder = path.join(modelsDir, name);
  if (!fs.existsSync(path.join(folder, 'spec.json'))) continue;
  const spec = JSON.parse(fs.readFileSync(path.join(folder, 'spec.json'), 'utf8'));
  const weightsFile = fs.readFileSync(path.join(folder, 'weights.bin'));
  const weightsBuffer = weightsFile.buffer.slice(weightsFile.byteOffset, weightsFile.byteOffset + weightsFile.length);
  const model = buildModel(spec, weightsBuffer, true);
  const unfusedModel = buildModel(spec, weightsBuffer, false);
  fs.mkdirSync(path.join(folder, 'out'), {recursive: true});
  const input = batch => {
    const {shape, data} = readNpy(path.join(folder, `input_b${batch}.npy`));
    return tf.tidy(() => tf.transpose(tf.tensor(data, shape), [0, 2, 3, 1]));  // NCHW -> NHWC
  };
  const outPath = workload => path.join(folder, 'out', `${engine}_t${threads}_${workload}.npy`);
  for (const batch of [1, 64]) {
    const workload = `forward_b${batch}`;
    if (!wanted.has(workload)) continue;
    const x = input(batch);
    const y = tf.tidy(() => model(x));
    writeNpy(outPath(workload), y.shape, y.dataSync());
    y.dispose();
    const t = await timeRuns(() => { const out = tf.tidy(() => model(x)); out.dataSync(); out.dispose(); }, runs, warmup);
    printResult({engine, platform: 'wasm', model: name, workload, threads, runs, ...t,
                 flops: spec.flops_per_image * batch, output: outPath(workload)});
    x.dispose();
  }
  if (wanted.has('grad_b1')) {
    const x = input(1);
    const k = spec.grad_channel;
    const gradient = tf.grad(xi => {
      const y = unfusedModel(xi, spec.grad_target_node);
      return tf.mean(tf.slice(y, [0, 0, 0, k], [-1, -1, -1, 1]));
    });
    const g = tf.tidy(() => tf.transpose(gradient(x), [0, 3, 1, 2]));  // NHWC -> NCHW
    writeNpy(outPath('grad_b1'), g.shape, g.dataSync());
    g.dispose();
    const t = await timeRuns(() => { const out = tf.tidy(() => gradient(x)); out.dataSync(); out.dispose(); }, runs, warmup);
    printResult({engine, platform: 'wasm', model: name, workload: 'grad_b1', threads, runs, ...t,
                 flops: 2 * spec.flops_to_target_per_image, output: outPath('grad_b1')});
    x.dispose();
  }
}
