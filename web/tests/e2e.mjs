// End-to-end tests of the web app in a real browser: playwright-core driving
// Debian's Chromium headless (never a downloaded browser). Starts the app's
// server twice (with and without cross-origin isolation), runs the checks of
// issue 5 and prints "N passed, N failed". Screenshots go to build/e2e/ and
// are checked not to be blank; figures (first prediction, download size,
// visualization time) are written to build/e2e/figures.json.
// Usage: node web/tests/e2e.mjs [--only NAME]   (after tools/serve's build steps)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { encodePng, hugePng, pictureStats } from './png.mjs';
import { launchChromium } from './chromium.mjs';
import { startServer } from './serve_for_tests.mjs';
import { assert, createRunner } from './test_runner.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'build/e2e');
fs.mkdirSync(out, { recursive: true });
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const figures = {};
const { test, counts } = createRunner(only);

// ONNX models for the import tests, exported by Debian's PyTorch with random
// weights at fixed seeds, with PyTorch's logits for a test image
// (web/tests/make_onnx_models.py; made once into build/e2e-onnx, about 20 s).
const onnxDir = path.join(root, 'build/e2e-onnx');
function onnxModels() {
  if (!fs.existsSync(path.join(onnxDir, 'index.json'))) {
    const made = spawnSync('/usr/bin/python3', [path.join(root, 'web/tests/make_onnx_models.py'), onnxDir], { stdio: 'inherit' });
    assert(made.status === 0, 'make_onnx_models.py failed');
  }
  return JSON.parse(fs.readFileSync(path.join(onnxDir, 'index.json'), 'utf8'));
}

