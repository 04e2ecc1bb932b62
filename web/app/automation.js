// window.neuronlens: the documented automation API, so the app can be tested
// and scripted (README "Automation"):
//   state()            Promise of {model, input, prediction: [{label, probability}] highest first,
//                      layer, neuron, busy, engine, messages}
//   loadImage(bytes)   a Uint8Array holding an image file; resolves once its prediction is shown,
//                      rejects with the message the UI shows when the file is refused
//   applyLink(fragment) resolves once the view is rebuilt (visualization included)
//   idle()             resolves when no job or request runs
//   visualization()    Promise of {width, height, rgba} for the current neuron's visualization
//   importModel(bytes, config, name) an .onnx file's bytes and its sidecar JSON (text, object or
//                      null); resolves once the model is in use, rejects with the UI's message
// and, for scripts: link(), useSample(i), usePixels(bytes), logits(), selectLayer(name),
// selectNeuron(channel), openClusters(), runAnalysis(), timings(), focus(method, class),
// focusMap(); for the reliability tests (web/tests/soak.mjs): memory(), job(kind, options, cancel), digest(value).
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

// FNV-1a over a canonical walk of a value: object keys sorted, typed arrays as bytes.
function digest(value) {
  let h = 0x811c9dc5;
  const bytes = (b) => { for (let i = 0; i < b.length; ++i) h = Math.imul(h ^ b[i], 0x01000193); };
  const text = (s) => bytes(new TextEncoder().encode(s));
  const walk = (v) => {
    if (ArrayBuffer.isView(v)) { text(`<${v.constructor.name}:${v.length}>`); bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)); }
    else if (Array.isArray(v)) { text('['); v.forEach(walk); text(']'); }
    else if (v && typeof v === 'object') { text('{'); for (const k of Object.keys(v).sort()) { text(k); walk(v[k]); } text('}'); }
    else text(JSON.stringify(v) ?? 'undefined');
  };
  walk(value);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function installAutomation(ui, app) {
  const lastError = () => [...app.messages].reverse().find((m) => m.kind === 'error');
  async function settled() {
    await app.engine.idle();
    await nextFrame();
  }
  window.neuronlens = {
    async state() {
      const layer = app.layerInfo();
      return {
        model: app.model ? app.model.info.name : null,
        modelId: app.model ? app.model.id : null,
        modelInfo: app.model ? { imported: !!app.model.entry.imported, width: app.model.info.width, height: app.model.info.height,
                                 channels: app.model.info.channels, classes: app.model.labels.length,
                                 layers: app.model.layers.length, parameters: app.model.info.parameters } : null,
        importing: !!app.importing,
        activations: app.activations ? { layer: app.layerInfo()?.name, channels: app.activations.channels,
                                         width: app.activations.width, height: app.activations.height } : null,
        focus: app.focus.map ? { method: app.focus.method, class: app.focus.map.class, width: app.focus.map.width } : null,
        input: app.input ? { kind: app.input.kind, index: app.input.index ?? null, description: app.input.description,
                             width: app.input.width, height: app.input.height } : null,
        prediction: app.prediction ? app.prediction.map((r) => ({ label: r.label, probability: r.probability })) : [],
        layer: layer ? layer.name : null,
        neuron: app.neuron,
        busy: app.engine.busy(),
        engine: { ...ui.engineInfo, crossOriginIsolated: self.crossOriginIsolated === true },
        visualization: { running: app.viz.running, step: app.viz.step, steps: app.viz.steps, seconds: app.viz.seconds ?? null,
                         settings: { ...app.viz.settings } },
        clusters: { computed: !!app.clusters.categories, layer: app.layerInfo(app.clusters.layer)?.name ?? null,
                    categories: app.clusters.categories?.classes ?? 0, neurons: app.clusters.neurons?.assignment.length ?? 0,
                    groupRows: app.clusters.groups?.order.length ?? 0, clusters: app.clusters.neurons?.members.length ?? 0,
                    tiles: app.clusters.tiles?.done ? { width: app.clusters.tiles.width, height: app.clusters.tiles.height } : null },
        // The background jobs' progress (0 to 1) while they run, else null.
        progress: { statistics: app.statisticsProgress?.progress ?? null,
                    tiles: app.clusters.tiles && !app.clusters.tiles.done ? app.clusters.tiles.progress : null,
                    analysis: app.analysis.progress ?? null },
        samples: app.model?.samples ? { count: app.model.samples.count, custom: !!app.model.samples.custom } : null,
        analysis: app.analysis.result ? { layer: app.layerInfo(app.analysis.result.node)?.name,
                                          rows: app.analysis.result.rows.map((r) => ({ name: r.name, kept: r.kept, overall: r.overall })) } : null,
        panels: { ...app.panels },
        kiosk: ui.kiosk,
        // Kiosk mode: the tab on screen ('start', 'focus', 'neurons', 'groups') and the idle time before it returns to 'start'.
        kioskTab: ui.kiosk ? ui.kioskTab ?? null : null,
        kioskIdleSeconds: ui.kiosk ? ui.kioskIdleMs / 1000 : null,
        messages: app.messages.map((m) => ({ kind: m.kind, text: m.text })),
      };
    },
    async loadImage(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('loadImage takes a Uint8Array holding an image file');
      const before = lastError();
      const ok = await app.useImageFile(bytes, 'image');
      await nextFrame();
      if (!ok) {
        const error = lastError();
        throw new Error(error && error !== before ? error.text : 'the image was not loaded');
      }
      return window.neuronlens.state();
    },
    async applyLink(fragment) {
      const ok = await app.applyLink(fragment);
      await settled();
      if (!ok) throw new Error(lastError()?.text || 'the link was not applied');
      return window.neuronlens.state();
    },
    idle: settled,
    async visualization() {
      const v = app.viz;
      if (!v.result) return null;
      return { width: v.width, height: v.height, rgba: new Uint8Array(v.result.rgba) };
    },
    async importModel(bytes, config = null, name = 'model.onnx') {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('importModel takes a Uint8Array holding an .onnx file');
      const ok = await app.importModel(bytes, name, config);
      await settled();
      if (!ok) throw new Error(app.importError || lastError()?.text || 'the model was not imported');
      return window.neuronlens.state();
    },
    // The current input's class scores (the model's output before softmax), as an array.
    async logits() { return Array.from((await app.engine.call('predict')).logits); },
    // Shows the focus map of a method ('gradcam', 'saliency', 'occlusion') for a class (-1: the predicted one).
    async focus(method, target = -1) {
      Object.assign(app.focus, { method, target, map: null });
      await app.loadFocus();
      await settled();
      return (await window.neuronlens.state()).focus;
    },
    // The focus map on show: {method, class, width, height, values: Float32Array [height * width]}
    // (what the overlay colours over the input), or null.
    focusMap() {
      const m = app.focus.map;
      if (!m) return null;
      return { method: app.focus.method, class: m.class, width: m.width, height: m.height, values: Float32Array.from(m.values) };
    },
    // Milliseconds per forward pass of the current model on the current input (the
    // engine's setInputPixels with the same pixels: preprocessing, forward, softmax).
    async benchmarkForward(repeats = 5) {
      const pixels = app.input.pixels;
      await app.engine.request('setInputPixels', { pixels: pixels.slice() });  // warm-up
      const t0 = performance.now();
      for (let i = 0; i < repeats; ++i) await app.engine.request('setInputPixels', { pixels: pixels.slice() });
      return (performance.now() - t0) / repeats;
    },
    // Model pixels [H, W, C] as bytes, as the model's preprocessing takes them.
    async usePixels(pixels) { const ok = await app.usePixels(pixels, 'pixels'); await settled(); return ok; },
    link: () => app.makeLink(),
    // Switches to another model of build/app/models.json (by id) and shows its first sample.
    async loadModel(id) { await ui.switchModel(id); await settled(); return window.neuronlens.state(); },
    models: () => app.models.map((m) => ({ id: m.id, name: m.name })),
    async useSample(index) { await app.useSample(index); await nextFrame(); },
    async selectLayer(name) {
      const layer = app.model.layers.find((l) => l.name === name);
      if (!layer) throw new Error(`no layer ${name}`);
      await app.selectLayer(layer.id);
    },
    // Changes visualization settings (the keys of the Settings panel); returns the settings in force.
    setVisualizationSettings(settings) { Object.assign(app.viz.settings, settings); app.changed(); return { ...app.viz.settings }; },
    async selectNeuron(channel) { await app.selectNeuron(channel); await settled(); },
    async openClusters() {
      app.panels.clusters = true;
      app.changed();
      const ok = await app.computeClusters();
      await settled();
      return ok;
    },
    // Opens or closes panels: {input, prediction, network, neuron, focus, clusters, analysis}.
    setPanels(panels) { for (const k of Object.keys(app.panels)) if (typeof panels[k] === 'boolean') app.panels[k] = panels[k]; app.changed(); return { ...app.panels }; },
    // files: [{className, name, bytes: Uint8Array}], as a dropped folder gives them.
    async useFolder(files) { const ok = await app.useFolder(files); await settled(); return ok; },
    // Visualizes every neuron of the cluster panel's layer (the tiles of the neuron clusters).
    async computeTiles(steps = 48) { await app.computeTiles(steps); await settled(); return !!app.clusters.tiles?.done; },
    async runAnalysis() { app.panels.analysis = true; const ok = await app.runAnalysis(); await settled(); return ok; },
    timings: () => ({ ...app.timings, navigationStart: 0 }),
    // The engine's memory once it is idle: {inUse, free, heap} in bytes (dlmalloc's
    // bytes in live allocations and free in the heap; the wasm memory's size).
    async memory() { await settled(); const m = await app.engine.call('engineMemory'); return { inUse: m.inUse, free: m.free, heap: m.heap }; },
    // A long engine job run directly in the background slot, outside the app's state:
    // kind 'visualize' | 'statistics' | 'tiles' | 'ablation', options as the engine takes
    // them (a `layer` name stands for its node). cancel: {afterReports: n} cancels after
    // n progress reports (0: at once, before its first step), {atProgress: p} once its
    // progress reaches p. Resolves {cancelled, reports, progress, digest} (digest: of
    // the result, see digest()); rejects on any other error.
    async job(kind, options = {}, cancel = null) {
      const opts = { ...options };
      if (typeof opts.layer === 'string') {
        const layer = app.model.layers.find((l) => l.name === opts.layer);
        if (!layer) throw new Error(`no layer ${opts.layer}`);
        opts.node = layer.id;
        delete opts.layer;
      }
      let reports = 0, progress = 0, cancelSent = false;
      const cancelNow = () => { if (!cancelSent) { cancelSent = true; app.engine.cancel('bg'); } };
      const running = app.engine.job('bg', kind, opts, (report) => {
        ++reports;
        progress = report.progress;
        if (cancel && ((cancel.afterReports !== undefined && reports >= cancel.afterReports) ||
                       (cancel.atProgress !== undefined && progress >= cancel.atProgress))) cancelNow();
      });
      if (cancel && cancel.afterReports === 0) cancelNow();
      try {
        const result = await running;
        await settled();
        return { cancelled: false, reports, progress, digest: digest(result) };
      } catch (e) {
        await settled();
        if (e && e.cancelled) return { cancelled: true, reports, progress, digest: null };
        throw e;
      }
    },
    // A hash (FNV-1a, hex) of a value's every number, string and typed array's bytes.
    digest: (value) => digest(value),
    // Frames the UI has run and shown so far, redrawn whole, in part or (nothing having changed)
    // not at all (gl_damage.js); the callbacks skipped while idle are not counted.
    frames: () => ui.frames || 0,
    // Screen positions (CSS pixels) of widgets the tests click: {grid: {x, y, step, size, columns, channels}}.
    layout: () => JSON.parse(JSON.stringify(ui.targets)),
  };
}
