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

const engine = new EngineClient();
const engineReady = engine.request('init', { build, threads: Math.min(4, navigator.hardwareConcurrency || 1) });
const modelsReady = fetch('build/app/models.json').then((r) => {
  if (!r.ok) throw new Error('build/app/models.json is missing: run tools/serve (it builds the app data)');
  return r.json();
});
// The default model's files download while the engine compiles and starts.
modelsReady.then(({ models }) => {
  if (models?.[0]) engine.request('prefetch', { dir: models[0].dir, samples: models[0].samples || null });
}, () => {});

if ('serviceWorker' in navigator && params.get('sw') !== '0') {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('[neuronlens] service worker:', e.message));
}

const { start } = await import('./main.js');
start({ params, engine, engineReady, modelsReady, build, timings });
