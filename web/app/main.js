// NeuronLens in the browser, after boot.js has started the engine worker:
// Dear ImGui with ImPlot on WebGL2 (jsimgui), the default model and its first
// sample (loaded by the worker while ImGui starts), and the UI frame loop.
// Everything is served from the app's own origin.
import { ImGui, ImGuiImplWeb, ImVec2 } from '../node_modules/@mori2003/jsimgui/build/mod.js';
import { App, MAX_ONNX_BYTES } from './app.js';
import { importForm, formConfig } from './ui/import_panel.js';
import { MapRenderer } from './gl_maps.js';
import { cacheGlState } from './gl_state_cache.js';
import { skipTextureForSolidFills } from './gl_solid_fill.js';
import { DamageRenderer } from './gl_damage.js';
import { FrameGuard } from './frame_guard.js';
import { drawFrame, kioskIdleMs } from './ui/layout.js';
import { installAutomation } from './automation.js';
import { installTouchInput } from './touch_input.js';

const canvas = document.getElementById('app');
let params, engine, ui;

function setupStyle() {
  const io = ImGui.GetIO();
  io.ConfigFlags |= 1 << 6;  // ImGuiConfigFlags_DockingEnable
  // A mistake in a panel must not abort the UI: Dear ImGui recovers and logs instead of asserting.
  io.ConfigErrorRecoveryEnableAssert = false;
  const style = ImGui.GetStyle();
  style.FontSizeBase = ui.kiosk ? 24 : 15;
  style.WindowRounding = 4;
  style.FrameRounding = 3;
  if (ui.kiosk) style.ScaleAllSizes(1.6);
}

