// The web app's speed figures, measured in Debian's Chromium headless (the
// browser e2e.mjs uses, software GL by SwiftShader), over several runs:
//   first prediction   ms from navigation to the first prediction on screen (a fresh
//                      context each run: nothing cached, as a first visit)
//   download           bytes (gzip, as web/serve.mjs sends them) of a first visit
//   visualization      ms of a 256-step visualization of a default-model neuron
//   fps                frames per second in which the UI ran (ImGui's new frame, the
//                      panels, its draw data) and the canvas then showed that frame's
//                      picture: redrawn whole, redrawn where it changed, or kept as it
//                      was when no draw changed (app/gl_damage.js); idle (with the
//                      pointer moving, so the UI does not throttle itself), during a
//                      visualization, during the cluster computation
// plus where a frame's time goes (the frame callback's parts, from the page's
// own counters) and the start-up timeline. Prints a table (median and min or
// max, whichever is the good end) and writes build/bench/web.json.
// A benchmark, not a test: nothing here fails on a slow figure.
// Usage: node web/tests/bench_app.mjs [--runs N] [--isolation off] [--dpr N]
//        (after tools/build_web; tools/bench web runs it)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';
import { startServer } from './serve_for_tests.mjs';

// CPU milliseconds used so far by Chromium's processes, by type (Linux /proc): the GPU
// process is where SwiftShader draws, so its CPU time per frame is the frame's GPU cost.
function chromiumCpu() {
  const out = {};
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd, stat;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium')) continue;
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch { continue; }
    const type = (cmd.match(/--type=([a-z-]+)/) || [null, 'browser'])[1];
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out[type] = (out[type] || 0) + (Number(fields[11]) + Number(fields[12])) * 10;  // utime + stime, at 100 ticks/s
  }
  return out;
}
const cpuPerFrame = (c0, c1, frames) =>
  Object.fromEntries(['gpu-process', 'renderer'].map((k) => [`${k} cpu`, ((c1[k] || 0) - (c0[k] || 0)) / Math.max(1, frames)]));

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(option('--runs', '5'));
const isolated = option('--isolation', 'on') !== 'off';
const dpr = Number(option('--dpr', '1'));


