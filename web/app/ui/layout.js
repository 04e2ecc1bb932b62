// The frame: the menu bar, the panels as windows (desktop layout) or as
// large tabs (kiosk mode, ?kiosk=1), and the message line. Kiosk mode returns
// to its start screen after 3 idle minutes (or ?kioskIdle=SECONDS).
import { ImGui, ImVec2, ImVec4, Cond, explain, rememberItem } from './widgets.js';
import { drawInputPanel } from './input_panel.js';
import { drawPredictionPanel } from './prediction_panel.js';
import { drawNetworkPanel } from './network_panel.js';
import { drawNeuronPanel } from './neuron_panel.js';
import { drawFocusPanel } from './focus_panel.js';
import { drawClustersPanel } from './clusters_panel.js';
import { drawAnalysisPanel } from './analysis_panel.js';
import { drawImportPanel } from './import_panel.js';
import { downloadPng, downloadCsv, downloadJson } from '../exports.js';
import { pictureIfAny } from './widgets.js';
import { similarityExport, neuronCategoryExport, neuronClustersTable, clusterTilesRgba } from '../export_tables.js';

// Kiosk mode's idle time before it returns to its start screen: 3 minutes, or the page's
// ?kioskIdle=SECONDS (a whole number, clamped to 2 s .. 24 h; anything else keeps 3 minutes).
const KIOSK_IDLE_MS = 3 * 60 * 1000;
export function kioskIdleMs(params) {
  const text = params.get('kioskIdle');
  if (text === null || !/^\d+$/.test(text.trim())) return KIOSK_IDLE_MS;
  return Math.min(24 * 3600, Math.max(2, Number(text))) * 1000;
}

function exportMenu(ui, app) {
  const viz = app.viz;
  if (ImGui.MenuItem('Visualization (PNG)', '', false, !!viz.frames.length)) {
    const f = viz.frames[viz.frames.length - 1];
    downloadPng(`neuron-${app.layerInfo()?.name}-${app.neuron}.png`, f.subarray(0, viz.width * viz.height * 4), viz.width, viz.height);
  }
  for (const [key, name] of [['focus', 'Focus overlay'], ['grid', 'Activation grid'], ['input', 'Input as the model sees it']]) {
    const pic = pictureIfAny(key);
    if (ImGui.MenuItem(`${name} (PNG)`, '', false, !!pic && pic.width > 0)) {
      const { rgba, width, height } = ui.maps.read(pic);
      downloadPng(`${key}.png`, rgba, width, height);
    }
  }
  const prediction = ImGui.MenuItem('Prediction (CSV)', '', false, !!app.prediction);
  rememberItem(ui, 'menu:Export/Prediction (CSV)');
  if (prediction)
    downloadCsv('prediction.csv', ['class', 'probability'], app.prediction.map((r) => [r.label, r.probability]));
  if (ImGui.MenuItem('Ablation table (CSV)', '', false, !!app.analysis.result)) {
    const labels = app.model.labels, categories = app.sampleCategories();
    downloadCsv('ablation.csv', ['set', 'kept', 'kept_parameters', 'overall', ...categories.map((c) => labels[c])],
      app.analysis.result.rows.map((r) => [r.name, r.kept, r.keptParameters, r.overall, ...categories.map((c) => r.perClass[c])]));
  }
  const c = app.clusters;
  const names = (result) => Array.from(result.categories, (i) => app.model.labels[i]);
  // One menu item; remembered for the tests as 'menu:Export/<label>'.
  const item = (label, enabled, run) => {
    const chosen = ImGui.MenuItem(label, '', false, !!enabled);
    rememberItem(ui, `menu:Export/${label}`);
    if (chosen) run();
  };
  const mapPicture = pictureIfAny('neuron-map');
  item('Activation map of the neuron (PNG)', mapPicture && mapPicture.width > 0 && app.neuron !== null, () => {
    const { rgba, width, height } = ui.maps.read(mapPicture);
    downloadPng(`activation-map-${app.layerInfo()?.name}-${app.neuron}.png`, rgba, width, height);
  });
  const overPicture = pictureIfAny('neuron-map-over-input');
  item('Activation map over the input (PNG)', overPicture && overPicture.width > 0 && app.neuron !== null, () => {
    const { rgba, width, height } = ui.maps.read(overPicture);
    downloadPng(`activation-map-over-input-${app.layerInfo()?.name}-${app.neuron}.png`, rgba, width, height);
  });
  const layerName = app.layerInfo(c.node)?.name;
  item('Category similarity heatmap (PNG)', c.categories, () => {
    const { picture: p } = similarityExport(c.categories, names(c.categories));
    downloadPng(`category-similarity-${layerName}.png`, p.rgba, p.width, p.height);
  });
  item('Category similarity (CSV)', c.categories, () => {
    const { header, rows } = similarityExport(c.categories, names(c.categories));
    downloadCsv(`category-similarity-${layerName}.csv`, header, rows);
  });
  item('Neuron x category heatmap (PNG)', c.groups, () => {
    const { picture: p } = neuronCategoryExport(c.groups, names(c.groups));
    downloadPng(`neuron-category-${layerName}.png`, p.rgba, p.width, p.height);
  });
  item('Neuron x category (CSV)', c.groups, () => {
    const { header, rows } = neuronCategoryExport(c.groups, names(c.groups));
    downloadCsv(`neuron-category-${layerName}.csv`, header, rows);
  });
  item('Neuron clusters (CSV)', c.neurons, () => {
    const { header, rows } = neuronClustersTable(c.neurons, names(c.neurons));
    downloadCsv(`neuron-clusters-${layerName}.csv`, header, rows);
  });
  const tiles = c.tiles && c.tiles.node === c.node && c.tiles.done ? c.tiles : null;
  item('Neuron cluster tiles (PNG)', c.neurons && tiles, () => {
    const p = clusterTilesRgba(c.neurons, tiles);
    downloadPng(`neuron-cluster-tiles-${layerName}.png`, p.rgba, p.width, p.height);
  });
  if (ImGui.MenuItem('Cluster results (JSON)', '', false, !!c.categories)) {
    downloadJson('clusters.json', { model: app.model.id, layer: app.layerInfo(c.node)?.name, labels: app.model.labels,
                                    settings: { source: c.source, similarity: c.similarity, features: c.features, method: c.method, k: c.k },
                                    categories: c.categories, groups: c.groups, neurons: c.neurons });
  }
}

