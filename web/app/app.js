// The app's state and every action a person (or window.neuronlens) can take:
// load a model or import an ONNX one, set the input, predict, open a layer or a neuron, run the
// visualization, focus maps, statistics, clusters, ablation, share links.
// The panels (ui/*.js) read this state every frame and call these actions;
// actions talk to the engine worker and update the state when answers come.
import { encodeState, decodeState, read } from './state_link.js';

// The app's defaults: Adam and a one-pixel jitter give a clear picture in 256
// steps. PAPER_SETTINGS are METHOD.md's (plain gradient steps, rate 0.14, 1000
// steps), whose gradient on a map's mean is small: it needs many more steps.
export const VIZ_DEFAULTS = Object.freeze({
  objective: 'mean', steps: 256, learningRate: 0.05, optimizer: 'adam', blur: 0.4, l2: 0, tv: 0,
  jitter: 1, scaleJitter: 0, rotate: 0, start: 'constant', seed: 1, parameterization: 'pixels',
});
export const PAPER_SETTINGS = Object.freeze({
  ...VIZ_DEFAULTS, steps: 1000, learningRate: 0.14, optimizer: 'gradient', jitter: 0,
});

// The largest .onnx file the page imports: kMaxBrowserOnnxBytes of
// src/web_api/model_api.cpp (checked here before the file is read).
export const MAX_ONNX_BYTES = 512 * 2 ** 20;
// A dropped folder's images are kept as model inputs (float32) in the engine:
// at most this many bytes of them (about 330 images of 224 x 224 x 3).
const FOLDER_INPUT_BYTES = 200e6;

export class App {
  constructor(engine, engineInfo, models) {
    this.engine = engine;
    this.engineInfo = engineInfo;
    this.models = models;  // [{id, name, description, dir, dataset, samples}]
    this.model = null;     // {id, info, labels, layers, samples: {count, pixels, labels}}
    this.input = null;     // {kind, index?, pixels, rgba, width, height, channels, description}
    this.invert = false;
    this.prediction = null;  // [{index, label, probability}], highest first
    this.layer = null;       // node id
    this.activations = null; // activationMaps result for this.layer
    this.neuron = null;      // channel in this.layer
    this.neuronDetails = null;
    this.viz = { settings: { ...VIZ_DEFAULTS }, running: false, frames: [], objective: [], step: 0, steps: 0,
                 width: 0, height: 0, result: null, shownStep: -1, error: null };
    this.focus = { method: 'gradcam', target: -1, map: null };
    this.statistics = new Map();   // node -> result of the statistics job
    this.statisticsProgress = null; // {node, progress}
    this.clusters = { layer: null, source: 'activation', similarity: 'pearson', features: 'activation', method: 'kmeans',
                      k: 4, categories: null, groups: null, neurons: null, tiles: null, tilesProgress: null };
    this.analysis = { layer: null, perClass: 20, result: null, progress: null, target: 0, error: null };
    this.panels = { input: true, prediction: true, network: true, neuron: true, focus: true, clusters: false,
                    analysis: false, about: false, import: false };
    this.importing = null;   // {name} while an ONNX import runs
    this.importError = null; // the last import's error message
    this.lastImage = null;   // {bytes, name} of the last image file, shown again after an import
    this.messages = [];  // {text, kind: 'error' | 'info', time}
    this.version = 0;    // bumped on every change the panels draw
    this.timings = {};
    this.pendingDrawing = null;
  }

  changed() { this.version++; }

  say(text, kind = 'info') {
    this.messages.push({ text, kind, time: performance.now() });
    if (this.messages.length > 6) this.messages.shift();
    if (kind === 'error') console.warn('[neuronlens]', text);
    this.changed();
  }

  async guard(what, action) {
    try {
      return await action();
    } catch (e) {
      if (e && e.cancelled) return null;
      this.say(`${what}: ${e && e.message ? e.message : e}`, 'error');
      return null;
    }
  }