// boot: {params, engine, engineReady, modelsReady, build, timings} from boot.js.
export async function start(boot) {
  ({ params, engine } = boot);
  const { build, engineReady, modelsReady } = boot;
  ui = {
    engine, kiosk: params.get('kiosk') === '1', kioskIdleMs: kioskIdleMs(params), lastInteraction: performance.now(), loadingText: 'Starting the engine...',
    camera: { stream: null, video: null, error: null }, targets: {},
  };
  const timings = { ...boot.timings, start: performance.now() };
  engineReady.then((info) => {
    timings.engineReady = performance.now();
    // The worker's start-up moments on this page's clock.
    for (const [key, epochMs] of Object.entries(info?.startup || {})) timings[key] = epochMs - performance.timeOrigin;
  }, () => {});

  // The model and the first sample load in the worker while ImGui starts.
  let app = null;
  const appReady = (async () => {
    try {
      ui.engineInfo = { ...(await engineReady), build };
    } catch (e) {
      ui.loadingText = `The engine failed to start: ${e.message}`;
      return null;
    }
    const { models } = await modelsReady.catch((e) => { ui.loadingText = e.message; return { models: [] }; });
    const created = new App(engine, ui.engineInfo, models);
    Object.assign(created.timings, timings);
    if (!models.length) return created;
    const fragment = location.hash.length > 1 ? location.hash : null;
    if (await created.loadModel(models[0].id)) {
      created.timings.modelLoaded = performance.now();
      if (!fragment && created.model.samples) await created.useSample(0);
    }
    return created;
  })();

  // The context is made here, before jsimgui asks for it (getContext then returns this one):
  // without multisampling (Dear ImGui antialiases its own shapes), depth or stencil buffers,
  // and opaque, so each frame costs the GPU (a software one above all) less to draw and compose.
  // The GL state Dear ImGui saves and restores every frame is answered from JS (gl_state_cache.js);
  // its solid fills skip the texture read (gl_solid_fill.js). Each frame redraws only what
  // changed (gl_damage.js): the drawing buffer is preserved, so the rest keeps the last frame's pixels.
  const gl = canvas.getContext('webgl2', { antialias: false, depth: false, stencil: false, alpha: false, preserveDrawingBuffer: true });
  cacheGlState(gl);
  const setWhiteUv = skipTextureForSolidFills(gl);
  const damage = ui.damage = new DamageRenderer(gl);
  const guard = ui.frameGuard = new FrameGuard((ms) => engine.pace(ms));
  document.addEventListener('visibilitychange', () => { if (document.hidden) guard.hidden(); });
  // jsimgui's loader as tools/build_web copies it: without `new Function`, so the
  // page's Content-Security-Policy needs no 'unsafe-eval'.
  const loaderPath = new URL('../../build/app/jsimgui/loader-extensions.js', import.meta.url).href;
  await ImGuiImplWeb.Init({ canvas, backend: 'webgl2', extensions: true, loaderPath });
  installTouchInput(canvas);
  // A kiosk fills the screen: browsers allow that only from a person's gesture, so ask at the first touch or click.
  if (ui.kiosk && document.documentElement.requestFullscreen) {
    canvas.addEventListener('pointerdown', () => {
      if (!document.fullscreenElement) document.documentElement.requestFullscreen().catch(() => {});
    }, { once: true });
  }
  timings.imguiReady = performance.now();
  ImGui.GetIO().Fonts.AddFontDefaultVector();
  setupStyle();
  ui.gl = canvas.getContext('webgl2');
  ui.maps = await MapRenderer.create(ui.gl, new URL('../../shaders/', import.meta.url));

  // When nothing happens (no input, no change of state, no work in the engine)
  // for a second, the UI redraws ten times a second instead of every frame:
  // it saves the machine's power (and, with a software GPU, its CPU). Until the
  // first prediction, only a small loading window is drawn.
  let lastVersion = -1, lastDraw = 0;
  // Where the frame callback's time goes (ms summed over drawn frames), for tools/bench web;
  // full, partial, unchanged: how many frames redrew the whole canvas, a part of it, nothing
  // (nothing had changed), and the pixels they redrew (damagedPixels) out of screenPixels.
  const profile = ui.frameProfile = { frames: 0, callbacks: 0, begin: 0, draw: 0, end: 0, total: 0 };
  const frame = (now) => {
    requestAnimationFrame(frame);
    ++profile.callbacks;
    const version = app ? app.version : -1;
    if (version !== lastVersion || engine.busy()) { lastVersion = version; ui.lastInteraction = Math.max(ui.lastInteraction, now - 500); }
    const quiet = now - ui.lastInteraction > 1000;
    if (quiet && now - lastDraw < 100) return;
    lastDraw = now;
    // Resizing reallocates the drawing buffer: only when the size really changed.
    const width = Math.round(canvas.clientWidth * devicePixelRatio), height = Math.round(canvas.clientHeight * devicePixelRatio);
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    const t0 = performance.now();
    ImGuiImplWeb.BeginRender();
    const white = ImGui.GetFontTexUvWhitePixel();
    setWhiteUv(white.x, white.y);
    const t1 = performance.now();
    try {
      if (app && (app.prediction || ui.ready)) drawFrame(ui, app);
      else {
        const vp = ImGui.GetMainViewport();
        ImGui.SetNextWindowPos(new ImVec2(vp.Size.x / 2, vp.Size.y / 2), 1, new ImVec2(0.5, 0.5));
        ImGui.Begin('NeuronLens', null, 2 | 4 | 32 | 64);
        ImGui.Text(ui.loadingText);
        ImGui.End();
      }
    } catch (e) {
      if (!ui.frameError) console.error('[neuronlens] frame:', e);
      ui.frameError = e;
    }
    const t2 = performance.now();
    damage.render(() => ImGuiImplWeb.EndRender(), canvas.width, canvas.height);
    const t3 = performance.now();
    ui.frames = (ui.frames || 0) + 1;
    ++profile.frames;
    guard.frame(now, engine.jobRunning('viz') || engine.jobRunning('bg'));
    // The first frame that draws a prediction: it is on screen from here.
    if (app?.prediction && app.timings.firstPredictionDrawn === undefined) app.timings.firstPredictionDrawn = t3;
    profile.begin += t1 - t0; profile.draw += t2 - t1; profile.end += t3 - t2; profile.total += t3 - now;
  };
  requestAnimationFrame(frame);

  ui.loadingText = 'Loading the model...';
  app = await appReady;
  if (!app) return;
  installUi(ui, app);
  installAutomation(ui, app);
  boot.threadsAfterReload?.then(() => app.say(
    'The multi-threaded engine is ready: reload the page to use it (the service worker now adds the headers threads need).'));
  window.neuronlens.frameProfile = () => ({ ...ui.frameProfile, ...ui.damage.stats });
  // {restMs, fps}: the worker's rest after each job slice and the last measured frame rate (frame_guard.js).
  window.neuronlens.frameGuard = () => ui.frameGuard.state();
  // The next frame redraws the whole canvas (the tests compare it with partial redraws);
  // redrawAll(true): every frame, until redrawAll(false).
  window.neuronlens.redrawAll = (always = false) => ui.damage.redrawAll(!!always);
  // checkFrames(n): the next n frames, each compared with itself drawn whole (gl_damage.js).
  window.neuronlens.checkFrames = (n) => ui.damage.checkFrames(n);
  if (!app.models.length) app.say('No model is installed: run tools/serve, which builds the app data.', 'error');
  else if (location.hash.length > 1) await app.applyLink(location.hash);
  ui.ready = true;
  app.changed();
}