function menuBar(ui, app) {
  if (!ImGui.BeginMainMenuBar()) return 0;
  const modelMenu = ImGui.BeginMenu('Model');
  rememberItem(ui, 'menu:Model');
  if (modelMenu) {
    for (const m of app.models)
      if (ImGui.MenuItem(`${m.name}${m.dir.startsWith('build/') ? ' (development stand-in)' : ''}`, '', app.model?.id === m.id))
        ui.switchModel(m.id);
    if (app.model?.entry.imported) ImGui.MenuItem(`${app.model.info.name} (imported from ${app.model.entry.file})`, '', true, false);
    ImGui.Separator();
    const importItem = ImGui.MenuItem('Import ONNX model...');
    rememberItem(ui, 'menu:Model/Import ONNX model...');
    if (importItem) { app.panels.import = true; app.changed(); }
    ImGui.EndMenu();
  }
  if (ImGui.BeginMenu('Panels')) {
    for (const key of Object.keys(app.panels))
      if (ImGui.MenuItem(key[0].toUpperCase() + key.slice(1), '', app.panels[key])) { app.panels[key] = !app.panels[key]; app.changed(); }
    ImGui.EndMenu();
  }
  const exports = ImGui.BeginMenu('Export');
  rememberItem(ui, 'menu:Export');
  if (exports) { exportMenu(ui, app); ImGui.EndMenu(); }
  const copy = ImGui.MenuItem('Copy link');
  rememberItem(ui, 'menu:Copy link');
  if (copy) ui.copyLink();
  if (ImGui.MenuItem('Kiosk mode')) ui.setKiosk(true);
  const info = ui.engineInfo;
  const status = `${app.model ? app.model.info.name : 'no model'} | engine: ${info.threaded ? `${info.threads} threads` : 'single thread'}, ${info.gemmKernel}` +
                 `${ui.engine.busy() ? ' | working...' : ''}`;
  ImGui.SameLine(ImGui.GetWindowWidth() - ImGui.CalcTextSize(status).x - 16);
  ImGui.TextDisabled(status);
  const height = ImGui.GetWindowHeight();
  ImGui.EndMainMenuBar();
  return height;
}

function messages(ui, app) {
  const now = performance.now();
  const live = app.messages.filter((m) => now - m.time < (m.kind === 'error' ? 20000 : 6000));
  if (!live.length) return;
  const vp = ImGui.GetMainViewport();
  ImGui.SetNextWindowPos(new ImVec2(vp.Size.x / 2, vp.Size.y - 12), Cond.Always, new ImVec2(0.5, 1));
  ImGui.SetNextWindowSize(new ImVec2(Math.min(760, vp.Size.x - 20), 0), Cond.Always);
  ImGui.Begin('##messages', null, 1 | 2 | 4 | 8 | 32 | 256 | 4096 /* no title, resize, move, scrollbar, collapse, saved settings, focus */);
  for (const m of live) {
    if (m.kind === 'error') ImGui.PushStyleColorImVec4(0 /* ImGuiCol_Text */, new ImVec4(1, 0.55, 0.45, 1));
    ImGui.TextWrapped(m.text);
    if (m.kind === 'error') ImGui.PopStyleColor(1);
  }
  ImGui.End();
}

