// The engine's home: a Web Worker that loads the WebAssembly engine (the
// threaded build when the page is cross-origin isolated, else the
// single-threaded one) and answers the UI's requests, so the UI thread never
// waits on a computation. Long jobs run in time slices of a few milliseconds:
// between slices the worker posts progress (with each visualization step's
// image) and reads new messages, so cancellation and quick requests (a new
// prediction, a neuron's details) are served while a job runs.
//
// Protocol (see engine_client.js):
//   in:  {id, op, args}      op: init | prefetch | loadModel | importOnnx | decodeImage | call | job | cancel
//        {op: 'pace', args: {restMs}}  (no reply) rest after each job slice (frame_guard.js)
//   out: {id, ok, result} | {id, ok: false, message} | {type: 'progress', id, report}
'use strict';
/* global importScripts, createNeuronLens, NeuronLensImageHeader */
// Start-up moments (ms since the epoch, so the page can place them on its own clock).
const epochNow = () => performance.timeOrigin + performance.now();
const workerScriptStarted = epochNow();
importScripts('image_header.js');

let engine = null;
const startup = { workerScriptStarted, workerStarted: epochNow() };
const quick = [];            // requests answered between job slices
const jobs = { viz: null, bg: null };  // running jobs: {id, slot, cancelled}
const pendingJobs = { viz: [], bg: [] };
let pumping = false;

const SLICE_MS = 12;
// Milliseconds the worker rests after each job slice, set by the page's frame
// guard (frame_guard.js) when the interface's frame rate falls: 0 runs flat out.
let restMs = 0;
const MAX_REST_MS = 20;

// Typed arrays found in a result, so their buffers move instead of being copied.
function transferables(value, found = []) {
  if (value && typeof value === 'object') {
    if (ArrayBuffer.isView(value)) found.push(value.buffer);
    else for (const v of Object.values(value)) transferables(v, found);
  }
  return found;
}

// After the input changes the prediction is always wanted next: computing it
// here saves the UI a round trip (and a frame) for every new image.
function withPrediction(result) {
  if (result && result.ok) {
    const prediction = engine.predict();
    if (prediction.ok) result.prediction = prediction;
  }
  return result;
}

function reply(id, result) {
  if (result && result.ok === false) postMessage({ id, ok: false, message: result.message });
  else postMessage({ id, ok: true, result }, transferables(result));
}

