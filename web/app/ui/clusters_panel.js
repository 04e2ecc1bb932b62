// Clusters (METHOD.md): the categories clustered by how the neurons of a layer
// respond to them (similarity heatmap in dendrogram order, with the
// dendrogram), the neurons grouped by the category they serve (neuron x
// category heatmap), and the neurons clustered (tiles of their visualizations).
import { plot, withColormap, rememberItem, progressWithCancel, ImGui, ImVec2, ImVec4, ImPlot, ImAxis, explain, help, cachedPicture, combo, fixed,
         PLOT_CANVAS, PlotFlags, AxisFlags } from './widgets.js';

function layerChoice(ui, app, current) {
  const layers = app.exploreLayers().filter((l) => l.id < app.model.info.logits);
  return combo('layer', current, layers.map((l) => l.id), (id) => {
    const l = app.layerInfo(id);
    return `${l.name} (${l.op}, ${app.channelsOf(id)})`;
  });
}

// The dendrogram under a heatmap's columns: merges in SciPy's convention, leaves in `order`.
function drawDendrogram(list, origin, width, height, merges, order, n) {
  const x = new Map(), y = new Map();
  order.forEach((leaf, i) => { x.set(leaf, origin.x + (i + 0.5) * width / n); y.set(leaf, 0); });
  const top = Math.max(1e-9, ...Array.from({ length: n - 1 }, (_, r) => merges[r * 4 + 2]));
  const yOf = (d) => origin.y + height - 4 - (height - 8) * d / top;
  for (let r = 0; r < n - 1; ++r) {
    const a = merges[r * 4], b = merges[r * 4 + 1], d = merges[r * 4 + 2];
    const xa = x.get(a), xb = x.get(b), ya = y.has(a) ? yOf(y.get(a)) : yOf(0), yb = yOf(y.get(b) ?? 0), ym = yOf(d);
    const colour = 0xffd0d0d0;
    list.AddLine(new ImVec2(xa, ya), new ImVec2(xa, ym), colour, 1.5);
    list.AddLine(new ImVec2(xb, yb), new ImVec2(xb, ym), colour, 1.5);
    list.AddLine(new ImVec2(xa, ym), new ImVec2(xb, ym), colour, 1.5);
    x.set(n + r, (xa + xb) / 2);
    y.set(n + r, d);
  }
}

// Names of a result's categories (the classes the sample images show, result.categories).
function categoryNames(app, result) { return Array.from(result.categories, (c) => app.model.labels[c]); }

function drawCategoryClusters(ui, app) {
  const c = app.clusters.categories;
  if (!c) return;
  const labels = categoryNames(app, c);
  const n = c.classes;
  const order = Array.from(c.order);
  const values = [];
  for (const i of order) for (const j of order) values.push(c.similarity[i * n + j]);
  const names = order.map((i) => labels[i].slice(0, 8));
  const avail = ImGui.GetContentRegionAvail();
  const size = Math.max(220, Math.min(ui.kiosk ? 560 : 420, avail.x - 20, avail.y - 160));
  const kind = app.clusters.shown?.similarity === 'pearson' ? 'Pearson correlation' : 'cosine similarity';
  ImGui.Text(`Categories by how alike the layer's neurons respond to them (${kind}), in dendrogram order:`);
  let cellsLeft = 0, cellsRight = 0;
  withColormap('Viridis', () => plot('##category-similarity', new ImVec2(size, size), PLOT_CANVAS | PlotFlags.NoLegend, () => {
    // Names are written beside the cells (this jsimgui build ignores tick labels): rows on the left, columns below.
    const hidden = AxisFlags.NoGridLines | AxisFlags.NoTickMarks | AxisFlags.NoTickLabels | AxisFlags.Lock;
    ImPlot.SetupAxes('', '', hidden, hidden);
    ImPlot.SetupAxesLimits(-0.3, 1, -0.12, 1, 1);
    let lo = Infinity;
    for (const v of values) lo = Math.min(lo, v);
    ImPlot.PlotHeatmap('similarity', values, n, n, Math.min(lo, 0.99), 1, n <= 6 ? '%.2f' : '');
    cellsLeft = ImPlot.PlotToPixels(0, 0).x;
    cellsRight = ImPlot.PlotToPixels(1, 0).x;
    names.forEach((name, i) => {
      ImPlot.PlotText(name, -0.15, 1 - (i + 0.5) / n);
      ImPlot.PlotText(name.slice(0, 5), (i + 0.5) / n, i % 2 ? -0.09 : -0.04);
    });
  }));
  // Dendrogram under it, aligned with the heatmap's plot area (approximately: the plot's inner width).
  const origin = ImGui.GetCursorScreenPos();
  const plotLeft = cellsLeft, plotWidth = cellsRight - cellsLeft;
  ImGui.Dummy(new ImVec2(size, 110));
  if (plotWidth > 0) drawDendrogram(ImGui.GetWindowDrawList(), { x: plotLeft, y: origin.y }, plotWidth, 100, c.merges, order, n);
  ImGui.TextDisabled('Leaves left to right in the order above; lower joins = more similar categories.');
}