  layerInfo(id = this.layer) { return this.model?.layers.find((l) => l.id === id) || null; }
  channelsOf(id) { const l = this.layerInfo(id); return l ? l.shape[l.shape.length - 1] : 0; }
  // Layers a person explores: everything between the input and the class scores.
  exploreLayers() { return this.model ? this.model.layers.filter((l) => l.id > 0 && l.id <= this.model.info.logits) : []; }
  defaultLayer() {
    const convs = this.exploreLayers().filter((l) => l.op === 'Conv2D');
    return (convs[Math.floor(convs.length / 2)] || convs[0] || this.exploreLayers()[0])?.id ?? null;
  }
  statisticsLayer() {
    // Statistics need a layer before the class scores.
    return this.layer !== null && this.layer < this.model.info.logits ? this.layer : this.defaultLayer();
  }

  // ---- model ---------------------------------------------------------------
  async loadModel(id) {
    const entry = this.models.find((m) => m.id === id);
    if (!entry) { this.say(`There is no model "${id}".`, 'error'); return false; }
    return (await this.guard('Model', async () => {
      const info = await this.engine.request('loadModel', { dir: entry.dir, name: entry.id, samples: entry.samples || null });
      this.adoptModel(entry, info);
      return true;
    })) || false;
  }

  // An .onnx file converted in the engine worker (docs/ONNX.md). config: the
  // sidecar JSON as text or an object (null: the importer's defaults). On
  // failure the message is shown and the current model stays.
  async importModel(bytes, name = 'model.onnx', config = null) {
    if (this.importing) { this.say(`Import: "${this.importing.name}" is still being converted.`, 'error'); return false; }
    this.importing = { name };
    this.importError = null;
    const start = performance.now();
    this.changed();
    try {
      if (bytes.length > MAX_ONNX_BYTES)
        throw new Error(`${name}: the file is ${Math.round(bytes.length / 2 ** 20)} MiB; the browser app imports models up to ` +
                        `${MAX_ONNX_BYTES / 2 ** 20} MiB (the CLI takes up to 2 GiB)`);
      const text = config === null || config === undefined ? '' : typeof config === 'string' ? config : JSON.stringify(config);
      const configBytes = new TextEncoder().encode(text);
      const copy = bytes.slice();
      const info = await this.engine.request('importOnnx', { bytes: copy, config: configBytes, name },
                                             { transfer: [copy.buffer, configBytes.buffer] });
      const id = `onnx:${info.name}`;
      this.adoptModel({ id, name: info.name, description: info.description, dir: '', imported: true, file: name }, info);
      this.timings.lastImport = info.import.milliseconds;           // in the worker: staging and conversion
      this.timings.lastImportTotal = performance.now() - start;     // from the page's bytes to the model in use
      const r = info.import;
      this.say(`Imported ${name} (${r.producer || 'unknown exporter'}, opset ${r.opset}) in ${(r.milliseconds / 1000).toFixed(1)} s: ` +
               `input ${info.width} x ${info.height} x ${info.channels}, ${info.labels.length} classes, ` +
               `${r.parameters.toLocaleString()} parameters, ${r.onnxNodes} ONNX nodes -> ${r.engineNodes - 1} layers.`);
      this.panels.import = false;
      if (this.lastImage) await this.useImageFile(this.lastImage.bytes, this.lastImage.name);
      else this.say('Choose an image (Upload, Draw or Camera) to see what the imported model makes of it.');
      return true;
    } catch (e) {
      this.importError = e && e.message ? e.message : String(e);
      this.say(`Import: ${this.importError}`, 'error');
      return false;
    } finally {
      this.importing = null;
      this.changed();
    }
  }

  // Makes a loaded or imported model the current one; everything computed with the old one goes.
  adoptModel(entry, info) {
    this.model = { id: entry.id, entry, info, labels: info.labels, layers: info.layers, samples: info.samples };
    this.input = null;
    this.prediction = null;
    this.activations = null;
    this.neuron = null;
    this.neuronDetails = null;
    this.statistics.clear();
    this.statisticsProgress = null;
    this.viz.frames = []; this.viz.objective = []; this.viz.result = null; this.viz.running = false;
    this.focus.map = null; this.focus.target = -1;
    this.clusters.categories = this.clusters.groups = this.clusters.neurons = this.clusters.tiles = null;
    this.analysis.result = null;
    this.layer = this.defaultLayer();
    this.clusters.layer = this.analysis.layer = this.statisticsLayer();
    this.invert = false;
    this.changed();
  }