function stage(slot, bytes) {
  const staged = engine.stagingBuffer(slot, bytes.byteLength);
  if (!staged.ok) throw new Error(staged.message);
  staged.view.set(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}

// Model files asked for by 'prefetch' while the engine starts: url -> Promise of the
// bytes, or of the error (the real load then fetches again and reports it).
const prefetched = new Map();

function modelUrls({ dir, samples }) {
  const urls = { json: `../../${dir}/model.json`, weights: `../../${dir}/weights.safetensors` };
  if (samples) Object.assign(urls, { images: `../../${samples.images}`, labels: `../../${samples.labels}` });
  return urls;
}

function prefetch(model) {
  for (const url of Object.values(modelUrls(model)))
    if (!prefetched.has(url)) prefetched.set(url, fetchBytes(url, url, 'low').catch((e) => e));
}

// priority 'low': a prefetch yields to the engine's own files (the browser opens few connections).
async function fetchBytes(url, what, priority = 'auto') {
  if (prefetched.has(url)) {
    const early = await prefetched.get(url);
    prefetched.delete(url);
    if (early instanceof Uint8Array) return early;
  }
  let response;
  try {
    response = await fetch(url, { priority });
  } catch (e) {
    throw new Error(`${what}: could not be fetched (${url}): ${e.message}`);
  }
  if (!response.ok) throw new Error(`${what}: ${url} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function parseIdx(bytes, what) {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 8) throw new Error(`${what}: not an unsigned-byte IDX file`);
  const rank = bytes[3], dims = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < rank; ++i) dims.push(view.getUint32(4 + 4 * i));
  const data = bytes.subarray(4 + 4 * rank);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${what}: size does not match its header`);
  return { dims, data };
}

const handlers = {
  async init({ build, threads }) {
    const base = new URL(`../../${build}/`, self.location.href).href;
    startup.initReceived = epochNow();
    importScripts(`${base}neuronlens_web.js`);
    startup.engineScriptLoaded = epochNow();
    engine = await createNeuronLens({
      locateFile: (file) => base + file,
      mainScriptUrlOrBlob: `${base}neuronlens_web.js`,
      print: () => {}, printErr: (text) => console.warn('[engine]', text),
    });
    startup.engineModuleReady = epochNow();
    const init = engine.engineInit(threads);
    if (!init.ok) return init;
    startup.engineInitialized = epochNow();
    return { ...engine.engineInfo(), startup };
  },

  // Fetches and loads a model folder and its sample images.
  async loadModel({ dir, name, samples }) {
    const urls = modelUrls({ dir, samples });
    // All files at once (those prefetched are already on their way).
    const files = Promise.all([fetchBytes(urls.json, name), fetchBytes(urls.weights, name),
                               samples ? fetchBytes(urls.images, 'sample images') : null,
                               samples ? fetchBytes(urls.labels, 'sample labels') : null]);
    files.catch(() => {});
    const [json, weights, imageBytes, labelBytes] = await files;
    for (const slot of Object.keys(jobs)) cancelSlot(slot);
    stage(0, json);
    stage(1, weights);
    const info = engine.loadModel(name);
    if (!info.ok) return info;
    info.samples = null;
    if (samples) {
      const images = parseIdx(imageBytes, 'sample images');
      const labels = parseIdx(labelBytes, 'sample labels');
      stage(3, images.data);
      stage(4, labels.data);
      const loaded = engine.loadSamples(labels.dims[0]);
      if (!loaded.ok) return loaded;
      info.samples = { count: labels.dims[0], pixels: images.data.slice(), labels: labels.data.slice() };
    }
    return info;
  },

  // An .onnx file converted by the engine's importer, configured by its
  // sidecar JSON (bytes; empty: the importer's defaults). The current model
  // stays when the import fails; on success, jobs of the old model end.
  async importOnnx({ bytes, config, name }) {
    const start = performance.now();
    stage(5, bytes);
    stage(6, config || new Uint8Array(0));
    const info = engine.importOnnx(name);
    if (!info.ok) return info;
    for (const slot of Object.keys(jobs)) cancelSlot(slot);
    info.samples = null;
    info.import.milliseconds = performance.now() - start;
    return info;
  },

  // An image file's bytes: checked, decoded by the browser (downscaled when
  // large), then handed to the engine's preprocessing. With toPixels, only the
  // model pixels come back and the input stays as it is.
  async decodeImage({ bytes, invert, toPixels = false }) {
    const header = NeuronLensImageHeader.inspect(bytes);
    if (!header.ok) return header;
    const longest = Math.max(header.width, header.height);
    const scale = longest > 1024 ? 1024 / longest : 1;
    let bitmap;
    try {
      const options = scale < 1 ? { resizeWidth: Math.max(1, Math.round(header.width * scale)),
                                    resizeHeight: Math.max(1, Math.round(header.height * scale)), resizeQuality: 'high' } : {};
      bitmap = await createImageBitmap(new Blob([bytes]), options);
    } catch (e) {
      return { ok: false, message: `This ${header.type} file could not be decoded: it is damaged or incomplete.` };
    }
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    bitmap.close();
    stage(2, new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength));
    if (toPixels) return engine.pictureToPixels(canvas.width, canvas.height, !!invert);
    const result = withPrediction(engine.setInputRGBA(canvas.width, canvas.height, !!invert));
    if (result.ok) Object.assign(result, { type: header.type, sourceWidth: header.width, sourceHeight: header.height });
    return result;
  },

  async setInputRGBA({ rgba, width, height, invert }) {
    stage(2, rgba);
    return withPrediction(engine.setInputRGBA(width, height, !!invert));
  },

  // Replaces the sample images (a folder of labelled images the person dropped in).
  // labels: one byte per image, or two (16-bit little-endian) for models with more than 256 classes.
  async loadSampleBytes({ pixels, labels, count = labels.length }) {
    stage(3, pixels);
    stage(4, labels);
    return engine.loadSamples(count);
  },

  async setInputPixels({ pixels }) {
    stage(2, pixels);
    return withPrediction(engine.setInputPixels());
  },

  // A synchronous engine function by name (predict, activationMaps, neuronDetails, ...).
  async call({ fn, args }) {
    const allowed = ['predict', 'setInputSample', 'activationMaps', 'neuronDetails', 'focusMap', 'clusterCategories',
                     'categoryGroups', 'clusterNeurons', 'neuronWeightNorms', 'modelInfo', 'engineInfo', 'statisticsStatus',
                     'decodeLinkFragment', 'encodeLinkState', 'engineMemory'];
    if (!allowed.includes(fn)) return { ok: false, message: `unknown engine function ${fn}` };
    const result = engine[fn](...(args || []));
    return fn === 'setInputSample' ? withPrediction(result) : result;
  },
};

