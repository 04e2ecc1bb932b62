// Exports of the clusters panel's results that have no picture of their own:
// the two heatmaps drawn by ImPlot (rendered again here as PNG, one block of
// pixels per cell, in the panel's colour maps and order), the neuron-cluster
// tiles in cluster order, and the tables behind them as CSV rows.

// Viridis (ImPlot's 'Viridis') at 8 stops, interpolated: t in [0, 1].
const VIRIDIS = [[68, 1, 84], [70, 50, 127], [54, 92, 141], [39, 127, 142], [31, 161, 135], [74, 194, 109],
                 [159, 218, 58], [253, 231, 37]];
// Red-white-blue, ImPlot's 'RdBu' direction (low red, high blue): t in [0, 1].
const RDBU = [[103, 0, 31], [214, 96, 77], [253, 219, 199], [247, 247, 247], [209, 229, 240], [67, 147, 195], [5, 48, 97]];

function ramp(stops, t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
}

// values: rows x cols, row-major; each cell cell x cell pixels, coloured by `stops` over [lo, hi].
export function heatmapRgba(values, rows, cols, lo, hi, stops, cell = 8) {
  const width = cols * cell, height = rows * cell;
  const rgba = new Uint8Array(width * height * 4);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) {
    const [R, G, B] = ramp(stops, (values[r * cols + c] - lo) / Math.max(1e-12, hi - lo));
    for (let y = r * cell; y < (r + 1) * cell; ++y) for (let x = c * cell; x < (c + 1) * cell; ++x)
      rgba.set([R, G, B, 255], (y * width + x) * 4);
  }
  return { rgba, width, height };
}

// The category similarity heatmap in dendrogram order (as the panel shows it), and its table.
export function similarityExport(c, labels) {
  const n = c.classes, order = Array.from(c.order);
  const values = [];
  for (const i of order) for (const j of order) values.push(c.similarity[i * n + j]);
  let lo = Infinity;
  for (const v of values) lo = Math.min(lo, v);
  const names = order.map((i) => labels[i]);
  return {
    picture: heatmapRgba(values, n, n, Math.min(lo, 0.99), 1, VIRIDIS),
    header: ['category', ...names],
    rows: order.map((i, r) => [names[r], ...order.map((j) => c.similarity[i * n + j])]),
  };
}

// The neuron x category heatmap (rows: neurons grouped by the category they serve) and its table.
export function neuronCategoryExport(g, labels) {
  const n = labels.length, order = Array.from(g.order);
  const values = [];
  for (const row of order) for (let c = 0; c < n; ++c) values.push(g.scores[row * n + c]);
  let hi = 1e-12;
  for (const v of values) hi = Math.max(hi, Math.abs(v));
  return {
    picture: heatmapRgba(values, order.length, n, -hi, hi, RDBU),
    header: ['neuron', 'serves', ...labels],
    rows: order.map((neuron) => [neuron, labels[g.dominant[neuron]] ?? '',
                                 ...Array.from({ length: n }, (_, c) => g.scores[neuron * n + c])]),
  };
}

// Each neuron's cluster (numbered from 1, as the panel shows them) and what the cluster serves.
export function neuronClustersTable(nc, labels) {
  const serves = nc.labels.map((l) => Array.from(l, (i) => labels[i]).join(' / '));
  return {
    header: ['neuron', 'cluster', 'cluster_serves'],
    rows: Array.from(nc.assignment, (cluster, neuron) => [neuron, cluster + 1, serves[cluster] ?? '']),
  };
}

// The tiles of each cluster's members, a cluster per band of rows of `columns`
// tiles (w x h each), the clusters in order; a neuron without a tile stays black.
export function clusterTilesRgba(nc, tiles, columns = 16) {
  const { width: w, height: h } = tiles;
  const bands = nc.members.map((m) => Math.max(1, Math.ceil(m.length / columns)));
  const width = columns * w, height = bands.reduce((a, b) => a + b, 0) * h;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  let top = 0;
  nc.members.forEach((members, i) => {
    Array.from(members).forEach((m, j) => {
      const tile = tiles.rgba[m];
      if (!tile) return;
      const tx = (j % columns) * w, ty = top + Math.floor(j / columns) * h;
      for (let y = 0; y < h; ++y) rgba.set(tile.subarray(y * w * 4, (y + 1) * w * 4), ((ty + y) * width + tx) * 4);
    });
    top += bands[i] * h;
  });
  return { rgba, width, height };
}