// A panel's drawing must never break the frame: an exception is reported once
// and the window is still closed with End() (Dear ImGui would abort otherwise).
function guardedDraw(ui, name, draw) {
  try {
    draw();
  } catch (e) {
    if (!ui.reported) ui.reported = new Set();
    if (!ui.reported.has(name)) { ui.reported.add(name); console.error(`[neuronlens] panel ${name}:`, e); }
  }
}

function window(ui, app, key, title, x, y, w, h, draw) {
  if (!app.panels[key]) return;
  ImGui.SetNextWindowPos(new ImVec2(x, y), Cond.FirstUseEver);
  ImGui.SetNextWindowSize(new ImVec2(w, h), Cond.FirstUseEver);
  const open = [true];
  if (ImGui.Begin(title, open)) guardedDraw(ui, title, () => draw(ui, app));
  ImGui.End();
  if (!open[0]) { app.panels[key] = false; app.changed(); }
}

function desktop(ui, app, top) {
  const vp = ImGui.GetMainViewport();
  const W = vp.Size.x, H = vp.Size.y - top;
  const left = Math.max(300, W * 0.25), mid = Math.max(380, W * 0.375), right = W - left - mid;
  window(ui, app, 'input', 'Input', 0, top, left, H * 0.6, drawInputPanel);
  window(ui, app, 'prediction', 'Prediction', 0, top + H * 0.6, left, H * 0.4, drawPredictionPanel);
  window(ui, app, 'network', 'Network', left, top, mid, H * 0.62, drawNetworkPanel);
  window(ui, app, 'focus', 'Focus', left, top + H * 0.62, mid, H * 0.38, drawFocusPanel);
  window(ui, app, 'neuron', 'Neuron', left + mid, top, right, H, drawNeuronPanel);
  window(ui, app, 'clusters', 'Clusters', W * 0.12, top + 20, W * 0.6, H - 40, drawClustersPanel);
  window(ui, app, 'analysis', 'Analysis', W * 0.2, top + 40, W * 0.6, H - 80, drawAnalysisPanel);
  window(ui, app, 'import', 'Import a model', W * 0.3, top + 30, Math.min(560, W * 0.5), Math.min(620, H - 60), drawImportPanel);
}

function kiosk(ui, app, top) {
  const vp = ImGui.GetMainViewport();
  if (performance.now() - ui.lastInteraction > ui.kioskIdleMs && ui.kioskTab !== 'start') {
    ui.kioskTab = 'start';
    ui.forceKioskTab = 'start';
    ui.resetToStart();
  }
  ImGui.SetNextWindowPos(new ImVec2(0, top), Cond.Always);
  ImGui.SetNextWindowSize(new ImVec2(vp.Size.x, vp.Size.y - top), Cond.Always);
  ImGui.Begin('NeuronLens##kiosk', null, 1 | 2 | 4 | 32 /* no title, resize, move, collapse */);
  if (ImGui.BeginTabBar('kiosk-tabs')) {
    const tab = (id, label, draw) => {
      const flags = ui.forceKioskTab === id ? 2 /* ImGuiTabItemFlags_SetSelected */ : 0;
      const open = ImGui.BeginTabItem(label, null, flags);
      rememberItem(ui, `tab:kiosk-${id}`);
      if (open) { ui.kioskTab = id; guardedDraw(ui, label, draw); ImGui.EndTabItem(); }
    };
    tab('start', ' 1. Choose a picture ', () => {
      ImGui.TextWrapped('What does a neural network see? Pick a picture or draw one, then follow the tabs.');
      if (ImGui.BeginTable('kiosk-start', 2)) {
        ImGui.TableNextColumn(); drawInputPanel(ui, app);
        ImGui.TableNextColumn(); drawPredictionPanel(ui, app);
        ImGui.EndTable();
      }
    });
    tab('focus', ' 2. Where it looks ', () => drawFocusPanel(ui, app));
    tab('neurons', ' 3. Its neurons ', () => {
      if (ImGui.BeginTable('kiosk-neurons', 2)) {
        ImGui.TableNextColumn(); drawNetworkPanel(ui, app);
        ImGui.TableNextColumn(); drawNeuronPanel(ui, app);
        ImGui.EndTable();
      }
    });
    tab('groups', ' 4. Groups of neurons ', () => drawClustersPanel(ui, app));
    ImGui.EndTabBar();
    ui.forceKioskTab = null;
  }
  ImGui.End();
}

export function drawFrame(ui, app) {
  const top = ui.kiosk ? 0 : menuBar(ui, app);
  if (!app.model) {
    const vp = ImGui.GetMainViewport();
    ImGui.SetNextWindowPos(new ImVec2(vp.Size.x / 2, vp.Size.y / 2), Cond.Always, new ImVec2(0.5, 0.5));
    ImGui.Begin('NeuronLens', null, 2 | 4 | 32 | 64);
    ImGui.Text(ui.loadingText || 'Loading...');
    ImGui.End();
  } else if (ui.kiosk) kiosk(ui, app, top);
  else desktop(ui, app, top);
  messages(ui, app);
}