function drawGroups(ui, app) {
  const g = app.clusters.groups;
  if (!g) return;
  const labels = categoryNames(app, g);
  const n = labels.length;
  const order = Array.from(g.order);
  const k = order.length;
  ImGui.Text('Each neuron\'s mean contribution to each category (rows: neurons by the category they serve, best first):');
  const values = [];
  for (const row of order) for (let c = 0; c < n; ++c) values.push(g.scores[row * n + c]);
  let hi = 1e-12;
  for (const v of values) hi = Math.max(hi, Math.abs(v));
  withColormap('RdBu', () => plot('##neuron-category', new ImVec2(ui.kiosk ? 520 : 340, Math.min(520, 60 + k * 4)), PLOT_CANVAS | PlotFlags.NoLegend, () => {
    const hidden = AxisFlags.NoGridLines | AxisFlags.NoTickMarks | AxisFlags.NoTickLabels | AxisFlags.Lock;
    ImPlot.SetupAxes('', 'neurons', hidden, hidden);
    ImPlot.SetupAxesLimits(0, 1, -0.08, 1, 1);
    ImPlot.PlotHeatmap('gamma', values, k, n, -hi, hi, '');
    labels.forEach((l, i) => ImPlot.PlotText(l.slice(0, 5), (i + 0.5) / n, i % 2 ? -0.06 : -0.025));
  }));
  const sizes = Array.from(g.members, (m) => m.length);
  ImGui.TextWrapped(`Group sizes: ${labels.map((l, i) => `${l} ${sizes[i]}`).join(', ')}`);
}

function tilesAtlas(ui, app) {
  const t = app.clusters.tiles;
  if (!t) return null;
  const columns = 16, rows = Math.ceil(t.channels / columns);
  const { width: w, height: h } = t;
  const picture = cachedPicture(ui, 'tiles', `${t.node}:${t.version}`, (p) => {
    const rgba = new Uint8Array(columns * w * rows * h * 4);
    t.rgba.forEach((tile, c) => {
      if (!tile) return;
      const tx = (c % columns) * w, ty = Math.floor(c / columns) * h;
      for (let y = 0; y < h; ++y) rgba.set(tile.subarray(y * w * 4, (y + 1) * w * 4), ((ty + y) * columns * w + tx) * 4);
    });
    ui.maps.setRgba(p, rgba, columns * w, rows * h);
  });
  return { picture, columns, rows };
}

function tile(ui, app, atlas, channel, size) {
  const u = (channel % atlas.columns) / atlas.columns, v = Math.floor(channel / atlas.columns) / atlas.rows;
  ImGui.Image(atlas.picture.ref, new ImVec2(size, size), new ImVec2(u, v), new ImVec2(u + 1 / atlas.columns, v + 1 / atlas.rows));
}