  // Model classes that have sample images, ascending: the categories of the
  // statistics, clusters and analysis (all classes for a shipped model).
  sampleCategories() {
    const s = this.model?.samples;
    if (!s) return [];
    return [...new Set(s.labels)].sort((a, b) => a - b);
  }

  // ---- input -----------------------------------------------------------------
  async acceptInput(result, kind, extra = {}) {
    this.input = { kind, pixels: result.pixels, rgba: result.rgba, width: result.width, height: result.height,
                   channels: result.channels, ...extra };
    this.neuronDetails = null;
    this.focus.map = null;
    this.changed();
    await this.refreshAfterInput(result.prediction);
  }

  async refreshAfterInput(prediction) {
    if (prediction) this.showPrediction(prediction);
    else await this.predict();
    await Promise.all([this.loadActivations(), this.neuron !== null ? this.loadNeuron() : null,
                       this.panels.focus ? this.loadFocus() : null]);
  }

  async useSample(index) {
    return this.guard('Sample', async () => {
      const result = await this.engine.call('setInputSample', index);
      const label = this.model.samples.labels[index];
      await this.acceptInput(result, 'sample', { index, description: `sample ${index} (${this.model.labels[label]})` });
      return true;
    });
  }

  async useImageFile(bytes, name = 'image') {
    const start = performance.now();
    return this.guard(`Image "${name}"`, async () => {
      const copy = bytes.slice();
      const result = await this.engine.request('decodeImage', { bytes: copy, invert: this.invert }, { transfer: [copy.buffer] });
      await this.acceptInput(result, 'upload', { description: `${name} (${result.type}, ${result.sourceWidth} x ${result.sourceHeight})` });
      this.lastImage = { bytes, name };
      this.timings.lastImage = performance.now() - start;
      this.say(`Loaded ${name}: ${result.type}, ${result.sourceWidth} x ${result.sourceHeight} pixels, shown as the model sees it.`);
      return true;
    });
  }

  async useRgba(rgba, width, height, kind, description) {
    return this.guard('Image', async () => {
      const result = await this.engine.request('setInputRGBA', { rgba, width, height, invert: this.invert });
      await this.acceptInput(result, kind, { description });
      return true;
    });
  }