async function waitFor(page, predicate, timeout = 120000) {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(predicate).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${predicate}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const firstPrediction = async () => !!window.neuronlens && (await window.neuronlens.state()).prediction.length > 0;

// The frame callback's parts per frame between two frameProfile() readings: ms (begin, draw,
// end, total), the share of frames redrawn whole (full), in part (partial) or not at all
// because nothing changed (unchanged), and the share of the screen's pixels redrawn (redrawn).
function frameParts(p0, p1) {
  const parts = {};
  if (!p0 || !p1) return parts;
  const frames = Math.max(1, p1.frames - p0.frames);
  for (const k of ['begin', 'draw', 'end', 'total', 'full', 'partial', 'unchanged']) if (k in p1) parts[k] = (p1[k] - p0[k]) / frames;
  if ('screenPixels' in p1) parts.redrawn = (p1.damagedPixels - p0.damagedPixels) / Math.max(1, p1.screenPixels - p0.screenPixels);
  return parts;
}

// Frames drawn per second over `ms`, the pointer moving (an input event every 50 ms) so
// the UI stays at full rate; also the frame callback's own time per drawn frame.
async function framesPerSecond(page, ms) {
  const c0 = chromiumCpu();
  const result = await page.evaluate(async (ms) => {
    const nl = window.neuronlens;
    const f0 = nl.frames(), p0 = nl.frameProfile?.(), t0 = performance.now();
    while (performance.now() - t0 < ms) {
      window.dispatchEvent(new Event('pointermove'));
      await new Promise((r) => setTimeout(r, 50));
    }
    const frames = nl.frames() - f0, seconds = (performance.now() - t0) / 1000;
    return { fps: frames / seconds, p0, p1: nl.frameProfile?.(), frames };
  }, ms);
  result.parts = frameParts(result.p0, result.p1);
  Object.assign(result.parts, cpuPerFrame(c0, chromiumCpu(), result.frames));
  return result;
}

// Runs `start` (in the page) and measures the frames drawn until `done` holds.
async function framesDuring(page, start, done) {
  const t0 = Date.now(), c0 = chromiumCpu();
  const [f0, p0] = await page.evaluate(() => [window.neuronlens.frames(), window.neuronlens.frameProfile?.()]);
  const mover = setInterval(() => page.mouse.move(200 + Math.random() * 50, 300 + Math.random() * 50).catch(() => {}), 50);
  try {
    await page.evaluate(start);
    await waitFor(page, done);
  } finally {
    clearInterval(mover);
  }
  const ms = Date.now() - t0;
  const [f1, p1] = await page.evaluate(() => [window.neuronlens.frames(), window.neuronlens.frameProfile?.()]);
  const parts = frameParts(p0, p1);
  Object.assign(parts, cpuPerFrame(c0, chromiumCpu(), f1 - f0));
  return { ms, fps: (f1 - f0) / (ms / 1000), parts };
}

function summary(values, better = 'low') {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return { median: NaN, best: NaN, n: 0 };
  const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { median, best: better === 'low' ? v[0] : v[v.length - 1], n: v.length, all: values };
}

async function main() {
  const port = 8600 + Math.floor(Math.random() * 200);
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer(root, port, { isolated, quiet: true });
  const browser = await launchChromium();
  const raw = { first: [], download: [], viz: [], fpsIdle: [], fpsViz: [], fpsClusters: [], restMs: [], timeline: [], partsIdle: [], partsViz: [], partsClusters: [] };
  try {
    for (let run = 0; run < runs; ++run) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: dpr });
      const urls = new Set();
      // What the page and its workers need; the service worker's offline precache is not counted.
      context.on('request', (r) => { if (r.url().startsWith(origin) && !r.serviceWorker()) urls.add(r.url()); });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error('page error:', e.message));
      await page.goto(`${origin}/`);
      await waitFor(page, firstPrediction);
      // The prediction can arrive a frame before it is drawn: wait for that frame.
      await waitFor(page, () => window.neuronlens.timings().firstPredictionDrawn !== undefined, 5000).catch(() => {});
      const timings = await page.evaluate(() => window.neuronlens.timings());
      raw.first.push(timings.firstPredictionDrawn ?? timings.firstPrediction);
      raw.timeline.push(timings);
      await page.evaluate(() => window.neuronlens.idle());

      let bytes = 0;
      for (const url of urls) {
        const r = await fetch(url, { headers: { 'Accept-Encoding': 'gzip' } });
        bytes += Number(r.headers.get('content-length') || (await r.arrayBuffer()).byteLength);
      }
      raw.download.push(bytes);

      const idle = await framesPerSecond(page, 2000);
      raw.fpsIdle.push(idle.fps);
      raw.partsIdle.push(idle.parts);

      // A 256-step visualization of neuron 3 of the default layer (the app's defaults).
      await page.evaluate(() => window.neuronlens.setVisualizationSettings({ steps: 256 }));
      const viz = await framesDuring(page, () => { window.neuronlens.selectNeuron(3); },
        async () => { const s = await window.neuronlens.state(); return s.neuron === 3 && s.visualization.step === 256 && !s.visualization.running; });
      const seconds = await page.evaluate(async () => (await window.neuronlens.state()).visualization.seconds);
      raw.viz.push(seconds * 1000);
      raw.fpsViz.push(viz.fps);
      raw.partsViz.push(viz.parts);
      const guardAfterViz = await page.evaluate(() => window.neuronlens.frameGuard());

      const clusters = await framesDuring(page, () => { window.__clusters = window.neuronlens.openClusters(); },
        async () => (await window.neuronlens.state()).clusters.computed);
      raw.fpsClusters.push(clusters.fps);
      raw.partsClusters.push(clusters.parts);
      const guardAfterClusters = await page.evaluate(() => window.neuronlens.frameGuard());
      raw.restMs.push({ viz: guardAfterViz.restMs, clusters: guardAfterClusters.restMs });
      await context.close();
      console.error(`run ${run + 1}/${runs}: first prediction ${Math.round(timings.firstPredictionDrawn ?? timings.firstPrediction)} ms, ` +
                    `${(bytes / 1e6).toFixed(2)} MB, visualization ${Math.round(seconds * 1000)} ms, ` +
                    `fps idle ${idle.fps.toFixed(1)} / viz ${viz.fps.toFixed(1)} / clusters ${clusters.fps.toFixed(1)}, ` +
                    `engine rest per slice after viz ${guardAfterViz.restMs} ms / clusters ${guardAfterClusters.restMs} ms`);
    }
  } finally {
    await browser.close();
    server.kill();
  }

  const rows = [
    ['first prediction on screen after navigation (ms)', summary(raw.first), 'low', 2000],
    ['download of a first visit, gzip (MB)', summary(raw.download.map((b) => b / 1e6)), 'low', 4],
    ['256-step visualization (ms)', summary(raw.viz), 'low', 2000],
    ['fps idle, pointer moving', summary(raw.fpsIdle, 'high'), 'high', 30],
    ['fps during the visualization', summary(raw.fpsViz, 'high'), 'high', 30],
    ['fps during clustering', summary(raw.fpsClusters, 'high'), 'high', 30],
  ];
  const meanParts = (list) => {
    const out = {};
    for (const p of list) for (const [k, v] of Object.entries(p)) out[k] = (out[k] || 0) + v / list.length;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v * 100) / 100]));
  };
  const timeline = {};
  for (const t of raw.timeline) for (const [k, v] of Object.entries(t)) if (typeof v === 'number') (timeline[k] ||= []).push(v);
  const timelineMedian = Object.fromEntries(Object.entries(timeline).map(([k, v]) => [k, Math.round(summary(v).median)]));

  console.log(`web app, headless Chromium (SwiftShader), ${runs} runs, ${isolated ? 'cross-origin isolated (threaded build)' : 'not isolated'}, devicePixelRatio ${dpr}`);
  console.log('| figure | median | best | target |');
  console.log('|---|---|---|---|');
  const fmt = (x) => (x >= 100 ? Math.round(x) : x.toFixed(2));
  for (const [name, s, better, target] of rows)
    console.log(`| ${name} | ${fmt(s.median)} | ${fmt(s.best)} | ${better === 'low' ? '<=' : '>='} ${target} |`);
  console.log('start-up timeline, median ms after navigation:', JSON.stringify(timelineMedian));
  console.log('(frame callback parts: begin/draw/end = ImGui NewFrame / the panels / Render and the GL calls; total from the frame\'s start;')
  console.log(' gpu-process cpu = CPU ms Chromium\'s GPU process (SwiftShader) spends per drawn frame, renderer cpu = the page\'s process)');
  console.log('frame callback, mean ms per drawn frame, idle:', JSON.stringify(meanParts(raw.partsIdle)));
  console.log('frame callback, mean ms per drawn frame, visualization:', JSON.stringify(meanParts(raw.partsViz)));
  console.log('frame callback, mean ms per drawn frame, clustering:', JSON.stringify(meanParts(raw.partsClusters)));
  console.log('(full / partial / unchanged: share of frames redrawn whole, in part, not at all; redrawn: share of the screen\'s pixels redrawn)');
  fs.mkdirSync(path.join(root, 'build/bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build/bench/web.json'),
                   JSON.stringify({ runs, isolated, dpr, raw, timelineMedian, rows: rows.map(([n, s]) => ({ name: n, ...s })) }, null, 1));
}

main().catch((e) => { console.error(e.stack); process.exit(1); });