function installUi(ui, app) {
  ui.switchModel = async (id) => {
    if (await app.loadModel(id)) { if (app.model.samples) await app.useSample(0); }
  };
  ui.copyLink = async () => {
    const link = await app.makeLink();
    history.replaceState(null, '', link);
    try {
      await navigator.clipboard.writeText(link);
      app.say('Link copied: it opens this view, with the same image and visualization.');
    } catch {
      app.say('The link is in the address bar (the clipboard is not available here).');
    }
  };
  ui.setKiosk = (on) => {
    const url = new URL(location.href);
    if (on) url.searchParams.set('kiosk', '1'); else url.searchParams.delete('kiosk');
    location.href = url.href;
  };
  ui.resetToStart = () => { if (app.model?.samples) app.useSample(0); };

  // Files: picker, drag and drop, paste.
  const picker = document.createElement('input');
  picker.type = 'file';
  picker.accept = 'image/*';
  picker.style.display = 'none';
  document.body.appendChild(picker);
  const useFile = async (file) => app.useImageFile(new Uint8Array(await file.arrayBuffer()), file.name || 'pasted image');
  picker.addEventListener('change', () => { if (picker.files[0]) useFile(picker.files[0]); picker.value = ''; });
  ui.openFilePicker = () => picker.click();
  // A folder of labelled images: chosen (this picker, for touch screens and
  // browsers that cannot drop folders) or dropped (below).
  const folderPicker = document.createElement('input');
  folderPicker.type = 'file';
  folderPicker.id = 'folder-picker';
  folderPicker.webkitdirectory = true;
  folderPicker.multiple = true;
  folderPicker.style.display = 'none';
  document.body.appendChild(folderPicker);
  folderPicker.addEventListener('change', async () => {
    const files = [...folderPicker.files];
    folderPicker.value = '';
    app.useFolder(await readPickedFolder(files));
  });
  ui.openFolderPicker = () => folderPicker.click();
  window.addEventListener('dragover', (e) => { e.preventDefault(); });
  window.addEventListener('drop', async (e) => {
    e.preventDefault();
    // Entries must be taken before the first await: the drop's data is gone after it.
    const dirs = [...(e.dataTransfer?.items || [])].map((item) => item.webkitGetAsEntry?.()).filter((en) => en?.isDirectory);
    if (dirs.length) { app.useFolder(await readDroppedFolders(dirs)); return; }
    const files = [...(e.dataTransfer?.files || [])];
    if (files.some(isModelFile)) { ui.importFiles(files); return; }
    if (files[0]) useFile(files[0]);
  });
  document.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files || [])].find((f) => f.type.startsWith('image/'));
    if (file) useFile(file);
  });

  // Models: an .onnx file, with or without its sidecar .json, from the
  // model picker or dropped on the page (ui/import_panel.js).
  const modelPicker = document.createElement('input');
  modelPicker.type = 'file';
  modelPicker.id = 'model-file';
  modelPicker.accept = '.onnx,.json,application/json';
  modelPicker.multiple = true;
  modelPicker.style.display = 'none';
  document.body.appendChild(modelPicker);
  modelPicker.addEventListener('change', () => { ui.importFiles([...modelPicker.files]); modelPicker.value = ''; });
  ui.openModelPicker = () => modelPicker.click();
  // With its .json the model is imported at once; alone, the form opens for its settings.
  ui.importFiles = async (files) => {
    const form = importForm(ui);
    const onnx = files.find((f) => /\.onnx$/i.test(f.name)), json = files.find((f) => /\.json$/i.test(f.name));
    app.panels.import = true;
    app.importError = null;
    app.changed();
    if (json) form.sidecar = { name: json.name, text: await json.text() };
    else if (onnx) form.sidecar = null;  // a new model without settings: the form's
    if (!onnx) return;
    if (onnx.size > MAX_ONNX_BYTES) {
      app.importError = `${onnx.name}: the file is ${Math.round(onnx.size / 2 ** 20)} MiB; the browser app imports models up to ` +
                        `${MAX_ONNX_BYTES / 2 ** 20} MiB (the CLI takes up to 2 GiB)`;
      app.say(`Import: ${app.importError}`, 'error');
      return;
    }
    form.file = { name: onnx.name, bytes: new Uint8Array(await onnx.arrayBuffer()) };
    if (json) await ui.importChosen();
  };
  ui.importChosen = async () => {
    const form = importForm(ui);
    if (!form.file) return false;
    let config;
    try {
      config = form.sidecar ? form.sidecar.text : formConfig(form);
    } catch (e) {
      app.importError = e.message;
      app.changed();
      return false;
    }
    return app.importModel(form.file.bytes, form.file.name, config);
  };

  for (const type of ['pointerdown', 'pointermove', 'pointerup', 'keydown', 'wheel', 'touchstart', 'touchmove', 'resize'])
    window.addEventListener(type, () => { ui.lastInteraction = performance.now(); }, { passive: true });

  ui.startCamera = async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      video.srcObject = stream;
      await video.play();
      Object.assign(ui.camera, { stream, video, error: null });
    } catch (e) {
      ui.camera.error = `The camera is not available here (${e.name || e.message}).`;
    }
  };
  ui.stopCamera = () => {
    ui.camera.stream?.getTracks().forEach((t) => t.stop());
    Object.assign(ui.camera, { stream: null, video: null });
  };
}