// max |a - b| / max |b|, the engine's tolerance measure against PyTorch (docs/ONNX.md).
function relativeError(a, b) {
  assert(a.length === b.length, `${a.length} logits, PyTorch has ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; ++i) { diff = Math.max(diff, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return diff / scale;
}

// A coloured test picture (RGB PNG): stripes and a disc whose colours depend on the seed.
function colourPng(seed, size = 64) {
  const px = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; ++y)
    for (let x = 0; x < size; ++x) {
      const disc = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2;
      for (let c = 0; c < 3; ++c)
        px[(y * size + x) * 3 + c] = disc ? (seed * 53 + c * 97) % 256 : ((x + y * (c + 1) + seed * 17) % 32) * 8;
    }
  return encodePng(px, size, size, 3);
}

async function screenshot(page, name) {
  const png = await page.screenshot({ path: path.join(out, `${name}.png`) });
  const stats = pictureStats(png);
  assert(stats.colours > 50 && stats.stddev > 8, `screenshot ${name} looks blank (${stats.colours} colours, stddev ${stats.stddev.toFixed(1)})`);
  return stats;
}

// Polls an async predicate in the page until it holds (waitForFunction does not await promises).
async function waitFor(page, predicate, { timeout = 60000, what = 'condition', arg } = {}) {
  const deadline = Date.now() + timeout;
  while (true) {
    const ok = await page.evaluate(predicate, arg).catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A "1" on the drawing area d = {x, y, size}: one stroke down the middle, leaning
// a little left, as 13 points from the top.
function strokeOfOne(d) {
  return Array.from({ length: 13 }, (_, i) => ({ x: d.x + d.size * (0.52 - 0.02 * i / 12), y: d.y + d.size * (0.18 + 0.64 * i / 12) }));
}

// After a stroke: waits until the drawing is the input and its prediction is shown; its state.
async function drawingPredicted(page) {
  await waitFor(page, async () => (await window.neuronlens.state()).input?.kind === 'drawing', { timeout: 20000, what: 'the drawing' });
  await page.evaluate(() => window.neuronlens.idle());
  await page.waitForTimeout(400);
  await page.evaluate(() => window.neuronlens.idle());
  return state(page);
}

async function appReady(page, { timeout = 60000 } = {}) {
  await waitFor(page, async () => !!window.neuronlens && (await window.neuronlens.state()).prediction.length > 0,
                { timeout, what: 'the first prediction' });
  await page.evaluate(() => window.neuronlens.idle());
}

// A click as a person makes it: the pointer arrives, the button stays down for a moment.
async function click(page, x, y) {
  await page.mouse.move(x, y);
  await page.waitForTimeout(80);
  await page.mouse.down();
  await page.waitForTimeout(80);
  await page.mouse.up();
}

const state = (page) => page.evaluate(() => window.neuronlens.state());

// Test images from the Fashion-MNIST test set, past the samples the app ships
// (the first 100 of each class), upscaled 4x: a real PNG, and a real JPEG made
// by Chromium's encoder.
function datasetImage(label, skip = 0) {
  const dir = '/usr/share/datasets/fashion-mnist';
  const read = (stem) => {
    const file = [stem, `${stem}.gz`].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    const data = fs.readFileSync(file);
    return file.endsWith('.gz') ? zlib.gunzipSync(data) : data;
  };
  const images = read('t10k-images-idx3-ubyte'), labels = read('t10k-labels-idx1-ubyte');
  let seen = 0;
  for (let i = 0; i < 10000; ++i) {
    if (labels[8 + i] !== label) continue;
    if (++seen <= 100 + skip) continue;
    const px = images.subarray(16 + i * 784, 16 + (i + 1) * 784);
    const big = new Uint8Array(112 * 112);
    for (let y = 0; y < 112; ++y) for (let x = 0; x < 112; ++x) big[y * 112 + x] = px[(y >> 2) * 28 + (x >> 2)];
    return big;
  }
  throw new Error('no test image');
}

async function main() {
  const port = 8400 + Math.floor(Math.random() * 200);
  const isolatedServer = await startServer(root, port, { isolated: true });
  const plainServer = await startServer(root, port + 1, { isolated: false });
  const origin = `http://127.0.0.1:${port}`;
  const browser = await launchChromium();
  const requests = [];
  // Content-Security-Policy violations, in every page and context the tests open
  // (the event, and Chromium's console message for it).
  const cspViolations = [];
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const created = await newContext(options);
    await created.exposeBinding('__reportCspViolation', (source, text) => cspViolations.push(text));
    await created.addInitScript(() => {
      self.addEventListener('securitypolicyviolation', (e) =>
        self.__reportCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`));
    });
    created.on('console', (m) => { if (/Content Security Policy|Content-Security-Policy|unsafe-eval/i.test(m.text())) cspViolations.push(m.text()); });
    return created;
  };
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.text().includes('[imgui-error]')) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  const trouserPng = encodePng(datasetImage(1), 112, 112, 1);
  fs.writeFileSync(path.join(out, 'trouser.png'), trouserPng);

  try {
    await test('load: the app starts and shows a prediction for the first sample', async () => {
      const t0 = Date.now();
      // Two engine threads whatever the machine's default (one fewer than its
      // cores), so the later tests run the threaded paths and compare them with
      // the single-threaded build.
      await page.goto(`${origin}/?threads=2`);
      await appReady(page);
      const s = await state(page);
      assert(s.model, 'no model');
      assert(s.input && s.input.kind === 'sample', 'no sample input');
      assert(s.engine.crossOriginIsolated && s.engine.threaded, `expected the threaded build on an isolated page: ${JSON.stringify(s.engine)}`);
      const timing = await page.evaluate(() => ({ first: window.neuronlens.timings().firstPrediction,
                                                  nav: performance.timeOrigin }));
      figures.firstPredictionMs = Math.round(timing.first);
      figures.loadWallMs = Date.now() - t0;
      await screenshot(page, '01-loaded');
    });

    await test('engine threads: one fewer than the cores by default; ?threads=N overrides up to the cores, other values are ignored', async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
      const p = await ctx.newPage();
      const threadsFor = async (query) => {
        await p.goto(`${origin}/${query}`);
        await appReady(p);
        return (await state(p)).engine.threads;
      };
      const cores = await p.evaluate(() => navigator.hardwareConcurrency || 1);
      const byDefault = Math.max(1, Math.min(4, cores - 1)), most = Math.max(1, Math.min(4, cores));
      assert(await threadsFor('?sw=0') === byDefault, `default: expected ${byDefault} threads on ${cores} cores`);
      assert(await threadsFor('?sw=0&threads=2') === Math.min(2, most), '?threads=2 not used');
      assert(await threadsFor('?sw=0&threads=8') === most, `?threads=8 should be capped at ${most} on ${cores} cores`);
      for (const bad of ['0', '9', 'abc', '2.5', '-1']) {
        const got = await threadsFor(`?sw=0&threads=${bad}`);
        assert(got === byDefault, `?threads=${bad} gave ${got} threads, expected the default ${byDefault}`);
      }
      await ctx.close();
    });

    await test('upload: a real PNG through the file picker gives a prediction', async () => {
      const before = await state(page);
      await page.setInputFiles('input[type=file]', { name: 'trouser.png', mimeType: 'image/png', buffer: trouserPng });
      await waitFor(page, async () => (await window.neuronlens.state()).input?.kind === 'upload', { timeout: 20000, what: 'the upload' });
      await page.evaluate(() => window.neuronlens.idle());
      const s = await state(page);
      assert(s.prediction.length > 0, 'no prediction');
      assert(s.input.description.includes('PNG'), `input: ${s.input.description}`);
      figures.pngPrediction = s.prediction[0];
      assert(s.prediction[0].label === 'Trouser', `a trouser was predicted as ${s.prediction[0].label}`);
      assert(before.input.kind === 'sample', 'the input did not change');
      await screenshot(page, '02-png');
    });

    await test('upload: a real JPEG (encoded by Chromium) through loadImage gives a prediction', async () => {
      const jpeg = await page.evaluate(async (grey) => {
        const canvas = new OffscreenCanvas(112, 112);
        const data = new ImageData(112, 112);
        for (let i = 0; i < grey.length; ++i) data.data.set([grey[i], grey[i], grey[i], 255], i * 4);
        canvas.getContext('2d').putImageData(data, 0, 0);
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
        return Array.from(new Uint8Array(await blob.arrayBuffer()));
      }, Array.from(datasetImage(7)));  // a sneaker
      fs.writeFileSync(path.join(out, 'sneaker.jpg'), Buffer.from(jpeg));
      const s = await page.evaluate(async (bytes) => window.neuronlens.loadImage(new Uint8Array(bytes)), jpeg);
      assert(s.input.description.includes('JPEG'), `input: ${s.input.description}`);
      figures.jpegPrediction = s.prediction[0];
      assert(['Sneaker', 'Sandal', 'Ankle boot'].includes(s.prediction[0].label), `a sneaker was predicted as ${s.prediction[0].label}`);
    });

    await test('neuron: a real click on an activation map opens its neuron and runs its visualization to the end', async () => {
      const layout = await page.evaluate(() => window.neuronlens.layout());
      assert(layout.grid, 'no activation grid on screen');
      const channel = Math.min(3, layout.grid.channels - 1);
      const g = layout.grid;
      const x = g.x + (channel % g.columns) * g.step + g.size / 2, y = g.y + Math.floor(channel / g.columns) * g.step + g.size / 2;
      // Frames the UI draws while the visualization runs, against its rate just before
      // with the pointer moving (no engine work): the engine must not hold up the UI.
      // The reference frames are redrawn whole (an idle frame where nothing changes
      // sends no draw at all, app/gl_damage.js): the rate of the UI's heaviest frames.
      const idleRate = await page.evaluate(async () => {
        window.neuronlens.redrawAll(true);
        const f0 = window.neuronlens.frames(), t0 = performance.now();
        while (performance.now() - t0 < 1500) {
          window.dispatchEvent(new Event('pointermove'));
          await new Promise((r) => setTimeout(r, 50));
        }
        window.neuronlens.redrawAll(false);
        return (window.neuronlens.frames() - f0) / ((performance.now() - t0) / 1000);
      });
      const t0 = Date.now();
      const frames0 = await page.evaluate(() => window.neuronlens.frames());
      await click(page, x, y);
      await waitFor(page, async () => (await window.neuronlens.state()).neuron !== null, { timeout: 10000, what: 'the neuron' });
      await waitFor(page, async () => (await window.neuronlens.visualization()) !== null, { timeout: 120000, what: 'the visualization' });
      const elapsed = Date.now() - t0;
      const frames = (await page.evaluate(() => window.neuronlens.frames())) - frames0;
      const s = await state(page);
      assert(s.neuron === channel, `neuron ${s.neuron} opened, expected ${channel}`);
      assert(s.visualization.step === 256 && !s.visualization.running, `visualization at step ${s.visualization.step}`);
      const v = await page.evaluate(async () => { const r = await window.neuronlens.visualization(); return { w: r.width, h: r.height, n: r.rgba.length }; });
      assert(v.n === v.w * v.h * 4, 'visualization size');
      figures.visualization256Ms = elapsed;
      figures.visualization256Seconds = (await state(page)).visualization.seconds;
      const rate = frames / (elapsed / 1000);
      figures.framesPerSecondIdle = Math.round(idleRate * 10) / 10;
      figures.framesPerSecondDuringVisualization = Math.round(rate * 10) / 10;
      // 30 frames per second, or (with a software GPU on a busy machine) at least
      // half of what the renderer manages when the engine is idle.
      assert(rate >= 30 || rate >= 0.5 * idleRate,
             `the UI drew ${rate.toFixed(1)} frames per second during the visualization, ${idleRate.toFixed(1)} when idle`);
      await page.evaluate(() => window.neuronlens.idle());
      await screenshot(page, '03-neuron');
    });

    await test('viz parameterisation: the control is in the settings; a Fourier visualization runs to the end, differs from the pixel one, and its link reproduces it bit for bit', async () => {
      if ((await state(page)).neuron === null) await page.evaluate(() => window.neuronlens.selectNeuron(1));
      const before = (await state(page)).visualization.settings;
      // The control: open the visualization's settings with a real click; the parameterisation combo is drawn.
      await page.evaluate(() => window.neuronlens.setPanels({ clusters: false, analysis: false }));
      await page.waitForTimeout(200);
      let layout = await page.evaluate(() => window.neuronlens.layout());
      assert(layout['viz:settings'], 'no settings header under the visualization');
      await click(page, layout['viz:settings'].x, layout['viz:settings'].y);
      await page.waitForTimeout(300);
      layout = await page.evaluate(() => window.neuronlens.layout());
      assert(layout['viz:parameterisation'], 'no parameterisation control in the visualization settings');
      await screenshot(page, '03c-viz-settings');
      await click(page, layout['viz:settings'].x, layout['viz:settings'].y);  // closed again, as the later tests expect
      const neuron = (await state(page)).neuron;
      const run = async (parameterization) => {
        await page.evaluate((p) => window.neuronlens.setVisualizationSettings({ steps: 48, start: 'noise', parameterization: p }), parameterization);
        await page.evaluate((n) => window.neuronlens.selectNeuron(n), neuron);
        const s = await state(page);
        assert(s.visualization.step === 48 && !s.visualization.running, `${parameterization}: at step ${s.visualization.step}`);
        assert(s.visualization.settings.parameterization === parameterization, `settings ${JSON.stringify(s.visualization.settings)}`);
        return page.evaluate(async () => Array.from((await window.neuronlens.visualization()).rgba));
      };
      const pixelsRun = await run('pixels');
      const fourierRun = await run('fourier');
      assert(fourierRun.length === pixelsRun.length, 'sizes differ');
      const differing = fourierRun.reduce((n, v, i) => n + (v !== pixelsRun[i]), 0);
      figures.vizBytesDifferingFourierVsPixels = differing;
      assert(differing > fourierRun.length / 4, `only ${differing} of ${fourierRun.length} bytes differ between Fourier and pixels`);
      const fourierLink = await page.evaluate(() => window.neuronlens.link());
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const other = await fresh.newPage();
      await other.goto(fourierLink);
      await appReady(other);
      await waitFor(other, async () => (await window.neuronlens.visualization()) !== null, { timeout: 120000, what: 'the visualization' });
      const s = await state(other);
      assert(s.visualization.settings.parameterization === 'fourier', `the link gave ${JSON.stringify(s.visualization.settings)}`);
      const linked = await other.evaluate(async () => Array.from((await window.neuronlens.visualization()).rgba));
      assert(linked.length === fourierRun.length && linked.every((v, i) => v === fourierRun[i]), 'the linked Fourier visualization differs');
      await fresh.close();
      // Back to the settings before, with their visualization, for the tests after.
      await page.evaluate((b) => window.neuronlens.setVisualizationSettings(b), before);
      await page.evaluate((n) => window.neuronlens.selectNeuron(n), neuron);
    });

    await test('frames: what partly redrawn and unchanged frames leave on the canvas is the whole frame', async () => {
      // app/gl_damage.js redraws only the rectangles whose draws changed and sends no
      // draw when none did. neuronlens.checkFrames(n) reads back what each of the next n
      // frames left on the canvas, draws the same frame again whole and counts the pixels
      // that differ. Checked while the pointer moves over widgets, while nothing changes,
      // for a new prediction and while a visualization runs; the screen must change too.
      const nextFrames = (n) => page.evaluate(async (n) => {
        const f0 = window.neuronlens.frames();
        while (window.neuronlens.frames() < f0 + n) await new Promise((r) => requestAnimationFrame(r));
      }, n);
      const kinds = {};
      const checked = async (what, frames, action) => {
        const results = page.evaluate((n) => window.neuronlens.checkFrames(n), frames);
        await action();
        for (const r of await results) {
          kinds[r.kind] = (kinds[r.kind] || 0) + 1;
          assert(r.differing === 0, `${what}: a ${r.kind} frame (damage ${JSON.stringify(r.damage)}) left ${r.differing} pixels unlike the whole frame`);
        }
      };
      const layout = await page.evaluate(() => window.neuronlens.layout());
      const g = layout.grid;
      await checked('pointer', 12, async () => {
        for (let i = 0; i < 12; ++i) { await page.mouse.move(g.x + (i % 4) * g.step + 3, g.y + (i >> 2) * g.step + 3); await nextFrames(1); }
      });
      await page.mouse.move(640, 795);
      await page.evaluate(() => window.neuronlens.idle());
      await nextFrames(3);
      await checked('nothing', 6, () => page.evaluate(async () => {
        const t0 = performance.now();
        while (performance.now() - t0 < 600) { window.dispatchEvent(new Event('pointermove')); await new Promise((r) => setTimeout(r, 50)); }
      }));
      assert(kinds.partial > 0, `no frame was redrawn in part while the pointer moved over the maps (${JSON.stringify(kinds)})`);
      assert(kinds.unchanged > 0, `no frame was left unchanged while nothing changed (${JSON.stringify(kinds)})`);
      // A new prediction, on the canvas and on screen.
      const shotBefore = await page.screenshot();
      const neuron = (await state(page)).neuron;
      await checked('prediction', 6, () => page.evaluate(() => window.neuronlens.useSample(7)));
      const s = await state(page);
      assert(s.input.index === 7, `sample ${s.input.index} in use`);
      await nextFrames(2);
      assert(Buffer.compare(await page.screenshot(), shotBefore) !== 0, 'the screen did not change with the new sample');
      // A visualization running (its picture is a texture rendered outside ImGui).
      // (256 steps: the checked frames fall while it runs, its picture changing in place.)
      await page.evaluate(() => window.neuronlens.setVisualizationSettings({ steps: 256 }));
      const partial = kinds.partial;
      await checked('visualization', 16, () => page.evaluate((n) => { window.neuronlens.selectNeuron(n); }, neuron === 1 ? 2 : 1));
      assert(kinds.partial > partial, `no frame was redrawn in part during the visualization (${JSON.stringify(kinds)})`);
      await waitFor(page, async () => { const v = (await window.neuronlens.state()).visualization; return v.step === 256 && !v.running; },
                    { timeout: 120000, what: 'the visualization' });
      figures.frameKindsChecked = kinds;
      // The input the next tests expect: the JPEG uploaded before (the link test shares it as pixels).
      const jpeg = path.join(out, 'sneaker.jpg');
      if (fs.existsSync(jpeg))
        await page.evaluate(async (bytes) => window.neuronlens.loadImage(new Uint8Array(bytes)), Array.from(fs.readFileSync(jpeg)));
      await page.evaluate(() => window.neuronlens.idle());
    });

    await test('clusters: the cluster maps open and are computed in the browser', async () => {
      const ok = await page.evaluate(() => window.neuronlens.openClusters());
      assert(ok, 'clusters were not computed');
      const s = await state(page);
      assert(s.clusters.computed && s.panels.clusters, 'cluster panel not open');
      await screenshot(page, '04-clusters');
      // The neuron clusters as tiles of their members' visualizations.
      const layout = await page.evaluate(() => window.neuronlens.layout());
      await click(page, layout['tab:Neuron clusters'].x, layout['tab:Neuron clusters'].y);
      assert(await page.evaluate(() => window.neuronlens.computeTiles(32)), 'the tiles were not computed');
      await page.waitForTimeout(300);
      await screenshot(page, '04b-neuron-clusters');
    });

    await test('exports: activation map, cluster tiles and both heatmaps as PNG; category similarity, neuron clusters and neuron x category as CSV', async () => {
      const s = await state(page);
      const c = s.clusters;
      assert(c.computed && c.tiles && c.neurons > 0 && s.neuron !== null && s.activations, `needs the clusters and tiles tests: ${JSON.stringify(c)}`);
      const fetchExport = async (label, file) => {
        let layout = await page.evaluate(() => window.neuronlens.layout());
        await click(page, layout['menu:Export'].x, layout['menu:Export'].y);
        await page.waitForTimeout(300);
        layout = await page.evaluate(() => window.neuronlens.layout());
        const item = layout[`menu:Export/${label}`];
        assert(item, `no Export item "${label}"`);
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), click(page, item.x, item.y)]);
        const saved = path.join(out, file);
        await download.saveAs(saved);
        await page.waitForTimeout(200);
        return fs.readFileSync(saved);
      };
      const png = async (label, file, width, height) => {
        const p = pictureStats(await fetchExport(label, file));
        assert(p.width === width && p.height === height, `${label}: ${p.width} x ${p.height}, expected ${width} x ${height}`);
        assert(p.colours >= 3 && p.stddev > 2, `${label} is blank: ${JSON.stringify(p)}`);
      };
      const csv = async (label, file, header, rows) => {
        const lines = (await fetchExport(label, file)).toString('utf8').trim().split('\n');
        assert(lines[0].startsWith(header), `${label}: header "${lines[0].slice(0, 80)}"`);
        assert(lines.length === rows + 1, `${label}: ${lines.length - 1} rows, expected ${rows}`);
        return lines;
      };
      await png('Activation map of the neuron (PNG)', 'activation-map.png', 4 * s.activations.width, 4 * s.activations.height);
      await png('Activation map over the input (PNG)', 'activation-map-over-input.png', 8 * s.input.width, 8 * s.input.height);
      await png('Category similarity heatmap (PNG)', 'category-similarity.png', 8 * c.categories, 8 * c.categories);
      await png('Neuron x category heatmap (PNG)', 'neuron-category.png', 8 * c.categories, 8 * c.groupRows);
      const tiles = pictureStats(await fetchExport('Neuron cluster tiles (PNG)', 'neuron-cluster-tiles.png'));
      assert(tiles.width === 16 * c.tiles.width && tiles.height % c.tiles.height === 0 &&
             tiles.height >= c.clusters * c.tiles.height, `tiles ${tiles.width} x ${tiles.height}`);
      assert(tiles.colours >= 3 && tiles.stddev > 2, `the tiles are blank: ${JSON.stringify(tiles)}`);
      const similarity = await csv('Category similarity (CSV)', 'category-similarity.csv', 'category,', c.categories);
      assert(similarity[0].split(',').length === c.categories + 1, `similarity header: ${similarity[0]}`);
      const diagonal = similarity.slice(1).map((line, i) => Number(line.split(',')[i + 1]));
      assert(diagonal.every((v) => Math.abs(v - 1) < 1e-3), `the similarity's diagonal is not 1: ${diagonal}`);
      const assignment = await csv('Neuron clusters (CSV)', 'neuron-clusters.csv', 'neuron,cluster,cluster_serves', c.neurons);
      const clusterIds = new Set(assignment.slice(1).map((line) => Number(line.split(',')[1])));
      assert([...clusterIds].every((k) => k >= 1 && k <= c.clusters), `cluster numbers ${[...clusterIds]}`);
      await csv('Neuron x category (CSV)', 'neuron-category.csv', 'neuron,serves,', c.groupRows);
    });

    let link = null, pixels = null, linkedState = null;
    await test('link: a fresh page opened from the link shows the same state and identical visualization pixels', async () => {
      link = await page.evaluate(() => window.neuronlens.link());
      linkedState = await state(page);
      pixels = await page.evaluate(async () => Array.from((await window.neuronlens.visualization()).rgba));
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      fresh.on('request', (r) => requests.push(r.url()));
      const other = await fresh.newPage();
      await other.goto(link);
      await appReady(other);
      await waitFor(other, async () => (await window.neuronlens.visualization()) !== null, { timeout: 120000, what: 'the visualization' });
      const s = await state(other);
      for (const key of ['model', 'layer', 'neuron']) assert(s[key] === linkedState[key], `${key}: ${s[key]} vs ${linkedState[key]}`);
      assert(s.input.kind === 'pixels' && s.input.width === linkedState.input.width, `input ${JSON.stringify(s.input)}`);
      assert(JSON.stringify(s.prediction) === JSON.stringify(linkedState.prediction), 'the prediction differs');
      const otherPixels = await other.evaluate(async () => Array.from((await window.neuronlens.visualization()).rgba));
      assert(otherPixels.length === pixels.length && otherPixels.every((v, i) => v === pixels[i]), 'the visualization pixels differ');
      await screenshot(other, '05-from-link');
      await fresh.close();
    });

    await test('offline: after one first visit (a fresh context) the app starts, predicts and loads images without a network', async () => {
      // A genuine first visit: nothing cached, the page's modules fetched before the service worker controls it.
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const firstVisit = new Set();
      fresh.on('request', (r) => { if (r.url().startsWith(origin)) firstVisit.add(new URL(r.url()).pathname); });
      const p = await fresh.newPage();
      const errors = [];
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(`${origin}/`);
      await appReady(p);
      await p.evaluate(() => navigator.serviceWorker.ready);  // active: its install (the precache) is done
      // Every file the first visit asked for, and every file of precache.json, is in the cache.
      const cached = await p.evaluate(async () => {
        const cache = await caches.open('neuronlens-v1');
        return (await cache.keys()).map((r) => new URL(r.url).pathname);
      });
      const listed = JSON.parse(fs.readFileSync(path.join(root, 'build/app/precache.json'), 'utf8')).files
        .map((f) => new URL(f, `${origin}/`).pathname);
      figures.offlineCachedFiles = cached.length;
      const missing = [...new Set([...firstVisit, ...listed])].filter((f) => !cached.includes(f) && f !== '/sw.js' && f !== '/build/app/precache.json');
      assert(missing.length === 0, `not cached for offline use: ${missing.join(', ')}`);
      await fresh.setOffline(true);
      await p.reload();
      await appReady(p, { timeout: 30000 });
      let s = await state(p);
      assert(s.prediction.length > 0, 'no prediction offline');
      // An image loads and is predicted offline; the other model (its weights and samples) loads too.
      s = await p.evaluate(async (b) => window.neuronlens.loadImage(new Uint8Array(b)), Array.from(trouserPng));
      assert(s.prediction[0].label === 'Trouser', `offline, the trouser was predicted as ${s.prediction[0].label}`);
      const digits = (await p.evaluate(() => window.neuronlens.models())).find((m) => m.id.startsWith('digits'));
      if (digits) {
        await p.evaluate((id) => window.neuronlens.loadModel(id), digits.id);
        await p.evaluate(() => window.neuronlens.useSample(0));
        await p.evaluate(() => window.neuronlens.idle());
        s = await state(p);
        assert(s.model && s.prediction.length > 0 && s.input?.kind === 'sample', `offline, the digit model did not load: ${JSON.stringify(s.messages?.slice(-2))}`);
      }
      await screenshot(p, '06-offline');
      assert(errors.length === 0, `page errors offline: ${errors.slice(0, 3).join(' | ')}`);
      await fresh.close();
    });

    await test('bad input: not an image, truncated, 20000 x 20000, empty: clear messages, and the app keeps working', async () => {
      const huge = await hugePng(20000, 20000);
      const cases = [
        ['not an image', Buffer.from('This is a text file, not a picture.\n'), /not an image/],
        ['truncated PNG', trouserPng.subarray(0, Math.floor(trouserPng.length / 2)), /truncated/],
        ['20000 x 20000 PNG', huge, /20000 x 20000/],
        ['empty file', Buffer.alloc(0), /empty/],
      ];
      for (const [name, bytes, expected] of cases) {
        const message = await page.evaluate(async (b) => {
          try { await window.neuronlens.loadImage(new Uint8Array(b)); return null; } catch (e) { return e.message; }
        }, Array.from(bytes));
        assert(message && expected.test(message), `${name}: message "${message}"`);
        const s = await state(page);
        assert(s.messages.some((m) => m.kind === 'error' && expected.test(m.text)), `${name}: no message in the UI`);
      }
      // Through the real file picker too, and the message is on screen.
      await page.setInputFiles('input[type=file]', { name: 'broken.png', mimeType: 'image/png', buffer: trouserPng.subarray(0, 100) });
      await page.waitForTimeout(500);
      await screenshot(page, '07-bad-input');
      const s = await page.evaluate(async (b) => window.neuronlens.loadImage(new Uint8Array(b)), Array.from(trouserPng));
      assert(s.prediction[0].label === 'Trouser', 'the app does not work after bad input');
    });

    await test('analysis: ablation and the domination test run in the browser', async () => {
      const ok = await page.evaluate(() => window.neuronlens.runAnalysis());
      assert(ok, 'the analysis did not run');
      const s = await state(page);
      const rows = s.analysis.rows;
      assert(rows.length >= 8 && rows[0].kept === -1, `rows: ${JSON.stringify(rows.slice(0, 2))}`);
      assert(rows.every((r) => r.overall >= 0 && r.overall <= 1), 'accuracies outside [0, 1]');
      await page.waitForTimeout(300);
      assert((await page.evaluate(() => window.neuronlens.layout()))['plot:ablation'], 'no plot of the ablation results');
      await page.evaluate(() => window.neuronlens.setPanels({ clusters: false }));
      await screenshot(page, '10-analysis');
      await page.evaluate(() => window.neuronlens.setPanels({ analysis: false }));
    });

    await test('folder: labelled images in one subfolder per class replace the samples', async () => {
      const files = [];
      for (const [label, name] of [[1, 'Trouser'], [7, 'Sneaker'], [8, 'Bag']])
        for (let k = 0; k < 4; ++k) files.push({ className: name, name: `${k}.png`, bytes: Array.from(encodePng(datasetImage(label, k), 112, 112, 1)) });
      files.push({ className: 'Not a class', name: 'x.png', bytes: Array.from(trouserPng) });
      const ok = await page.evaluate(async (list) => window.neuronlens.useFolder(list.map((f) => ({ ...f, bytes: new Uint8Array(f.bytes) }))), files);
      assert(ok, 'the folder was refused');
      const s = await state(page);
      assert(s.samples.custom && s.samples.count === 12, `samples ${JSON.stringify(s.samples)}`);
      assert(await page.evaluate(() => window.neuronlens.openClusters()), 'no clusters on the folder');
    });

    await test('folder picker: a real folder on disk, chosen with the "Choose a folder..." button, replaces the samples', async () => {
      // chosen/<class>/<image>: 3 classes x 3 images, plus what must be left out:
      // a folder named after no class, an image at the top and one a level too deep.
      const chosen = fs.mkdtempSync(path.join(out, 'folder-'));
      const write = (rel, bytes) => { fs.mkdirSync(path.dirname(path.join(chosen, rel)), { recursive: true }); fs.writeFileSync(path.join(chosen, rel), bytes); };
      for (const [label, name] of [[2, 'Pullover'], [5, 'Sandal'], [9, 'Ankle boot']])
        for (let k = 0; k < 3; ++k) write(`${name}/${k}.png`, encodePng(datasetImage(label, k), 112, 112, 1));
      write('Not a class/x.png', trouserPng);
      write('top-level.png', trouserPng);
      write('Sandal/deeper/y.png', trouserPng);
      await page.evaluate(() => window.neuronlens.setPanels({ clusters: true }));
      await waitFor(page, () => !!window.neuronlens.layout()['button:Choose a folder'], { what: 'the Choose a folder button' });
      const button = (await page.evaluate(() => window.neuronlens.layout()))['button:Choose a folder'];
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), click(page, button.x, button.y)]);
      await chooser.setFiles(chosen);
      await waitFor(page, async () => (await window.neuronlens.state()).samples.count === 9, { what: 'the chosen folder as samples' });
      await page.evaluate(() => window.neuronlens.idle());
      const s = await state(page);
      assert(s.samples.custom && s.samples.count === 9, `samples ${JSON.stringify(s.samples)}`);
      assert(await page.evaluate(() => window.neuronlens.openClusters()), 'no clusters on the chosen folder');
      fs.rmSync(chosen, { recursive: true, force: true });
    });

    await test('drawing: a stroke drawn with the mouse on the digit model is recognised', async () => {
      const models = await page.evaluate(() => window.neuronlens.models());
      const digits = models.find((m) => m.id.startsWith('digits'));
      assert(digits, `no digit model among ${JSON.stringify(models)}`);
      await page.evaluate((id) => window.neuronlens.loadModel(id), digits.id);
      await page.evaluate(() => window.neuronlens.setPanels({ clusters: false, analysis: false }));
      await page.waitForTimeout(300);
      let layout = await page.evaluate(() => window.neuronlens.layout());
      await click(page, layout['tab:Draw'].x, layout['tab:Draw'].y);
      await page.waitForTimeout(300);
      layout = await page.evaluate(() => window.neuronlens.layout());
      const d = layout.drawing;
      assert(d, 'no drawing area');
      const [first, ...rest] = strokeOfOne(d);
      await page.mouse.move(first.x, first.y);
      await page.mouse.down();
      for (const q of rest) {
        await page.mouse.move(q.x, q.y);
        await page.waitForTimeout(30);
      }
      await page.mouse.up();
      const s = await drawingPredicted(page);
      figures.drawnOne = s.prediction[0];
      assert(s.prediction[0].label === '1', `a drawn 1 was predicted as ${s.prediction[0].label}`);
      await screenshot(page, '11-drawing');
    });

    await test('touch: one tap opens the Draw tab, a finger stroke on the digit model draws a 1', async () => {
      const touchContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
      const p = await touchContext.newPage();
      await p.goto(`${origin}/`);
      await appReady(p);
      const digits = (await p.evaluate(() => window.neuronlens.models())).find((m) => m.id.startsWith('digits'));
      assert(digits, 'no digit model');
      await p.evaluate((id) => window.neuronlens.loadModel(id), digits.id);
      await p.waitForTimeout(300);
      let layout = await p.evaluate(() => window.neuronlens.layout());
      assert(!layout.drawing, 'the Draw tab is open before the tap');
      // A finger touches an empty place first (without the fix, ImGui would see the next tap there).
      await p.touchscreen.tap(1000, 400);
      await p.waitForTimeout(300);
      await p.touchscreen.tap(layout['tab:Draw'].x, layout['tab:Draw'].y);
      await p.waitForTimeout(400);
      layout = await p.evaluate(() => window.neuronlens.layout());
      const d = layout.drawing;
      assert(d, 'one tap on the Draw tab did not open it');
      // A "1" with a finger: touchStart, touchMoves, touchEnd (the events a touchscreen sends).
      const cdp = await touchContext.newCDPSession(p);
      const touch = (type, x, y) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y, id: 1 }] });
      const [first, ...rest] = strokeOfOne(d);
      await touch('touchStart', first.x, first.y);
      await p.waitForTimeout(60);
      for (const q of rest) {
        await touch('touchMove', q.x, q.y);
        await p.waitForTimeout(40);
      }
      await touch('touchEnd');
      const s = await drawingPredicted(p);
      figures.touchDrawnOne = s.prediction[0];
      await screenshot(p, '11b-touch-drawing');
      assert(s.prediction[0].label === '1', `a 1 drawn with a finger was predicted as ${s.prediction[0].label}`);
      await touchContext.close();
    });

    await test('cancel: the statistics, the tiles and the ablation are cancelled by their Cancel buttons, and run again to the end', async () => {
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await fresh.newPage();
      await p.goto(`${origin}/`);
      await appReady(p);
      // Starts a job without waiting for it, waits for its Cancel button to be drawn (each
      // is drawn first by its job), presses it with the mouse; the job's promise answers
      // `false` (not done).
      const cancelByButton = async (job, start) => {
        await p.evaluate((code) => { window.__job = (0, eval)(code)().then((ok) => ({ ok }), (e) => ({ error: e.message })); }, start);
        await waitFor(p, (j) => !!window.neuronlens.layout()[`cancel:${j}`], { arg: job, timeout: 60000, what: `the ${job}' Cancel button` });
        await p.waitForTimeout(250);  // a window that just opened has its place after a few frames
        const target = (await p.evaluate(() => window.neuronlens.layout()))[`cancel:${job}`];
        await p.mouse.move(target.x, target.y);
        await p.mouse.down();
        await p.waitForTimeout(50);
        await p.mouse.up();
        const outcome = await p.evaluate(() => window.__job);
        const s = await state(p);
        assert(!outcome.error, `${job}: ${outcome.error}`);
        assert(outcome.ok === false, `${job}: finished although cancelled (${JSON.stringify(outcome)})`);
        assert(s.progress[job] === null && !s.busy, `${job} still running: ${JSON.stringify(s.progress)}`);
        assert(s.messages.some((m) => /cancelled/.test(m.text)), `${job}: no message: ${JSON.stringify(s.messages)}`);
        return s;
      };
      let s = await cancelByButton('statistics', '() => window.neuronlens.openClusters()');
      assert(!s.clusters.computed, 'the clusters were computed although their statistics were cancelled');
      assert(await p.evaluate(() => window.neuronlens.openClusters()), 'the clusters do not compute after the cancel');
      await p.evaluate(() => window.neuronlens.setPanels({ clusters: true }));
      const tabs = await p.evaluate(() => window.neuronlens.layout());
      await click(p, tabs['tab:Neuron clusters'].x, tabs['tab:Neuron clusters'].y);
      await p.waitForTimeout(300);
      await cancelByButton('tiles', '() => window.neuronlens.computeTiles(32)');
      assert(await p.evaluate(() => window.neuronlens.computeTiles(8)), 'the tiles do not compute after the cancel');
      await p.evaluate(() => window.neuronlens.setPanels({ clusters: false, analysis: true }));
      // The analysis's layer has its statistics first (their own bar), then the ablation.
      await cancelByButton('analysis', '() => window.neuronlens.runAnalysis()');
      assert(await p.evaluate(() => window.neuronlens.runAnalysis()), 'the analysis does not run after the cancel');
      s = await state(p);
      assert(s.prediction.length > 0 && !s.messages.some((m) => m.kind === 'error'), `errors: ${JSON.stringify(s.messages)}`);
      await fresh.close();
    });

    await test('export and copy link through the menus: a CSV download, and the link in the address bar', async () => {
      let layout = await page.evaluate(() => window.neuronlens.layout());
      await click(page, layout['menu:Export'].x, layout['menu:Export'].y);
      await page.waitForTimeout(300);
      layout = await page.evaluate(() => window.neuronlens.layout());
      const item = layout['menu:Export/Prediction (CSV)'];
      assert(item, 'the Export menu did not open');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), click(page, item.x, item.y)]);
      const file = path.join(out, 'prediction.csv');
      await download.saveAs(file);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      assert(lines[0] === 'class,probability' && lines.length === 11, `CSV: ${lines.slice(0, 2).join(' / ')}`);
      await click(page, layout['menu:Copy link'].x, layout['menu:Copy link'].y);
      await waitFor(page, () => location.hash.startsWith('#s='), { timeout: 10000, what: 'the link in the address bar' });
    });

    const models = onnxModels();
    const relOnnx = (file) => `/build/e2e-onnx/${file}`;
    // Imports in the page by the automation API, the bytes fetched from the test server.
    const importInPage = (p, onnx, config, name) => p.evaluate(async ([url, configUrl, fileName]) => {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const config = configUrl ? await (await fetch(configUrl)).text() : null;
      try { await window.neuronlens.importModel(bytes, config, fileName); return { ok: true }; } catch (e) { return { ok: false, message: e.message }; }
    }, [onnx, config, name]);
    // The import tests run on the page as the tests before left it, or on a fresh one when run alone (--only import).
    const openApp = async () => { if (!page.url().startsWith(origin)) { await page.goto(`${origin}/`); await appReady(page); } };
    const usePixelsFrom = (p, url) => p.evaluate(async (u) => {
      const pixels = new Uint8Array(await (await fetch(u)).arrayBuffer());
      return window.neuronlens.usePixels(pixels);
    }, url);

    await test('import: a small grey CNN with its sidecar JSON through the real file picker and by drop; logits match PyTorch', async () => {
      const m = models.small_cnn;
      await openApp();
      await page.setInputFiles('#model-file', [path.join(onnxDir, m.onnx), path.join(onnxDir, m.sidecar)]);
      await waitFor(page, async () => (await window.neuronlens.state()).model === 'small-cnn', { timeout: 60000, what: 'the import' });
      await page.evaluate(() => window.neuronlens.idle());
      let s = await state(page);
      assert(s.modelInfo.imported && s.modelInfo.width === 28 && s.modelInfo.channels === 1 && s.modelInfo.classes === 10,
             `model ${JSON.stringify(s.modelInfo)}`);
      assert(await usePixelsFrom(page, relOnnx(m.pixels)), 'the test image was refused');
      const logits = await page.evaluate(() => window.neuronlens.logits());
      const reference = JSON.parse(fs.readFileSync(path.join(onnxDir, m.logits), 'utf8'));
      figures.onnxSmallCnnRelativeError = relativeError(logits, reference);
      assert(figures.onnxSmallCnnRelativeError <= 1e-4, `logits differ from PyTorch's by ${figures.onnxSmallCnnRelativeError}`);
      s = await state(page);
      assert(s.prediction.length === 10 && s.prediction[0].label.length === 1, `prediction ${JSON.stringify(s.prediction[0])}`);
      // Dropped on the page with its sidecar (renamed, to tell the two imports apart): imported at once.
      await page.evaluate(async ([onnxUrl, configUrl]) => {
        const onnx = new File([await (await fetch(onnxUrl)).arrayBuffer()], 'dropped.onnx');
        const config = JSON.parse(await (await fetch(configUrl)).text());
        const json = new File([JSON.stringify({ ...config, name: 'small-cnn-dropped' })], 'dropped.json', { type: 'application/json' });
        const data = new DataTransfer();
        data.items.add(onnx);
        data.items.add(json);
        window.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      }, [relOnnx(m.onnx), relOnnx(m.sidecar)]);
      await waitFor(page, async () => (await window.neuronlens.state()).model === 'small-cnn-dropped', { timeout: 30000, what: 'the dropped model' });
    });

    let resnetLogits = null;
    await test('import: ResNet-18 (224 x 224 x 3, imagenet preset) in the page; logits match PyTorch; every panel works', async () => {
      await openApp();
      const m = models.resnet18;
      const t0 = Date.now();
      const imported = await importInPage(page, relOnnx(m.onnx), relOnnx(m.sidecar), 'resnet18.onnx');
      figures.onnxResnet18ImportWallMs = Date.now() - t0;
      assert(imported.ok, `import failed: ${imported.message}`);
      const timings = await page.evaluate(() => window.neuronlens.timings());
      figures.onnxResnet18ImportInWorkerMs = Math.round(timings.lastImport);
      figures.onnxResnet18ImportMs = Math.round(timings.lastImportTotal);
      figures.onnxResnet18Bytes = m.bytes;
      let s = await state(page);
      assert(s.model === 'resnet18-random' && s.modelInfo.width === 224 && s.modelInfo.channels === 3 && s.modelInfo.classes === 1000,
             `model ${JSON.stringify(s.modelInfo)}`);
      // torchvision counts 11,689,512; the 20 batch norms are folded into the convolutions before
      // them (4,800 scales and 4,800 shifts become 4,800 biases).
      assert(s.modelInfo.parameters === 11689512 - 4800, `${s.modelInfo.parameters} parameters`);
      // Prediction: PyTorch's logits for the same pixels.
      assert(await usePixelsFrom(page, relOnnx(m.pixels)), 'the test image was refused');
      resnetLogits = await page.evaluate(() => window.neuronlens.logits());
      const reference = JSON.parse(fs.readFileSync(path.join(onnxDir, m.logits), 'utf8'));
      figures.onnxResnet18RelativeError = relativeError(resnetLogits, reference);
      assert(figures.onnxResnet18RelativeError <= 1e-4, `logits differ from PyTorch's by ${figures.onnxResnet18RelativeError}`);
      figures.onnxResnet18ForwardMs = Math.round(await page.evaluate(() => window.neuronlens.benchmarkForward(5)));
      s = await state(page);
      const argmax = (v) => v.indexOf(Math.max(...v));
      assert(s.prediction.length === 1000 && argmax(resnetLogits) === argmax(reference), 'the predicted class differs');
      assert(!s.prediction[0].label.startsWith('class '), `label ${s.prediction[0].label}: no ImageNet names`);
      figures.onnxResnet18Top = s.prediction[0];
      // Activation maps of a layer in the middle, a neuron with its visualization, focus.
      await page.evaluate(() => window.neuronlens.setPanels({ focus: true, clusters: false, analysis: false }));
      await page.evaluate(() => window.neuronlens.selectLayer('/layer2/layer2.1/conv2/Conv'));
      await page.evaluate(() => window.neuronlens.idle());
      s = await state(page);
      assert(s.activations && s.activations.channels === 128 && s.activations.width === 28, `activations ${JSON.stringify(s.activations)}`);
      await page.evaluate(() => window.neuronlens.setVisualizationSettings({ steps: 24 }));
      const tv = Date.now();
      await page.evaluate(() => window.neuronlens.selectNeuron(5));
      await waitFor(page, async () => (await window.neuronlens.visualization()) !== null, { timeout: 180000, what: 'the visualization' });
      figures.onnxResnet18Visualization24StepsMs = Date.now() - tv;
      const v = await page.evaluate(async () => { const r = await window.neuronlens.visualization(); return { w: r.width, h: r.height }; });
      assert(v.w === 224 && v.h === 224, `visualization ${v.w} x ${v.h}`);
      await page.evaluate(() => window.neuronlens.idle());
      s = await state(page);
      assert(s.focus && s.focus.width > 0, `focus ${JSON.stringify(s.focus)}`);
      // Occlusion: one forward pass per patch; on 224 x 224 the patches tile a 7 x 7 grid.
      const to = Date.now();
      const occlusion = await page.evaluate(() => window.neuronlens.focus('occlusion'));
      figures.onnxResnet18OcclusionMs = Date.now() - to;
      assert(occlusion && occlusion.method === 'occlusion' && occlusion.width > 0, `occlusion ${JSON.stringify(occlusion)}`);
      assert((await page.evaluate(() => window.neuronlens.layout())).grid, 'no activation grid on screen');
      await page.waitForTimeout(300);
      await screenshot(page, '12-onnx-resnet18');
    });

    await test('import: clusters and analysis of the imported ResNet-18 on a dropped folder of labelled images', async () => {
      // Classes by ImageNet name and by number (430: past 255, so the labels travel as 16-bit values).
      const files = [];
      for (const [k, name] of [[1, 'tench'], [2, 'goldfish'], [3, '430']])
        for (let i = 0; i < 3; ++i) files.push({ className: name, name: `${i}.png`, bytes: Array.from(colourPng(k * 10 + i)) });
      const ok = await page.evaluate(async (list) => window.neuronlens.useFolder(list.map((f) => ({ ...f, bytes: new Uint8Array(f.bytes) }))), files);
      let s = await state(page);
      assert(ok, `the folder was refused: ${s.messages.map((m) => m.text).join(' | ')}`);
      assert(s.samples.custom && s.samples.count === 9, `samples ${JSON.stringify(s.samples)}`);
      assert(await page.evaluate(() => window.neuronlens.openClusters()), 'no clusters on the folder');
      await page.waitForTimeout(300);
      await screenshot(page, '13-onnx-clusters');
      assert(await page.evaluate(() => window.neuronlens.runAnalysis()), 'the analysis did not run');
      s = await state(page);
      assert(s.analysis.rows.length >= 8 && s.analysis.rows.every((r) => r.overall >= 0 && r.overall <= 1), 'analysis rows');
      await page.evaluate(() => window.neuronlens.setPanels({ clusters: false }));
      await page.waitForTimeout(300);
      await screenshot(page, '14-onnx-analysis');
      await page.evaluate(() => window.neuronlens.setPanels({ analysis: false }));
    });

    await test('import: corrupt, non-ONNX, unsupported and too large models give a clear error and the model stays', async () => {
      await openApp();
      const before = await state(page);
      assert(before.model === 'resnet18-random', `model ${before.model}`);
      const resnet = fs.readFileSync(path.join(onnxDir, models.resnet18.onnx));
      const cases = [
        ['truncated', resnet.subarray(0, 1 << 20), null, /truncated or corrupt/],
        ['corrupt', Buffer.concat([resnet.subarray(0, 64), Buffer.alloc(4096, 0xff)]), null, /protobuf|corrupt/],
        ['a PNG', trouserPng, null, /not an ONNX model|PNG/],
        ['empty', Buffer.alloc(0), null, /empty/],
        ['unsupported op', fs.readFileSync(path.join(onnxDir, 'upsample.onnx')), null, /Resize.*not supported|not supported.*Resize/],
        ['too large', fs.readFileSync(path.join(onnxDir, 'wide_input.onnx')), null, /browser app takes models up to/],
        ['wrong settings', fs.readFileSync(path.join(onnxDir, 'small_cnn.onnx')), '{"preset": "imagenet"}', /224|channels/],
        ['bad settings JSON', fs.readFileSync(path.join(onnxDir, 'small_cnn.onnx')), '{"preset": "grey28", "colour": 3}', /colour/],
      ];
      figures.onnxErrors = {};
      fs.mkdirSync(path.join(onnxDir, 'bad'), { recursive: true });
      for (const [name, bytes, config, expected] of cases) {
        const file = `bad/${name.replace(/ /g, '-')}.onnx`;
        fs.writeFileSync(path.join(onnxDir, file), bytes);
        const t0 = Date.now();
        const message = await page.evaluate(async ([url, c]) => {
          const b = new Uint8Array(await (await fetch(url)).arrayBuffer());
          try { await window.neuronlens.importModel(b, c, 'bad.onnx'); return null; } catch (e) { return e.message; }
        }, [relOnnx(file), config]);
        figures.onnxErrors[name] = `${message} (${Date.now() - t0} ms)`;
        assert(message && expected.test(message), `${name}: message "${message}"`);
        const s = await state(page);
        assert(s.model === 'resnet18-random', `${name}: the model changed to ${s.model}`);
        assert(s.messages.some((m) => m.kind === 'error' && m.text.includes(message)), `${name}: no message in the UI`);
      }
      // Through the real file picker too: the form shows the error; then the old model still predicts the same.
      await page.setInputFiles('#model-file', { name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: resnet.subarray(0, 5000) });
      await page.waitForTimeout(300);
      await page.evaluate(() => window.neuronlens.setPanels({ import: true }));
      const layout = await page.evaluate(() => window.neuronlens.layout());
      assert(layout['button:Import'], 'no Import button in the form');
      await click(page, layout['button:Import'].x, layout['button:Import'].y);
      await waitFor(page, async () => (await window.neuronlens.state()).messages.some((m) => m.text.includes('broken.onnx')),
                    { timeout: 20000, what: 'the error of broken.onnx' });
      await page.waitForTimeout(300);
      await screenshot(page, '15-onnx-bad-file');
      assert((await state(page)).model === 'resnet18-random', 'the model changed');
      assert(await usePixelsFrom(page, relOnnx(models.resnet18.pixels)), 'the test image was refused');
      const logits = await page.evaluate(() => window.neuronlens.logits());
      assert(relativeError(logits, resnetLogits) === 0, 'the kept model predicts differently');
      await page.evaluate(() => window.neuronlens.setPanels({ import: false }));
    });

    await test('privacy: the page made no request outside its own origin', async () => {
      const outside = requests.filter((u) => !u.startsWith(`http://127.0.0.1:${port}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
      assert(outside.length === 0, `requests outside the origin: ${outside.slice(0, 5).join(', ')}`);
    });

    await test('single-threaded build on a page that is not cross-origin isolated', async () => {
      const plain = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
      const p = await plain.newPage();
      await p.goto(`http://127.0.0.1:${port + 1}/?sw=0`);
      await appReady(p);
      const s = await state(p);
      assert(!s.engine.crossOriginIsolated && !s.engine.threaded, `engine ${JSON.stringify(s.engine)}`);
      await p.evaluate(() => window.neuronlens.selectNeuron(1));
      assert(await p.evaluate(async () => (await window.neuronlens.visualization()) !== null), 'no visualization');
      await screenshot(p, '08-single-threaded');
      await plain.close();
    });

    await test('static host without the isolation headers: the service worker adds them, and after the first visit a reload runs the threaded build', async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await ctx.newPage();
      await p.goto(`http://127.0.0.1:${port + 1}/`);
      await appReady(p);
      let s = await state(p);
      assert(!s.engine.crossOriginIsolated && !s.engine.threaded, `first visit: engine ${JSON.stringify(s.engine)}`);
      await waitFor(p, async () => (await window.neuronlens.state()).messages.some((m) => m.text.includes('reload the page')),
                    { timeout: 120000, what: 'the hint to reload once the service worker controls the page' });
      await p.reload();
      await appReady(p);
      s = await state(p);
      assert(s.engine.crossOriginIsolated && s.engine.threaded, `after the reload: engine ${JSON.stringify(s.engine)}`);
      assert(!s.messages.some((m) => m.text.includes('reload the page')), 'the reload hint came back on an isolated page');
      await ctx.close();
    });

    await test('same visualization bit for bit in the threaded build (2 threads) and the single-threaded one (1 thread)', async () => {
      assert(link && pixels, 'needs the link test');
      assert(linkedState.engine.threaded && linkedState.engine.threads >= 2, `the link was made on ${JSON.stringify(linkedState.engine)}`);
      const plain = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
      const p = await plain.newPage();
      await p.goto(`http://127.0.0.1:${port + 1}/?sw=0${new URL(link).hash}`);
      await appReady(p, { timeout: 180000 });  // one thread: the link's visualization runs first
      await waitFor(p, async () => (await window.neuronlens.visualization()) !== null, { timeout: 120000, what: 'the visualization' });
      const s = await state(p);
      assert(!s.engine.threaded && s.engine.threads === 1, `engine ${JSON.stringify(s.engine)}`);
      for (const key of ['model', 'layer', 'neuron']) assert(s[key] === linkedState[key], `${key}: ${s[key]} vs ${linkedState[key]}`);
      const single = await p.evaluate(async () => Array.from((await window.neuronlens.visualization()).rgba));
      assert(single.length === pixels.length, `${single.length} bytes, the threaded build gave ${pixels.length}`);
      const differing = single.reduce((n, v, i) => n + (v !== pixels[i]), 0);
      figures.visualizationBytesDifferingThreadedVsSingle = differing;
      assert(differing === 0, `${differing} of ${pixels.length} visualization bytes differ between the builds`);
      await plain.close();
    });

    await test('kiosk mode: large touch-friendly layout', async () => {
      const kiosk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await kiosk.newPage();
      await p.goto(`${origin}/?kiosk=1`);
      await appReady(p);
      assert((await state(p)).kiosk, 'not in kiosk mode');
      await screenshot(p, '09-kiosk');
      await kiosk.close();
    });

    // Paste, drop and focus for another class, on a fresh page of their own (the tests
    // before left `page` in a state the later ones expect).
    let inputs = null;
    const inputsPage = async () => {
      if (!inputs) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const p = await context.newPage();
        p.on('pageerror', (e) => consoleErrors.push(e.message));
        await p.goto(`${origin}/`);
        await appReady(p);
        inputs = { context, p };
      }
      return inputs.p;
    };
    // An image given to the page another way than loadImage: the input changed to it, and its
    // prediction and class scores are those loadImage gives for the same bytes (after a sample
    // in between, so nothing is left over from the first load).
    const sameAsLoadImage = async (p, bytes, fileName, before) => {
      await waitFor(p, async (name) => ((await window.neuronlens.state()).input?.description || '').startsWith(name),
                    { arg: fileName, timeout: 20000, what: `the image ${fileName}` });
      await p.evaluate(() => window.neuronlens.idle());
      const s = await state(p);
      const logits = await p.evaluate(() => window.neuronlens.logits());
      assert(s.input.kind === 'upload' && s.input.description.includes('PNG, 112 x 112'), `input ${JSON.stringify(s.input)}`);
      assert(JSON.stringify(s.input) !== JSON.stringify(before.input), 'the input did not change');
      await p.evaluate(() => window.neuronlens.useSample(0));
      const loaded = await p.evaluate(async (b) => window.neuronlens.loadImage(new Uint8Array(b)), Array.from(bytes));
      const loadedLogits = await p.evaluate(() => window.neuronlens.logits());
      assert(loaded.input.width === s.input.width && loaded.input.height === s.input.height, 'the sizes differ from loadImage\'s');
      assert(JSON.stringify(s.prediction) === JSON.stringify(loaded.prediction),
             `prediction ${JSON.stringify(s.prediction.slice(0, 2))}, loadImage gives ${JSON.stringify(loaded.prediction.slice(0, 2))}`);
      assert(logits.length === loadedLogits.length && logits.every((v, i) => v === loadedLogits[i]), 'the class scores differ from loadImage\'s');
      return s;
    };

    await test('paste: an image pasted from the clipboard (a paste event carrying a PNG file) is loaded as loadImage loads it', async () => {
      const p = await inputsPage();
      const bag = encodePng(datasetImage(8), 112, 112, 1);
      const before = await state(p);
      assert(before.input.kind === 'sample', `input before: ${JSON.stringify(before.input)}`);
      const delivered = await p.evaluate((bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], 'pasted-bag.png', { type: 'image/png' }));
        const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
        (document.activeElement || document.body).dispatchEvent(event);
        return event.clipboardData?.files.length ?? 0;
      }, Array.from(bag));
      assert(delivered === 1, `the paste event carried ${delivered} files`);
      const s = await sameAsLoadImage(p, bag, 'pasted-bag.png', before);
      figures.pastedBag = s.prediction[0];
    });

    await test('drop: one image file dropped on the canvas (dragover, then drop) is loaded as loadImage loads it', async () => {
      const p = await inputsPage();
      const boot = encodePng(datasetImage(9), 112, 112, 1);
      await p.evaluate(() => window.neuronlens.useSample(3));
      const before = await state(p);
      const events = await p.evaluate((bytes) => {
        const canvas = document.getElementById('app');
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], 'dropped-boot.png', { type: 'image/png' }));
        const options = { dataTransfer: data, bubbles: true, cancelable: true, clientX: 640, clientY: 400 };
        // A page takes a drop only where its dragover was refused the default (the browser's: open the file).
        const over = new DragEvent('dragover', options);
        canvas.dispatchEvent(new DragEvent('dragenter', options));
        canvas.dispatchEvent(over);
        const drop = new DragEvent('drop', options);
        canvas.dispatchEvent(drop);
        return { overPrevented: over.defaultPrevented, dropPrevented: drop.defaultPrevented };
      }, Array.from(boot));
      assert(events.overPrevented, 'dragover was not prevented: the browser would open the file instead of the page taking the drop');
      assert(events.dropPrevented, 'the drop was not handled by the page');
      const s = await sameAsLoadImage(p, boot, 'dropped-boot.png', before);
      figures.droppedBoot = s.prediction[0];
    });

    await test('focus for another class: Grad-CAM, saliency and occlusion maps of the second class differ from the predicted class\'s', async () => {
      const p = await inputsPage();
      await p.evaluate(() => window.neuronlens.setPanels({ focus: true }));
      const focusMap = (method, target) => p.evaluate(async ([m, t]) => {
        const shown = await window.neuronlens.focus(m, t);
        const f = window.neuronlens.focusMap();
        return f && { ...f, values: Array.from(f.values), shown };
      }, [method, target]);
      // A sample whose predicted class has a Grad-CAM map that is not all zero (Grad-CAM keeps
      // the positive part only; for many inputs of the development stand-in models it has none).
      let sample = null;
      for (let i = 0; i < 10 && sample === null; ++i) {
        await p.evaluate((index) => window.neuronlens.useSample(index), i * 100);
        if ((await focusMap('gradcam', -1)).values.some((v) => v > 0)) sample = i * 100;
      }
      assert(sample !== null, 'no sample of 0, 100, ..., 900 has a Grad-CAM map that is not all zero');
      await p.evaluate(() => window.neuronlens.idle());
      const s = await state(p);
      const logits = await p.evaluate(() => window.neuronlens.logits());
      const order = logits.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).map((e) => e[1]);
      const [predicted, other] = order;
      figures.focusOtherClass = { sample, predicted: s.prediction[0].label, other: s.prediction[1].label };
      for (const method of ['gradcam', 'saliency', 'occlusion']) {
        const top = await focusMap(method, -1);
        assert(top && top.method === method && top.class === predicted, `${method}: map ${JSON.stringify(top && { ...top, values: undefined })}, predicted class ${predicted}`);
        assert(top.values.length === top.width * top.height && top.values.some((v) => v !== 0), `${method}: empty map`);
        // The predicted class named by its number gives the same map, bit for bit.
        const named = await focusMap(method, predicted);
        assert(named.values.every((v, i) => v === top.values[i]), `${method}: class ${predicted} by number gives another map than "predicted class"`);
        const second = await focusMap(method, other);
        assert(second.class === other && second.shown.class === other, `${method}: map of class ${second.class}, asked for ${other}`);
        assert(second.width === top.width && second.height === top.height, `${method}: sizes differ`);
        const scale = Math.max(...top.values.map(Math.abs), ...second.values.map(Math.abs));
        const largest = Math.max(...top.values.map((v, i) => Math.abs(v - second.values[i])));
        const differing = top.values.filter((v, i) => Math.abs(v - second.values[i]) > 1e-3 * scale).length;
        figures.focusOtherClass[method] = { relativeMaxDifference: Number((largest / scale).toFixed(4)), differing, of: top.values.length };
        assert(largest > 0.05 * scale && differing >= Math.max(1, top.values.length / 20),
               `${method}: the map of class ${other} hardly differs from the predicted class's (${JSON.stringify(figures.focusOtherClass[method])})`);
      }
      await p.waitForTimeout(300);
      await screenshot(p, '16-focus-other-class');
      await inputs.context.close();
      inputs = null;
    });

    await test('kiosk idle: with ?kioskIdle=4, a kiosk left on another tab with a neuron open returns to its start screen and first sample', async () => {
      const kiosk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await kiosk.newPage();
      // The parameter: whole seconds, clamped to 2 s .. 24 h; anything else keeps the default 3 minutes.
      for (const [value, seconds] of [['abc', 180], ['1', 2], ['-5', 180], ['2.5', 180], ['99999999999', 86400], ['4', 4]]) {
        await p.goto(`${origin}/?kiosk=1&kioskIdle=${value}`);
        await waitFor(p, () => !!window.neuronlens, { what: 'the automation API' });
        const s = await state(p);
        assert(s.kiosk && s.kioskIdleSeconds === seconds, `kioskIdle=${value}: ${s.kioskIdleSeconds} s, expected ${seconds}`);
      }
      await appReady(p);
      let s = await state(p);
      assert(s.kioskTab === 'start' && s.input.kind === 'sample' && s.input.index === 0, `start: ${s.kioskTab}, ${JSON.stringify(s.input)}`);
      await p.evaluate(() => window.neuronlens.setVisualizationSettings({ steps: 16 }));
      await p.evaluate(() => window.neuronlens.useSample(5));
      let layout = await p.evaluate(() => window.neuronlens.layout());
      assert(layout['tab:kiosk-neurons'], 'no kiosk tab "neurons" on screen');
      await click(p, layout['tab:kiosk-neurons'].x, layout['tab:kiosk-neurons'].y);
      await waitFor(p, async () => (await window.neuronlens.state()).kioskTab === 'neurons', { timeout: 5000, what: 'the neurons tab' });
      await p.waitForTimeout(300);
      layout = await p.evaluate(() => window.neuronlens.layout());
      const g = layout.grid;
      assert(g, 'no activation grid on the neurons tab');
      await click(p, g.x + g.size / 2, g.y + g.size / 2);
      await waitFor(p, async () => (await window.neuronlens.state()).neuron === 0, { timeout: 10000, what: 'the neuron' });
      await p.evaluate(() => window.neuronlens.idle());
      const opened = await state(p);
      assert(opened.kioskTab === 'neurons' && opened.input.index === 5, `before the idle time: ${opened.kioskTab}, ${JSON.stringify(opened.input)}`);
      await screenshot(p, '09b-kiosk-neuron');
      const t0 = Date.now();
      // Not before the idle time has passed (the idle time counts from the last input, change or engine work).
      await p.waitForTimeout(2000);
      s = await state(p);
      assert(s.kioskTab === 'neurons' && s.input.index === 5, `back to ${s.kioskTab} after 2 s, sample ${s.input.index}: too early`);
      await waitFor(p, async () => { const s = await window.neuronlens.state(); return s.kioskTab === 'start' && s.input.kind === 'sample' && s.input.index === 0; },
                    { timeout: 20000, what: 'the start screen' });
      figures.kioskIdleReturnMs = Date.now() - t0;
      await p.evaluate(() => window.neuronlens.idle());
      s = await state(p);
      assert(s.prediction.length > 0 && !s.messages.some((m) => m.kind === 'error'), `after the return: ${JSON.stringify(s.messages.slice(-2))}`);
      await screenshot(p, '09c-kiosk-idle-return');
      await kiosk.close();
    });

    await test('camera: Chromium\'s fake camera through the Camera tab\'s Start camera and Take picture buttons gives an input and a prediction', async () => {
      // The fake camera needs launch flags, so a browser of its own.
      const cameraBrowser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
      try {
        const context = await cameraBrowser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.grantPermissions(['camera'], { origin });
        const p = await context.newPage();
        const errors = [];
        p.on('pageerror', (e) => errors.push(e.message));
        await p.goto(`${origin}/`);
        await appReady(p);
        const before = await state(p);
        let layout = await p.evaluate(() => window.neuronlens.layout());
        await click(p, layout['tab:Camera'].x, layout['tab:Camera'].y);
        await waitFor(p, () => !!window.neuronlens.layout()['button:Start camera'], { timeout: 5000, what: 'the Start camera button' });
        layout = await p.evaluate(() => window.neuronlens.layout());
        await click(p, layout['button:Start camera'].x, layout['button:Start camera'].y);
        await waitFor(p, () => !!window.neuronlens.layout()['button:Take picture'], { timeout: 20000, what: 'the camera to start' });
        await p.waitForTimeout(500);  // a few frames of the fake camera's video
        await screenshot(p, '17-camera');
        layout = await p.evaluate(() => window.neuronlens.layout());
        await click(p, layout['button:Take picture'].x, layout['button:Take picture'].y);
        await waitFor(p, async () => (await window.neuronlens.state()).input?.kind === 'camera', { timeout: 20000, what: 'the camera picture' });
        await p.evaluate(() => window.neuronlens.idle());
        const s = await state(p);
        figures.cameraPrediction = s.prediction[0];
        assert(s.input.description === 'camera picture' && s.input.width === s.modelInfo.width && s.input.height === s.modelInfo.height,
               `input ${JSON.stringify(s.input)}`);
        const total = s.prediction.reduce((sum, r) => sum + r.probability, 0);
        assert(s.prediction.length === s.modelInfo.classes && Math.abs(total - 1) < 1e-3, `prediction of ${s.prediction.length} classes, total ${total}`);
        assert(JSON.stringify(s.prediction) !== JSON.stringify(before.prediction), 'the prediction did not change with the camera picture');
        assert(errors.length === 0 && !s.messages.some((m) => m.kind === 'error'), `errors: ${errors.join(' | ')} ${JSON.stringify(s.messages.slice(-2))}`);
      } finally {
        await cameraBrowser.close();
      }
    });


    await test('download size (gzip) of a first visit is under 4 MB', async () => {
      // Every distinct file the first visit needs (the page's and its workers' requests),
      // counted at its gzip'd size as the server sends it. The service worker's own
      // requests (its install caches every file for offline use, both engine builds and
      // every model included) are counted apart, as offlinePrecacheBytesGzip.
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const urls = new Set(), precacheUrls = new Set();
      fresh.on('request', (r) => {
        if (!r.url().startsWith(origin)) return;
        (r.serviceWorker() ? precacheUrls : urls).add(r.url());
      });
      const p = await fresh.newPage();
      const t0 = Date.now();
      await p.goto(`${origin}/`);
      await appReady(p);
      figures.firstPredictionFreshContextMs = Date.now() - t0;
      figures.startupTimings = await p.evaluate(() => window.neuronlens.timings());
      await p.evaluate(() => navigator.serviceWorker.ready);
      await fresh.close();
      const gzipSize = async (url) => {
        const r = await fetch(url, { headers: { 'Accept-Encoding': 'gzip' } });
        return Number(r.headers.get('content-length') || (await r.arrayBuffer()).byteLength);
      };
      let bytes = 0, precacheBytes = 0;
      for (const url of urls) bytes += await gzipSize(url);
      for (const url of precacheUrls) precacheBytes += await gzipSize(url);
      figures.downloadFiles = urls.size;
      figures.downloadBytesGzip = bytes;
      figures.offlinePrecacheFiles = precacheUrls.size;
      figures.offlinePrecacheBytesGzip = precacheBytes;
      assert(bytes < 4e6, `${(bytes / 1e6).toFixed(2)} MB downloaded`);
    });

    await test('csp: the page\'s policy has no \'unsafe-eval\', the served jsimgui loader no new Function, and no violation occurred', async () => {
      // node:http with a fresh connection each time, the body read whole (no pooled sockets).
      const get = (url) => new Promise((resolve, reject) => {
        http.get(url, { agent: false }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, text: Buffer.concat(chunks).toString('latin1') }));
          res.on('error', reject);
        }).on('error', reject);
      });
      const html = (await get(`${origin}/index.html`)).text;
      const policy = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/);
      assert(policy, 'index.html has no Content-Security-Policy');
      const scriptSrc = policy[1].split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src')) || '';
      assert(!/'unsafe-eval'/.test(policy[1]), `the policy allows 'unsafe-eval': ${policy[1]}`);
      assert(/'wasm-unsafe-eval'/.test(scriptSrc), `script-src does not allow wasm: ${scriptSrc}`);
      for (const url of ['/web/app/main.js', '/web/app/engine_worker.js']) {
        const workerPolicy = (await get(`${origin}${url}`)).headers['content-security-policy'] || '';
        assert(!/'unsafe-eval'/.test(workerPolicy), `${url} is served with 'unsafe-eval': ${workerPolicy}`);
      }
      const loader = (await get(`${origin}/build/app/jsimgui/loader-extensions.js`)).text;
      assert(loader.length > 1e6 && !/\bnew\s+Function\b/.test(loader) && !/(^|[^\w$.])eval\s*\(/.test(loader),
             'the served jsimgui loader still builds code from strings');
      // No violation in any page the tests opened so far.
      figures.cspViolations = cspViolations.length;
      assert(cspViolations.length === 0, `Content-Security-Policy violations: ${cspViolations.slice(0, 3).join(' | ')}`);
      // The policy is the one in force: a string handed to setTimeout in a fresh page
      // is not run, and reported as a violation. (Code that page.evaluate runs itself is
      // exempt from the policy, as DevTools' is: `new Function` there proves nothing.)
      const probe = await browser.newContext({ serviceWorkers: 'block' });
      const p = await probe.newPage();
      await p.goto(`${origin}/?sw=0`);
      const probed = await p.evaluate(() => new Promise((resolve) => {
        let violation = null;
        window.__evaluated = false;
        document.addEventListener('securitypolicyviolation', (e) => { violation = e.violatedDirective; });
        try { setTimeout('window.__evaluated = true', 0); } catch { /* refused outright */ }
        setTimeout(() => resolve({ evaluated: window.__evaluated, violation }), 300);
      }));
      await probe.close();
      assert(!probed.evaluated, 'a string was evaluated as code: the page\'s policy does not forbid it');
      assert(probed.violation && probed.violation.startsWith('script-src'), `no violation reported for the string: ${JSON.stringify(probed)}`);
    });

    await test('no errors in the console', async () => {
      const relevant = consoleErrors.filter((e) => !/Failed to load resource.*(net::ERR_INTERNET_DISCONNECTED|ERR_FAILED)/.test(e));
      assert(relevant.length === 0, relevant.slice(0, 3).join(' | '));
    });
  } finally {
    fs.writeFileSync(path.join(out, 'figures.json'), JSON.stringify(figures, null, 1));
    console.log('figures:', JSON.stringify(figures));
    await browser.close();
    isolatedServer.kill();
    plainServer.kill();
  }
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  process.exit(counts.failed ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL e2e: ${e.stack}`); console.log(`${counts.passed} passed, ${counts.failed + 1} failed`); process.exit(1); });
