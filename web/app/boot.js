// The page's entry point: starts the engine worker (the threaded build when the
// page is cross-origin isolated, else the single-threaded one) and fetches the
// model list at once (then the default model's files, in the worker, while the
// engine starts), then loads the UI (main.js) while those run, and
// registers the service worker.
import { EngineClient } from './engine_client.js';

const params = new URLSearchParams(location.search);
const threaded = self.crossOriginIsolated === true;
const build = params.get('build') === 'st' || !threaded ? 'build/wasm-st' : 'build/wasm';
const timings = { boot: performance.now() };

// The engine's threads: one core stays with the page's UI and the browser's
// compositor, which draw every frame while a job runs. On the 2-core machines
// measured (tools/bench web, 5 runs each), one engine thread finished a 256-step
// visualization in 1166 ms (median) against 1340 ms with two, and the UI drew 45
// frames per second during clustering against 36. `?threads=N` overrides it, up
// to the pthread workers the build starts with (PTHREAD_POOL_SIZE in
// CMakeLists.txt: min(4, cores) - 1 besides the engine's own thread; a thread
// beyond them would have to be started while the engine waits for it).
function engineThreads() {
  const cores = navigator.hardwareConcurrency || 1;
  const most = Math.max(1, Math.min(4, cores));
  const asked = params.get('threads');
  if (asked !== null && /^[1-8]$/.test(asked)) return Math.min(+asked, most);
  return Math.max(1, Math.min(4, cores - 1));
}

const engine = new EngineClient();
const engineReady = engine.request('init', { build, threads: engineThreads() });
const modelsReady = fetch('build/app/models.json').then((r) => {
  if (!r.ok) throw new Error('build/app/models.json is missing: run tools/serve (it builds the app data)');
  return r.json();
});
// The default model's files download while the engine compiles and starts.
modelsReady.then(({ models }) => {
  if (models?.[0]) engine.request('prefetch', { dir: models[0].dir, samples: models[0].samples || null });
}, () => {});

// On a host that cannot send the isolation headers, a first visit is not
// isolated (the service worker does not control the page yet) and runs the
// single-threaded build. Once the worker has taken control, a reload comes with
// the headers it adds: this resolves then, and the UI suggests the reload
// rather than reloading under the person's hands.
let threadsAfterReload = null;
if ('serviceWorker' in navigator && params.get('sw') !== '0') {
  if (!threaded && !navigator.serviceWorker.controller && params.get('build') !== 'st')
    threadsAfterReload = new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('[neuronlens] service worker:', e.message));
}

const { start } = await import('./main.js');
start({ params, engine, engineReady, modelsReady, build, timings, threadsAfterReload });
