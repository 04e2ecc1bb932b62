// ONNX Runtime Web (its WebAssembly execution provider, SIMD) under Node, as a peer of
// `tools/bench peers`: forward passes only (it has no training or gradient API), on the
// model.onnx files export_models.py wrote.
//
//   node tools/peers/ort_bench.mjs MODELS_DIR [--threads 1] [--runs 20] [--warmup 3]
//        [--models cnn_a,resnet18,fashion_vgg] [--workloads forward_b1,forward_b64]
//
// Prints one JSON line per result and writes MODELS_DIR/<model>/out/ort-wasm_t<N>_<workload>.npy.
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import {parseArgs, readNpy, writeNpy, timeRuns, printResult} from './common.mjs';

const options = parseArgs(process.argv.slice(2), {
  threads: '1', runs: '20', warmup: '3', models: 'cnn_a,resnet18,fashion_vgg', workloads: 'forward_b1,forward_b64',
});
const modelsDir = options.positional[0];
if (!modelsDir) throw new Error('usage: ort_bench.mjs MODELS_DIR [options]');
const threads = Number(options.threads), runs = Number(options.runs), warmup = Number(options.warmup);
ort.env.wasm.numThreads = threads;
ort.env.wasm.simd = true;
ort.env.logLevel = 'error';
const engine = 'ort-wasm';
console.error(`ort_bench: onnxruntime-web ${ort.env.versions?.web ?? '?'}, threads ${threads}`);

const wanted = new Set(options.workloads.split(','));
for (const name of options.models.split(',')) {
  const folder = path.join(modelsDir, name);
  if (!fs.existsSync(path.join(folder, 'model.onnx'))) continue;
  const spec = JSON.parse(fs.readFileSync(path.join(folder, 'spec.json'), 'utf8'));
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(folder, 'model.onnx')), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all', intraOpNumThreads: threads,
  });
  fs.mkdirSync(path.join(folder, 'out'), {recursive: true});
  for (const batch of [1, 64]) {
    const workload = `forward_b${batch}`;
    if (!wanted.has(workload)) continue;
    const {shape, data} = readNpy(path.join(folder, `input_b${batch}.npy`));
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, shape)};
    const first = await session.run(feeds);
    const logits = first[session.outputNames[0]];
    const outPath = path.join(folder, 'out', `${engine}_t${threads}_${workload}.npy`);
    writeNpy(outPath, logits.dims, logits.data);
    const t = await timeRuns(async () => { await session.run(feeds); }, runs, warmup);
    printResult({engine, platform: 'wasm', model: name, workload, threads, runs, ...t,
                 flops: spec.flops_per_image * batch, output: outPath});
  }
  await session.release();
}