function drawNeuronClusters(ui, app) {
  const c = app.clusters;
  const labels = c.neurons ? categoryNames(app, c.neurons) : [];
  const t = c.tiles && c.tiles.node === c.layer ? c.tiles : null;
  if (!t) {
    if (ImGui.Button('Visualize every neuron of the layer (tiles)')) app.computeTiles();
    help('Runs a short feature visualization (48 steps) for each neuron, to show each cluster as tiles of its members\' images.');
  } else if (!t.done) {
    progressWithCancel(ui, 'tiles', t.progress, 'visualizing every neuron...', () => app.cancelBackgroundJob('The tiles'));
  }
  const atlas = t ? tilesAtlas(ui, app) : null;
  const n = c.neurons;
  if (!n) { if (c.features === 'visualization') ImGui.TextDisabled('Clustering by visualization needs the tiles.'); return; }
  if (n.silhouette) ImGui.TextWrapped(`Silhouette of k-means for k = ${Array.from(n.silhouetteK).join(', ')}: ` +
                                      `${Array.from(n.silhouette, (v) => v.toFixed(2)).join(', ')} (higher = better separated).`);
  n.members.forEach((members, i) => {
    const names = Array.from(n.labels[i], (l) => labels[l]).join(' / ');
    ImGui.SeparatorText(`Cluster ${i + 1}: ${members.length} neurons, serves ${names || '-'}`);
    const size = ui.kiosk ? 56 : 36;
    Array.from(members).forEach((m, j) => {
      if (j % 10 !== 0) ImGui.SameLine();
      if (atlas && t.rgba[m]) tile(ui, app, atlas, m, size);
      else ImGui.Button(`${m}##member${i}-${m}`, new ImVec2(size, size));
      if (ImGui.IsItemHovered()) ImGui.SetTooltip(`neuron ${m}: click to open`);
      if (ImGui.IsItemClicked(0)) { app.layer = c.layer; app.activations = null; app.loadActivations(); app.selectNeuron(m); }
    });
  });
}

export function drawClustersPanel(ui, app) {
  explain('Groups found in the network. Categories that the neurons of a layer treat alike end up close together; ' +
          'neurons that respond alike to the categories form clusters. Computed in your browser from the sample images.');
  if (!app.model?.samples) { ImGui.TextDisabled('This model has no sample images.'); return; }
  const s = app.model.samples;
  ImGui.TextDisabled(`${s.custom ? 'Your' : 'The model\'s sample'} images: ${s.count}. Drop (or choose) a folder with one subfolder per class ` +
                     `(named ${app.model.labels.slice(0, 2).join(', ')}, ...) to use your own.`);
  if (ImGui.SmallButton('Choose a folder...')) ui.openFolderPicker();
  rememberItem(ui, 'button:Choose a folder');
  const c = app.clusters;
  ImGui.PushItemWidth(170);
  const layer = layerChoice(ui, app, c.layer);
  ImGui.SameLine();
  const source = combo('responses', c.source, ['activation', 'contribution']);
  ImGui.SameLine();
  const similarity = combo('similarity', c.similarity, ['pearson', 'cosine']);
  const features = combo('neuron features', c.features, ['activation', 'contribution', 'visualization']);
  ImGui.SameLine();
  const method = combo('method', c.method, ['kmeans', 'agglomerative', 'nmf']);
  const k = [c.k];
  ImGui.SliderInt('k (clusters)', k, 2, Math.max(2, Math.min(16, app.channelsOf(layer))));
  ImGui.PopItemWidth();
  const settingsChanged = layer !== c.layer || source !== c.source || similarity !== c.similarity || features !== c.features || method !== c.method || k[0] !== c.k;
  Object.assign(c, { layer, source, similarity, features, method, k: k[0] });
  const p = app.statisticsProgress;
  if (p && p.node === layer) progressWithCancel(ui, 'statistics', p.progress, 'statistics over the sample images...', () => app.cancelBackgroundJob('The statistics'));
  else if (ImGui.Button(c.categories ? 'Recompute' : 'Compute clusters') || (settingsChanged && c.categories)) app.computeClusters();
  if (ImGui.BeginTabBar('cluster-tabs')) {
    for (const [name, draw] of [['Categories', drawCategoryClusters], ['Neuron x category', drawGroups],
                                ['Neuron clusters', drawNeuronClusters]]) {
      const open = ImGui.BeginTabItem(name);
      rememberItem(ui, `tab:${name}`);
      if (open) { draw(ui, app); ImGui.EndTabItem(); }
    }
    ImGui.EndTabBar();
  }
}