  // A folder of labelled images (one subfolder per class, named like the
  // model's labels or by class number) replaces the sample images, for the
  // statistics, clusters and analysis. files: [{className, name, bytes}]
  async useFolder(files) {
    return this.guard('Folder', async () => {
      const labels = this.model.labels.map((l) => l.toLowerCase());
      const { width, height, channels } = this.model.info;
      const per = width * height * channels;
      const limit = Math.max(1, Math.floor(FOLDER_INPUT_BYTES / (4 * per)));
      const images = [], classes = [], skipped = [];
      for (const f of files) {
        if (images.length >= limit) { skipped.push(`${files.length - images.length - skipped.length} more (at most ${limit} images of ${width} x ${height} fit)`); break; }
        const name = f.className.toLowerCase();
        let c = labels.indexOf(name);
        if (c < 0 && /^\d+$/.test(name) && Number(name) < labels.length) c = Number(name);
        if (c < 0) { skipped.push(`${f.className}/${f.name} (no class "${f.className}")`); continue; }
        try {
          const copy = f.bytes.slice();
          const r = await this.engine.request('decodeImage', { bytes: copy, invert: this.invert, toPixels: true }, { transfer: [copy.buffer] });
          images.push(r.pixels);
          classes.push(c);
        } catch (e) {
          skipped.push(`${f.className}/${f.name} (${e.message})`);
        }
      }
      if (!images.length) throw new Error(`no usable image (subfolders must be named after the classes: ${this.model.labels.join(', ')})`);
      // In class order, like the shipped samples.
      const order = classes.map((c, i) => [c, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((e) => e[1]);
      // Labels as bytes, or as 16-bit values for models with more than 256 classes.
      const pixels = new Uint8Array(images.length * per);
      const labelBytes = labels.length > 256 ? new Uint16Array(images.length) : new Uint8Array(images.length);
      order.forEach((i, k) => { pixels.set(images[i], k * per); labelBytes[k] = classes[i]; });
      await this.engine.request('loadSampleBytes', { pixels, labels: new Uint8Array(labelBytes.buffer), count: images.length });
      this.model.samples = { count: images.length, pixels, labels: labelBytes, custom: true };
      this.statistics.clear();
      this.clusters.categories = this.clusters.groups = this.clusters.neurons = this.clusters.tiles = null;
      this.analysis.result = null;
      this.say(`Using your ${images.length} images in ${new Set(classes).size} classes for statistics, clusters and analysis` +
               `${skipped.length ? `; skipped ${skipped.length}: ${skipped.slice(0, 3).join('; ')}` : ''}.`);
      this.changed();
      return true;
    });
  }

  async usePixels(pixels, description = 'image from a link') {
    return this.guard('Image', async () => {
      const result = await this.engine.request('setInputPixels', { pixels });
      await this.acceptInput(result, 'pixels', { description });
      return true;
    });
  }

  async predict() {
    return this.guard('Prediction', async () => this.showPrediction(await this.engine.call('predict')));
  }

  showPrediction(result) {
    const rows = Array.from(result.probabilities, (p, index) => ({ index, label: this.model.labels[index], probability: p }));
    rows.sort((a, b) => b.probability - a.probability || a.index - b.index);
    this.prediction = rows;
    if (this.timings.firstPrediction === undefined) this.timings.firstPrediction = performance.now();
    this.changed();
  }

  // ---- layers and neurons ------------------------------------------------------
  async selectLayer(id) {
    if (!this.layerInfo(id)) return;
    this.layer = id;
    this.neuron = null;
    this.neuronDetails = null;
    this.activations = null;
    this.changed();
    await this.loadActivations();
  }

  async loadActivations() {
    if (!this.input || this.layer === null) return;
    const layer = this.layer;
    await this.guard('Activations', async () => {
      const result = await this.engine.call('activationMaps', layer);
      if (layer === this.layer) { this.activations = result; this.changed(); }
    });
  }

  async selectNeuron(channel, { visualize = true } = {}) {
    if (channel < 0 || channel >= this.channelsOf(this.layer)) return;
    this.neuron = channel;
    this.neuronDetails = null;
    this.panels.neuron = true;
    this.changed();
    const work = [this.loadNeuron()];
    if (visualize) work.push(this.runVisualization());
    await Promise.all(work);
  }

  async loadNeuron() {
    if (!this.input || this.neuron === null) return;
    const [layer, neuron] = [this.layer, this.neuron];
    await this.guard('Neuron', async () => {
      const result = await this.engine.call('neuronDetails', layer, neuron, { topImages: 8 });
      if (layer === this.layer && neuron === this.neuron) { this.neuronDetails = result; this.changed(); }
    });
  }

  // ---- visualization -------------------------------------------------------------
  async runVisualization() {
    if (this.neuron === null) return null;
    const layer = this.layerInfo();
    const s = this.viz.settings;
    const options = { ...s, node: this.layer, channel: this.neuron, objective: layer.shape.length === 4 ? s.objective : 'unit' };
    if (options.objective === 'unit' && layer.shape.length === 4) options.objective = 'mean';
    Object.assign(this.viz, { running: true, frames: [], objective: [], step: 0, steps: s.steps, result: null,
                              shownStep: -1, error: null, node: this.layer, channel: this.neuron, started: performance.now() });
    this.changed();
    try {
      const result = await this.engine.job('viz', 'visualize', options, (report) => {
        const frameBytes = report.width * report.height * 4 * report.images;
        for (let i = 0; i * frameBytes < report.frames.length; ++i)
          this.viz.frames.push(report.frames.subarray(i * frameBytes, (i + 1) * frameBytes));
        for (const v of report.objective) this.viz.objective.push(v);
        Object.assign(this.viz, { step: report.step, steps: report.steps, width: report.width, height: report.height,
                                  images: report.images });
        this.changed();
      });
      Object.assign(this.viz, { running: false, result, width: result.width, height: result.height, images: result.images,
                                seconds: (performance.now() - this.viz.started) / 1000 });
      this.changed();
      return result;
    } catch (e) {
      this.viz.running = false;
      if (!e.cancelled) { this.viz.error = e.message; this.say(`Visualization: ${e.message}`, 'error'); }
      this.changed();
      return null;
    }
  }

  cancelVisualization() { return this.engine.cancel('viz'); }

  // Cancels the background job (the statistics, the tiles or the ablation: they share
  // the worker's 'bg' slot); `what` names it in the message line.
  async cancelBackgroundJob(what = 'The job') {
    if (!this.engine.jobRunning('bg')) return false;
    await this.engine.cancel('bg');
    this.say(`${what} cancelled.`);
    return true;
  }

  // ---- focus -----------------------------------------------------------------------
  async loadFocus() {
    if (!this.input) return;
    const { method, target } = this.focus;
    await this.guard('Focus', async () => {
      const result = await this.engine.call('focusMap', { method, class: target });
      if (method === this.focus.method && target === this.focus.target) { this.focus.map = result; this.changed(); }
    });
  }

  // ---- statistics, clusters, analysis ----------------------------------------------------
  async ensureStatistics(node) {
    if (this.statistics.has(node)) return this.statistics.get(node);
    if (this.statisticsProgress?.node === node && this.statisticsProgress.promise) return this.statisticsProgress.promise;
    const promise = (async () => {
      try {
        const result = await this.engine.job('bg', 'statistics', { node }, (report) => {
          this.statisticsProgress = { ...this.statisticsProgress, node, progress: report.progress };
          this.changed();
        });
        this.statistics.set(node, result);
        return result;
      } catch (e) {
        if (!e.cancelled) this.say(`Statistics: ${e.message}`, 'error');
        return null;
      } finally {
        if (this.statisticsProgress?.node === node) this.statisticsProgress = null;
        this.changed();
      }
    })();
    this.statisticsProgress = { node, progress: 0, promise };
    this.changed();
    const result = await promise;
    if (result && node === this.layer && this.neuron !== null) await this.loadNeuron();
    return result;
  }

  async computeClusters() {
    const c = this.clusters;
    const node = c.layer;
    const stats = await this.ensureStatistics(node);
    if (!stats) return false;
    return (await this.guard('Clusters', async () => {
      const [categories, groups] = await Promise.all([
        this.engine.call('clusterCategories', { node, source: c.source, similarity: c.similarity }),
        this.engine.call('categoryGroups', { node })]);
      const channels = this.channelsOf(node);
      const k = Math.max(1, Math.min(c.k, channels));
      const neurons = c.features === 'visualization' && !c.tiles?.done ? null
        : await this.engine.call('clusterNeurons', { node, features: c.features, method: c.method, k });
      Object.assign(c, { categories, groups, neurons, node, shown: { similarity: c.similarity, source: c.source } });
      this.changed();
      return true;
    })) || false;
  }

  async computeTiles(steps = 48) {
    const c = this.clusters;
    const node = c.layer;
    const channels = this.channelsOf(node);
    c.tiles = { node, channels, done: false, rgba: [], progress: 0, width: this.model.info.width, height: this.model.info.height };
    this.changed();
    try {
      await this.engine.job('bg', 'tiles', { node, steps, seed: this.viz.settings.seed }, (report) => {
        const bytes = report.width * report.height * 4;
        report.tileChannels.forEach((channel, i) => { c.tiles.rgba[channel] = report.tiles.subarray(i * bytes, (i + 1) * bytes); });
        c.tiles.progress = report.progress;
        c.tiles.version = (c.tiles.version || 0) + 1;
        this.changed();
      });
      c.tiles.done = true;
      if (c.features === 'visualization') await this.computeClusters();
    } catch (e) {
      if (!e.cancelled) this.say(`Tiles: ${e.message}`, 'error');
      // Cancelled or failed: no half set of tiles; the button to compute them comes back.
      if (c.tiles && !c.tiles.done && c.tiles.node === node) c.tiles = null;
    }
    this.changed();
  }

  // Keep-sets for the ablation study of one layer, built from the statistics.
  async runAnalysis() {
    const a = this.analysis;
    const node = a.layer;
    if (!this.sampleCategories().includes(a.target)) a.target = this.sampleCategories()[0] ?? 0;
    const stats = await this.ensureStatistics(node);
    if (!stats) return false;
    return (await this.guard('Analysis', async () => {
      const groups = await this.engine.call('categoryGroups', { node });
      const norms = await this.engine.call('neuronWeightNorms', node);
      const channels = this.channelsOf(node);
      const half = Math.max(1, Math.floor(channels / 2));
      const byNorm = Array.from(norms.norms, (v, i) => [v, i]).sort((x, y) => y[0] - x[0] || x[1] - y[1]).map((e) => e[1]);
      const sets = [
        { name: `priority round robin, top ${half}`, keep: Array.from(groups.priority).slice(0, half) },
        { name: `largest weight norm, top ${half}`, keep: byNorm.slice(0, half) },
      ];
      for (let seed = 1; seed <= 5; ++seed) sets.push({ name: `random ${half}, seed ${seed}`, keep: seededSample(channels, half, seed) });
      // Domination test for the chosen category: remove its top n neurons, versus n random ones.
      const c = a.target;
      const members = Array.from(groups.members[Array.from(groups.categories).indexOf(c)] || []);
      for (const n of [1, 2, 4, 8].filter((n) => n <= members.length)) {
        const removed = new Set(members.slice(0, n));
        sets.push({ name: `remove top ${n} of ${this.model.labels[c]}`, keep: range(channels).filter((i) => !removed.has(i)), domination: { n, random: false } });
        const randomRemoved = new Set(seededSample(channels, n, 100 + n));
        sets.push({ name: `remove ${n} random`, keep: range(channels).filter((i) => !randomRemoved.has(i)), domination: { n, random: true } });
      }
      a.progress = 0;
      this.changed();
      let result;
      try {
        result = await this.engine.job('bg', 'ablation', { node, perClass: a.perClass, sets: sets.map(({ name, keep }) => ({ name, keep })) },
          (report) => { a.progress = report.progress; this.changed(); });
      } finally {
        a.progress = null;  // cancelled or failed too: the Run button comes back
        this.changed();
      }
      result.rows.forEach((row, i) => { row.domination = i > 0 ? sets[i - 1].domination : undefined; });
      a.result = { ...result, target: c, node };
      this.changed();
      return true;
    })) || false;
  }

  // ---- share link --------------------------------------------------------------------------
  linkState() {
    const state = { model: this.model?.id, invert: this.invert, layer: this.layerInfo()?.name, neuron: this.neuron,
                    viz: { ...this.viz.settings }, focus: { method: this.focus.method, target: this.focus.target },
                    clusters: { layer: this.layerInfo(this.clusters.layer)?.name, source: this.clusters.source,
                                similarity: this.clusters.similarity, features: this.clusters.features,
                                method: this.clusters.method, k: this.clusters.k },
                    panels: { ...this.panels } };
    if (this.input?.kind === 'sample') state.input = { sample: this.input.index };
    else if (this.input) state.input = { pixels: read.encodeBytes(this.input.pixels) };
    return state;
  }

  async makeLink() {
    const fragment = await encodeState(this.engine, this.linkState());
    return `${location.origin}${location.pathname}${location.search}#${fragment}`;
  }

  async applyLink(fragment) {
    const decoded = await decodeState(this.engine, fragment);
    if (!decoded.ok) { this.say(`Link: ${decoded.message}`, 'error'); return false; }
    const s = decoded.state;
    const modelId = read.string(s.model, 200, null);
    if (modelId && modelId !== this.model?.id) {
      if (!this.models.some((m) => m.id === modelId)) { this.say(`Link: this app has no model "${modelId}".`, 'error'); return false; }
      if (!(await this.loadModel(modelId))) return false;
    }
    const info = this.model.info;
    this.invert = read.bool(s.invert, false);
    // Settings first, so the input's refresh uses them.
    const v = s.viz || {};
    const d = VIZ_DEFAULTS;
    this.viz.settings = {
      objective: read.choice(v.objective, ['mean', 'sum', 'spatial', 'unit'], d.objective),
      steps: read.int(v.steps, 1, 5000, d.steps), learningRate: read.number(v.learningRate, 1e-6, 100, d.learningRate),
      optimizer: read.choice(v.optimizer, ['gradient', 'adam'], d.optimizer), blur: read.number(v.blur, 0, 5, d.blur),
      l2: read.number(v.l2, 0, 10, d.l2), tv: read.number(v.tv, 0, 10, d.tv), jitter: read.int(v.jitter, 0, 16, d.jitter),
      scaleJitter: read.number(v.scaleJitter, 0, 0.5, d.scaleJitter), rotate: read.number(v.rotate, 0, 45, d.rotate),
      start: read.choice(v.start, ['constant', 'noise', 'input'], d.start), seed: read.int(v.seed, 0, 2 ** 31, d.seed),
      // Links made before the field existed have none: pixels, what they meant.
      parameterization: read.choice(v.parameterization, ['pixels', 'fourier'], 'pixels'),
    };
    const f = s.focus || {};
    this.focus.method = read.choice(f.method, ['gradcam', 'saliency', 'occlusion'], 'gradcam');
    this.focus.target = read.int(f.target, -1, info.labels.length - 1, -1);
    if (s.panels && typeof s.panels === 'object')
      for (const key of Object.keys(this.panels)) this.panels[key] = read.bool(s.panels[key], this.panels[key]);
    const byName = (name) => this.model.layers.find((l) => l.name === name && l.id > 0)?.id ?? null;
    const c = s.clusters || {};
    this.clusters.layer = byName(read.string(c.layer, 256, '')) ?? this.statisticsLayer();
    this.clusters.source = read.choice(c.source, ['activation', 'contribution'], 'activation');
    this.clusters.similarity = read.choice(c.similarity, ['pearson', 'cosine'], 'pearson');
    this.clusters.features = read.choice(c.features, ['activation', 'contribution', 'visualization'], 'activation');
    this.clusters.method = read.choice(c.method, ['kmeans', 'agglomerative', 'nmf'], 'kmeans');
    this.clusters.k = read.int(c.k, 1, 64, 4);
    const layer = byName(read.string(s.layer, 256, ''));
    if (layer !== null) { this.layer = layer; this.activations = null; }
    this.neuron = null;
    this.changed();

    const input = s.input || {};
    if (input.sample !== undefined) {
      const index = read.int(input.sample, 0, (this.model.samples?.count || 0) - 1, null);
      if (index === null) { this.say('Link: the sample it names does not exist.', 'error'); return false; }
      if (!(await this.useSample(index))) return false;
    } else if (input.pixels !== undefined) {
      const pixels = read.bytes(input.pixels, info.width * info.height * info.channels);
      if (!pixels) { this.say('Link: its image does not fit this model.', 'error'); return false; }
      if (!(await this.usePixels(pixels))) return false;
    }
    const neuron = read.int(s.neuron, 0, this.channelsOf(this.layer) - 1, null);
    const work = [];
    if (neuron !== null) work.push(this.selectNeuron(neuron));
    if (this.panels.clusters) work.push(this.computeClusters());
    await Promise.all(work);
    return true;
  }
}

export function range(n) { return Array.from({ length: n }, (_, i) => i); }

// n distinct values of 0..count-1 from a seeded generator (mulberry32).
export function seededSample(count, n, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pool = range(count);
  for (let i = 0; i < n; ++i) {
    const j = i + Math.floor(next() * (count - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n).sort((x, y) => x - y);
}
