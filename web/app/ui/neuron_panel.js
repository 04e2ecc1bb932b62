// Neuron: one channel of a layer. Its map for the current image, its
// contribution to the prediction, the category it serves (from statistics
// over the sample images), its top activating samples, and its feature
// visualization: an image optimised so that this neuron fires, computed live
// with every step shown, with the optimiser's controls.
import { plot, progressWithCancel, ImGui, ImVec2, ImVec4, ImPlot, ImAxis, explain, help, cachedPicture, image, combo, fixed, percent, rememberItem,
         PLOT_CANVAS, PlotFlags, AxisFlags } from './widgets.js';
import { sampleTile } from './input_panel.js';
import { VIZ_DEFAULTS, PAPER_SETTINGS } from '../app.js';

function drawMap(ui, app, d) {
  let lo = Infinity, hi = -Infinity;
  for (const v of d.map) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const diverging = lo < 0;
  const pic = cachedPicture(ui, 'neuron-map', d, (p) => ui.maps.colorize(p, d.map, d.width, d.height, { diverging, scale: 4 }));
  image(pic, 112, 112 * d.height / d.width);
  if (ImGui.IsItemHovered()) ImGui.SetTooltip(diverging ? 'red: positive, blue: negative' : 'yellow: strongest');
  // The same map laid over the input (stretched to it), so one sees which part of the picture it responds to.
  const input = app.input;
  if (!input) return;
  ImGui.SameLine();
  const over = cachedPicture(ui, 'neuron-map-over-input', d, (p) => ui.maps.overlay(p, input.rgba, input.width, input.height,
                                                                                    d.map, d.width, d.height));
  image(over, 112, 112 * input.height / input.width);
  if (ImGui.IsItemHovered()) ImGui.SetTooltip('the map over the input: bright where this neuron responds');
}

function drawContribution(ui, app, d) {
  ImGui.Text(`Response (sum of its map): ${fixed(d.response, 2)}`);
  if (d.isScore) {
    ImGui.TextWrapped(d.node === app.model.info.logits
      ? `This unit is the network's score for "${app.model.labels[d.channel]}": the class with the highest score wins.`
      : 'This unit comes after the class scores.');
    return;
  }
  const label = app.model.labels[d.class] ?? '?';
  ImGui.Text(`Contribution to "${label}": ${fixed(d.contribution, 3)}`);
  help('Gradient x activation: how much this neuron pushes the score of the class up (positive) or down (negative), ' +
       'to first order. Share: its part of all positive contributions of the layer.');
  ImGui.Text(`Share: ${percent(Math.max(0, d.share))}   rank ${d.contributionRank} of ${app.channelsOf(d.node)}`);
  const s50 = d.dominatingSet50, s80 = d.dominatingSet80;
  ImGui.TextWrapped(`${s50.size} neurons carry half of this layer's positive contribution, ${s80.size} carry 80%. ` +
                    `This neuron is ${s50.contains ? 'among the first' : s80.contains ? 'among the second group' : 'not among them'}.`);
}

