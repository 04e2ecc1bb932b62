// Reliability tests of the web app in Debian's Chromium (playwright-core), after
// e2e.mjs in tools/test:
//   soak:   500 operations in a row through window.neuronlens (load an image, switch
//           the model, open a neuron and visualize it, cluster, apply a share link,
//           use a sample, in a rotating mix): no page error, no console error, no
//           error message in the app, every promise resolves (within a minute), and
//           the engine's memory in use (dlmalloc's bytes in live allocations, from
//           window.neuronlens.memory()) after the last round is within 10% of its
//           level after the first round. The figures of every round are printed.
//   cancel: every long job (visualization, dataset statistics, neuron tiles, the
//           ablation analysis) cancelled at once, after its first report and half-way;
//           after each cancel the engine's memory in use is back to its level before
//           the job, and the next run of the job gives the same result (digest of
//           every number and pixel) as an uncancelled run with the same seed.
// Prints each test's "ok"/"FAIL", then "soak: PASS" or "soak: FAIL" (exit status 1).
// Usage: node web/tests/soak.mjs [--only soak|cancel] [--operations N]   (after tools/build_web)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from './png.mjs';
import { launchChromium } from './chromium.mjs';
import { startServer } from './serve_for_tests.mjs';
import { assert, createRunner } from './test_runner.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'build/e2e');
fs.mkdirSync(out, { recursive: true });
const option = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const only = option('--only', null);
const OPERATIONS = Number(option('--operations', '500'));
const MEMORY_TOLERANCE = 0.10;        // soak: last round against the first
const CANCEL_MEMORY_SLACK = 64 * 1024; // cancel: bytes in use may differ this much from before the job
const OPERATION_TIMEOUT_MS = 60000;
const figures = {};
const { test, counts } = createRunner(only);

function withTimeout(promise, what, ms = OPERATION_TIMEOUT_MS) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms); })])
    .finally(() => clearTimeout(timer));
}