function cancelSlot(slot) {
  const job = jobs[slot];
  if (job) {
    engine.jobCancel(slot);
    jobs[slot] = null;
    postMessage({ id: job.id, ok: false, cancelled: true, message: 'cancelled' });
  }
  for (const p of pendingJobs[slot]) postMessage({ id: p.id, ok: false, cancelled: true, message: 'cancelled' });
  pendingJobs[slot] = [];
}

// One slice of the job in `slot`; returns false when the job ended.
function runSlice(slot) {
  const job = jobs[slot];
  if (!engine.jobActive(slot).active) {  // dropped by the engine (a new model)
    jobs[slot] = null;
    postMessage({ id: job.id, ok: false, cancelled: true, message: 'cancelled' });
    return false;
  }
  const report = engine.jobStep(slot, SLICE_MS);
  if (!report.ok) {
    jobs[slot] = null;
    postMessage({ id: job.id, ok: false, message: report.message });
    return false;
  }
  postMessage({ type: 'progress', id: job.id, report }, transferables(report));
  if (report.done) {
    jobs[slot] = null;
    reply(job.id, engine.jobResult(slot));
    return false;
  }
  return true;
}

function startPending(slot) {
  while (!jobs[slot] && pendingJobs[slot].length) {
    const { id, args } = pendingJobs[slot].shift();
    const started = engine.jobStart(slot, args.kind, args.options || {});
    if (!started.ok) { postMessage({ id, ok: false, message: started.message }); continue; }
    jobs[slot] = { id, slot };
  }
}

// A macrotask boundary, so that queued messages (cancel, quick requests) are read.
const nextTask = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(0);
});

async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    let turn = 0;
    while (true) {
      while (quick.length) {
        const { id, op, args } = quick.shift();
        try {
          reply(id, await handlers[op](args || {}));
        } catch (e) {
          postMessage({ id, ok: false, message: e && e.message ? e.message : String(e) });
        }
      }
      if (!engine) break;
      startPending('viz');
      startPending('bg');
      // The live visualization gets three slices for each background slice.
      const slot = jobs.viz && (!jobs.bg || turn % 4 !== 3) ? 'viz' : jobs.bg ? 'bg' : null;
      if (!slot) break;
      ++turn;
      runSlice(slot);
      if (restMs > 0) await new Promise((resolve) => setTimeout(resolve, restMs));
      else await nextTask();
    }
  } finally {
    pumping = false;
  }
}

self.onmessage = (event) => {
  const { id, op, args } = event.data;
  if (op === 'pace') {  // no reply: the page does not wait for it
    restMs = Math.max(0, Math.min(MAX_REST_MS, Number(args?.restMs) || 0));
    return;
  }
  startup.firstMessage ??= epochNow();
  if (op === 'prefetch') {  // served at once, even while the engine starts
    prefetch(args);
    postMessage({ id, ok: true, result: { ok: true } });
    return;
  }
  if (op === 'cancel') {
    if (engine) cancelSlot(args.slot);
    postMessage({ id, ok: true, result: { ok: true } });
    return;
  }
  if (op === 'job') {
    const slot = args.slot === 'viz' ? 'viz' : 'bg';
    if (args.replace !== false) cancelSlot(slot);
    pendingJobs[slot].push({ id, args });
  } else if (handlers[op]) {
    quick.push({ id, op, args });
  } else {
    postMessage({ id, ok: false, message: `unknown request ${op}` });
    return;
  }
  pump();
};