function drawCategories(ui, app, d) {
  const stats = app.statistics.get(d.node);
  if (d.isScore) return;
  if (!stats) {
    const p = app.statisticsProgress;
    if (p && p.node === d.node) progressWithCancel(ui, 'neuron-statistics', p.progress, 'statistics over the sample images...', () => app.cancelBackgroundJob('The statistics'));
    else if (app.model.samples && ImGui.Button('Which category does it serve?')) app.ensureStatistics(d.node);
    help('Computes, over the sample images, how much each neuron of this layer contributes to each category.');
    return;
  }
  if (!d.categoryContribution) { ImGui.TextDisabled('Loading its statistics...'); return; }
  // Per-category values count over the categories the sample images show (d.categories: their classes).
  const labels = Array.from(d.categories, (c) => app.model.labels[c]);
  ImGui.Text(`Serves mostly: ${labels[d.dominantCategory] ?? '-'}   (margin ${fixed(d.margin, 2)})`);
  help('Its mean contribution to each category over the sample images of that category (gamma); the category with the ' +
       'largest is the one it serves; the margin is (first - second) / sum of magnitudes.');
  const values = Array.from(d.categoryContribution);
  plot('##categories', new ImVec2(-1, ui.kiosk ? 200 : 120), PLOT_CANVAS | PlotFlags.NoLegend | PlotFlags.NoInputs, () => {
    let lo = 0, hi = 0;
    for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const pad = 0.3 * Math.max(hi - lo, 1e-6);
    ImPlot.SetupAxes('', 'mean contribution', AxisFlags.NoGridLines | AxisFlags.NoTickLabels | AxisFlags.NoTickMarks, 0);
    ImPlot.SetupAxesLimits(-0.6, labels.length - 0.4, lo - (lo < 0 ? pad : 0), hi + pad, 1);
    ImPlot.PlotBars('gamma', values, values.length, 0.7, 0);
    values.forEach((v, i) => ImPlot.PlotText(labels[i].slice(0, 5), i, v, new ImVec2(0, v >= 0 ? -9 : 9)));
  });
  if (d.topImages?.length) {
    ImGui.Text('Sample images that excite it most (box: what its strongest point sees):');
    const size = ui.kiosk ? 64 : 44;
    const { width: w, height: h } = app.model.info;
    d.topImages.forEach((t, i) => {
      if (i % 8 !== 0) ImGui.SameLine();
      const pos = ImGui.GetCursorScreenPos();
      sampleTile(ui, app, t.index, size);
      if (ImGui.IsItemHovered()) ImGui.SetTooltip(`sample ${t.index} (${app.model.labels[t.label]}): response ${fixed(t.response, 2)}`);
      if (ImGui.IsItemClicked(0)) app.useSample(t.index);
      const [y0, x0, y1, x1] = t.box;
      ImGui.GetWindowDrawList().AddRect(new ImVec2(pos.x + x0 * size / w, pos.y + y0 * size / h),
                                        new ImVec2(pos.x + x1 * size / w, pos.y + y1 * size / h), 0xff30c0ff, 0, 1.5);
    });
  }
}

function slider(label, settings, key, min, max, format = '%.3f', integer = false) {
  const v = [settings[key]];
  const changed = integer ? ImGui.SliderInt(label, v, min, max) : ImGui.SliderFloat(label, v, min, max, format);
  if (changed) settings[key] = v[0];
  return changed;
}

