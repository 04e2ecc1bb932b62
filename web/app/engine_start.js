// The page's first act: starts the engine worker (engine_worker.js) as soon as
// this small classic script arrives, before the module graph (boot.js, main.js,
// jsimgui: about twenty requests on the few connections a browser opens per
// server) is fetched and run. boot.js's EngineClient takes the worker over;
// without this script it starts its own.
'use strict';
(() => {
  const early = { worker: null, error: null };
  try {
    early.worker = new Worker('web/app/engine_worker.js');
    // A failure before boot.js listens (the script missing, say) is kept for it.
    early.worker.addEventListener('error', (event) => { early.error = event; });
  } catch (e) {
    early.worker = null;
  }
  self.neuronlensEarlyEngine = early;
})();