// A grey test picture (PNG, 56 x 56): a bar and a disc placed by the seed.
function greyPng(seed) {
  const size = 56, px = new Uint8Array(size * size);
  const cx = 14 + (seed * 7) % 28, cy = 14 + (seed * 11) % 28, bar = (seed * 5) % size;
  for (let y = 0; y < size; ++y)
    for (let x = 0; x < size; ++x)
      px[y * size + x] = ((x - cx) ** 2 + (y - cy) ** 2 < 100 || Math.abs(x - bar) < 3) ? 230 : (x * y + seed) % 40;
  return encodePng(px, size, size, 1);
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(2);

async function main() {
  const port = 8600 + Math.floor(Math.random() * 200);
  const server = await startServer(root, port);
  const origin = `http://127.0.0.1:${port}`;
  const browser = await launchChromium();
  // A small window: ImGui's frames (software GPU) cost less, the operations are the same.
  const context = await browser.newContext({ viewport: { width: 480, height: 360 }, serviceWorkers: 'block' });
  const page = await context.newPage();
  // Errors of any kind: page errors, console errors, the app's error messages (say(.., 'error')
  // logs "[neuronlens] ..." as a warning) and the engine's ("[engine] ...").
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /\[(neuronlens|engine|imgui-error)\]/.test(m.text())) errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  const api = (fn, arg) => page.evaluate(fn, arg);

  try {
    await page.goto(`${origin}/`);
    await withTimeout((async () => {
      while (!(await api(async () => !!window.neuronlens && (await window.neuronlens.state()).prediction.length > 0).catch(() => false)))
        await new Promise((r) => setTimeout(r, 100));
    })(), 'the first prediction', 120000);
    await api(() => window.neuronlens.idle());
    const engine = (await api(() => window.neuronlens.state())).engine;
    console.log(`engine: ${JSON.stringify(engine)}`);
    // The two smallest models when there are more (the development stand-ins), for speed.
    const offered = await api(() => window.neuronlens.models());
    const small = offered.filter((m) => ['fashion', 'digits'].includes(m.id));
    const models = small.length === 2 ? small : offered;
    assert(models.length >= 2, `the soak switches between two models; build/app has ${models.length}`);

    await test('soak: 500 operations through window.neuronlens, no error, memory in use stable', async () => {
      // Short visualizations keep the run within a few minutes.
      await api(() => window.neuronlens.setVisualizationSettings({ steps: 8 }));
      // A share link per model (its default layer, a neuron, an 8-step visualization).
      const links = {};
      for (const [i, m] of models.slice(0, 2).entries()) {
        await api((id) => window.neuronlens.loadModel(id), m.id);
        await api((c) => window.neuronlens.selectNeuron(c), 1 + i);
        links[m.id] = new URL(await api(() => window.neuronlens.link())).hash;
      }
      const [a, b] = models.slice(0, 2).map((m) => m.id);
      await api((id) => window.neuronlens.loadModel(id), a);
      const pngs = Array.from({ length: 7 }, (_, i) => Array.from(greyPng(i + 1)));
      let k = 0;
      const channels = async () => (await api(() => window.neuronlens.state())).activations?.channels || 1;
      // One round: both models, each kind of operation; it ends where it starts (model a).
      // Clusters once a round: after a model switch they recompute the statistics over
      // the model's 1,000 samples (the costliest operation here).
      const round = [
        ['load image', () => api((bytes) => window.neuronlens.loadImage(new Uint8Array(bytes)), pngs[k % pngs.length])],
        ['open neuron + visualize', async () => api((c) => window.neuronlens.selectNeuron(c), k % await channels())],
        ['cluster', async () => assert(await api(() => window.neuronlens.openClusters()), 'the clusters were not computed')],
        ['use sample', () => api((i) => window.neuronlens.useSample(i), (k * 37) % 1000)],
        [`apply link (model ${b})`, () => api((f) => window.neuronlens.applyLink(f), links[b])],
        ['load image', () => api((bytes) => window.neuronlens.loadImage(new Uint8Array(bytes)), pngs[(k + 3) % pngs.length])],
        ['open neuron + visualize', async () => api((c) => window.neuronlens.selectNeuron(c), (k + 1) % await channels())],
        ['use sample', () => api((i) => window.neuronlens.useSample(i), (k * 53) % 1000)],
        [`switch model (${a})`, () => api((id) => window.neuronlens.loadModel(id), a)],
        [`apply link (model ${a})`, () => api((f) => window.neuronlens.applyLink(f), links[a])],
      ];
      const rounds = Math.ceil(OPERATIONS / round.length);
      const memory = [];
      const opSeconds = {};
      const t0 = Date.now();
      errors.length = 0;
      for (let r = 0; r < rounds; ++r) {
        const roundStart = Date.now();
        for (const [name, operation] of round) {
          if (k >= OPERATIONS) break;
          const opStart = Date.now();
          try {
            await withTimeout(operation(), `operation ${k + 1} (${name})`);
            opSeconds[name] = (opSeconds[name] || 0) + (Date.now() - opStart) / 1000;
          } catch (e) {
            throw new Error(`operation ${k + 1} (${name}) failed: ${e.message}`);
          }
          assert(errors.length === 0, `after operation ${k + 1} (${name}): ${errors.slice(0, 3).join(' | ')}`);
          ++k;
        }
        const m = await api(() => window.neuronlens.memory());
        const s = await api(() => window.neuronlens.state());
        assert(!s.busy && s.model && s.prediction.length > 0, `round ${r + 1}: the app is not ready: ${JSON.stringify({ busy: s.busy, model: s.model })}`);
        assert(!s.messages.some((msg) => msg.kind === 'error'), `round ${r + 1}: ${s.messages.filter((msg) => msg.kind === 'error').map((msg) => msg.text).join(' | ')}`);
        memory.push(m);
        console.log(`  round ${String(r + 1).padStart(2)}: ${k} operations, ${((Date.now() - roundStart) / 1000).toFixed(1)} s;` +
                    ` engine memory in use ${mib(m.inUse)} MiB (${m.inUse} bytes), free ${mib(m.free)} MiB, heap ${mib(m.heap)} MiB`);
      }
      const seconds = (Date.now() - t0) / 1000;
      console.log(`  seconds per kind of operation: ${Object.entries(opSeconds).map(([n, t]) => `${n} ${t.toFixed(1)}`).join(', ')}`);
      const first = memory[0].inUse, last = memory[memory.length - 1].inUse;
      const change = (last - first) / first;
      Object.assign(figures, { soakOperations: k, soakRounds: memory.length, soakSeconds: Math.round(seconds),
                               soakMemoryInUseFirstRound: first, soakMemoryInUseLastRound: last,
                               soakMemoryInUseMax: Math.max(...memory.map((m) => m.inUse)),
                               soakHeapFirstRound: memory[0].heap, soakHeapLastRound: memory[memory.length - 1].heap });
      console.log(`  ${k} operations in ${seconds.toFixed(0)} s; memory in use after round 1: ${first} bytes, after round ${memory.length}: ${last} bytes (${(100 * change).toFixed(2)}%)`);
      assert(k === OPERATIONS, `${k} operations run`);
      assert(Math.abs(change) <= MEMORY_TOLERANCE,
             `the engine's memory in use went from ${first} to ${last} bytes (${(100 * change).toFixed(1)}%, at most ${100 * MEMORY_TOLERANCE}%)`);
    });

    await test('cancel: every long job cancelled at once, after one report and half-way; memory back, same result next', async () => {
      const id = models[0].id;
      await api((m) => window.neuronlens.loadModel(m), id);
      const s = await api(() => window.neuronlens.state());
      const layer = s.layer, channels = s.activations.channels;
      const settings = await api(() => window.neuronlens.setVisualizationSettings({}));
      const half = Array.from({ length: Math.ceil(channels / 2) }, (_, i) => i);
      const jobs = [
        ['visualize', { ...settings, layer, channel: 2 % channels, steps: 400, seed: 7 }],
        ['statistics', { layer }],
        ['tiles', { layer, steps: 8, seed: 3 }],
        // Twelve keep-sets besides the baseline: a step each, so there is a half-way.
        ['ablation', { layer, perClass: 20, sets: Array.from({ length: 12 }, (_, i) => ({ name: `set ${i}`, keep: half.map((c) => (c + i) % channels) })) }],
      ];
      const cancels = [['at once', { afterReports: 0 }], ['after its first report', { afterReports: 1 }], ['half-way', { atProgress: 0.5 }]];
      figures.cancel = {};
      for (const [kind, options] of jobs) {
        const job = (cancel) => withTimeout(api(([k, o, c]) => window.neuronlens.job(k, o, c), [kind, options, cancel]), `${kind} job`, 180000);
        const reference = await job(null);  // also warms what the engine keeps (statistics, buffers)
        assert(!reference.cancelled && reference.digest, `${kind}: the uncancelled run did not finish`);
        const rows = [];
        for (const [when, cancel] of cancels) {
          const before = (await api(() => window.neuronlens.memory())).inUse;
          const cancelled = await job(cancel);
          const after = (await api(() => window.neuronlens.memory())).inUse;
          const next = await job(null);
          rows.push({ when, cancelled: cancelled.cancelled, reports: cancelled.reports, progress: Number(cancelled.progress.toFixed(3)),
                      before, after, next: next.digest === reference.digest });
          console.log(`  ${kind.padEnd(10)} cancelled ${when.padEnd(22)}: ${cancelled.cancelled ? 'cancelled' : 'NOT cancelled'} after ${cancelled.reports} report(s)` +
                      ` at progress ${cancelled.progress.toFixed(3)}; memory in use before ${before}, after ${after} bytes (${after - before >= 0 ? '+' : ''}${after - before});` +
                      ` next run ${next.digest === reference.digest ? 'identical' : 'DIFFERENT'} (${next.digest})`);
          assert(cancelled.cancelled, `${kind} cancelled ${when}: the job finished first (${cancelled.reports} reports)`);
          if (cancel.atProgress) assert(cancelled.progress >= 0.5 && cancelled.progress < 1, `${kind}: cancelled at progress ${cancelled.progress}`);
          assert(Math.abs(after - before) <= CANCEL_MEMORY_SLACK,
                 `${kind} cancelled ${when}: memory in use ${before} bytes before the job, ${after} after`);
          assert(!next.cancelled && next.digest === reference.digest, `${kind} cancelled ${when}: the next run gave ${next.digest}, an uncancelled run ${reference.digest}`);
        }
        figures.cancel[kind] = rows;
      }
      assert(errors.length === 0, errors.slice(0, 3).join(' | '));
      const st = await api(() => window.neuronlens.state());
      assert(!st.busy && st.prediction.length > 0, 'the app is not ready after the cancellations');
    });
  } finally {
    fs.writeFileSync(path.join(out, 'soak-figures.json'), JSON.stringify(figures, null, 1));
    await browser.close();
    server.kill();
  }
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  console.log(`soak: ${counts.failed ? 'FAIL' : 'PASS'}`);
  process.exit(counts.failed ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL soak: ${e.stack}`); console.log(`${counts.passed} passed, ${counts.failed + 1} failed`); console.log('soak: FAIL'); process.exit(1); });