function drawVisualization(ui, app) {
  const viz = app.viz;
  const layer = app.layerInfo();
  ImGui.SeparatorText('Feature visualization');
  explain('An image made from scratch so that this neuron fires as strongly as possible: start from a dark image and ' +
          'repeatedly change its pixels in the direction that raises the neuron\'s response (gradient ascent).');
  const frames = viz.frames;
  const total = frames.length;
  let shown = viz.shownStep >= 0 && viz.shownStep < total ? viz.shownStep : total - 1;
  const size = ui.kiosk ? 240 : 168;
  if (total > 0) {
    const frame = frames[shown];
    const pic = cachedPicture(ui, 'viz', frame, (p) => ui.maps.setRgba(p, frame.subarray(0, viz.width * viz.height * 4), viz.width, viz.height));
    image(pic, size, size * viz.height / viz.width);
  } else {
    image(null, size, size);
  }
  ImGui.SameLine();
  ImGui.BeginGroup();
  if (viz.running) {
    ImGui.ProgressBar(viz.steps ? viz.step / viz.steps : 0, new ImVec2(160, 0), `step ${viz.step} / ${viz.steps}`);
    if (ImGui.Button('Cancel')) app.cancelVisualization();
  } else {
    if (ImGui.Button(total ? 'Run again' : 'Visualize')) app.runVisualization();
    if (viz.result) ImGui.Text(`${viz.result.steps} steps in ${fixed(viz.seconds, 2)} s`);
  }
  if (total > 1) {
    const step = [shown + 1];
    ImGui.SetNextItemWidth(160);
    if (ImGui.SliderInt('step', step, 1, total)) viz.shownStep = step[0] - 1 === total - 1 ? -1 : step[0] - 1;
  }
  if (viz.objective.length > 1) plot('##objective', new ImVec2(200, 90), PLOT_CANVAS | PlotFlags.NoLegend, () => {
    ImPlot.SetupAxes('', '', AxisFlags.AutoFit | AxisFlags.NoTickLabels, AxisFlags.AutoFit);
    const values = viz.objective;
    ImPlot.PlotLine('objective', values, values.length, 1, 1);
  });
  ImGui.EndGroup();

  const settingsOpen = ImGui.CollapsingHeader('Settings##viz');
  rememberItem(ui, 'viz:settings');
  if (settingsOpen) {
    const s = viz.settings;
    ImGui.PushItemWidth(150);
    if (layer.shape.length === 4) s.objective = combo('objective', s.objective, ['mean', 'sum', 'spatial'],
      (o) => ({ mean: 'mean of its map', sum: 'sum of its map', spatial: 'centre unit' })[o]);
    slider('steps', s, 'steps', 1, 1024, '%d', true);
    slider('learning rate', s, 'learningRate', 0.001, 2, '%.3f');
    s.optimizer = combo('optimizer', s.optimizer, ['gradient', 'adam']);
    s.parameterization = combo('parameterisation', s.parameterization, ['pixels', 'fourier'],
      (o) => ({ pixels: 'pixels', fourier: 'Fourier (decorrelated spectrum)' })[o]);
    rememberItem(ui, 'viz:parameterisation');
    help('Pixels: the optimiser changes the image itself. Fourier: it changes a decorrelated spectrum scaled by 1/f, ' +
         'which favours smooth, natural-looking images over high-frequency patterns.');
    slider('blur (sigma)', s, 'blur', 0, 2, '%.2f');
    slider('L2 decay', s, 'l2', 0, 1, '%.3f');
    slider('total variation', s, 'tv', 0, 1, '%.3f');
    slider('jitter (px)', s, 'jitter', 0, 8, '%d', true);
    slider('scale jitter', s, 'scaleJitter', 0, 0.3, '%.2f');
    slider('rotation (deg)', s, 'rotate', 0, 30, '%.0f');
    s.start = combo('start from', s.start, ['constant', 'noise', 'input'],
      (o) => ({ constant: 'dark image', noise: 'noise', input: 'the current image' })[o]);
    slider('seed', s, 'seed', 0, 1000, '%d', true);
    ImGui.PopItemWidth();
    if (ImGui.Button('Defaults')) viz.settings = { ...VIZ_DEFAULTS };
    ImGui.SameLine();
    if (ImGui.Button("The paper's settings")) viz.settings = { ...PAPER_SETTINGS };
    ImGui.SameLine();
    ImGui.TextDisabled('Same settings and seed: the same image.');
  }
}

export function drawNeuronPanel(ui, app) {
  if (app.neuron === null) {
    explain('Click a map in the Network panel to open its neuron here.');
    return;
  }
  const layer = app.layerInfo();
  ImGui.Text(`Neuron ${app.neuron} of layer ${layer.name} (${layer.op})`);
  const d = app.neuronDetails;
  if (d) {
    drawMap(ui, app, d);
    ImGui.SameLine();
    ImGui.BeginGroup();
    drawContribution(ui, app, d);
    ImGui.EndGroup();
    drawCategories(ui, app, d);
  } else {
    ImGui.TextDisabled(app.input ? 'Computing...' : 'Choose an image to see this neuron at work.');
  }
  drawVisualization(ui, app);
}