function isModelFile(file) { return /\.(onnx|json)$/i.test(file.name); }

// Images of a folder with one subfolder per class, as {className, name, bytes}:
// the files directly inside each class folder (at most kMaxFolderImages).
const kMaxFolderImages = 5000;

// From a drop: one folder holding the class folders, or the class folders themselves.
async function readDroppedFolders(dirs) {
  const list = (dir) => new Promise((resolve, reject) => {
    const reader = dir.createReader(), all = [];
    const more = () => reader.readEntries((entries) => { if (!entries.length) resolve(all); else { all.push(...entries); more(); } }, reject);
    more();
  });
  const file = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
  const classDirs = dirs.length === 1 ? (await list(dirs[0])).filter((e) => e.isDirectory) : dirs;
  const files = [];
  for (const sub of classDirs) {
    for (const entry of await list(sub)) {
      if (!entry.isFile || files.length >= kMaxFolderImages) continue;
      const f = await file(entry);
      files.push({ className: sub.name, name: entry.name, bytes: new Uint8Array(await f.arrayBuffer()) });
    }
  }
  return files;
}

// From the folder picker: every file of the chosen folder, with its path
// below it (webkitRelativePath "chosen/class/file.png").
async function readPickedFolder(picked) {
  const files = [];
  for (const f of picked) {
    const parts = (f.webkitRelativePath || '').split('/');
    if (parts.length !== 3 || files.length >= kMaxFolderImages) continue;
    files.push({ className: parts[1], name: parts[2], bytes: new Uint8Array(await f.arrayBuffer()) });
  }
  return files;
}
