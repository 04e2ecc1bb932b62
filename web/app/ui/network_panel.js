// Network: every layer with its shape, and a grid of all activation maps of
// the chosen layer for the current image; clicking a map opens that neuron.
import { ImGui, ImVec2, ImVec4, explain, help, cachedPicture } from './widgets.js';

function shapeText(shape) { return shape.slice(1).join(' x '); }

// All maps of a [H, W, K] layer in one grid, each map scaled to its own range.
function gridPicture(ui, app, a) {
  const { height: h, width: w, channels: k } = a;
  const columns = Math.ceil(Math.sqrt(k)), rows = Math.ceil(k / columns);
  const gap = 1;
  const gw = columns * (w + gap) - gap, gh = rows * (h + gap) - gap;
  const picture = cachedPicture(ui, 'grid', a, (p) => {
    const values = new Float32Array(gw * gh).fill(-1);  // gaps drawn as the colour map's lowest value... below 0
    for (let c = 0; c < k; ++c) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < h * w; ++i) { const v = a.values[i * k + c]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const span = hi - lo > 1e-12 ? hi - lo : 1;
      const ox = (c % columns) * (w + gap), oy = Math.floor(c / columns) * (h + gap);
      for (let y = 0; y < h; ++y)
        for (let x = 0; x < w; ++x) values[(oy + y) * gw + ox + x] = (a.values[(y * w + x) * k + c] - lo) / span;
    }
    ui.maps.colorize(p, values, gw, gh, { min: 0, max: 1, scale: Math.max(1, Math.ceil(256 / Math.max(gw, gh))) });
  });
  return { picture, columns, rows, w, h, gap, gw, gh };
}

export function drawNetworkPanel(ui, app) {
  explain('A convolutional network is a stack of layers. Each layer has neurons (channels); each neuron makes a map that lights up ' +
          'where it finds its pattern in the image. Pick a layer, then click a map to open its neuron.');
  if (!app.model) return;
  // Left: the layers; right: the chosen layer and the grid of its maps.
  const listWidth = ui.kiosk ? 300 : 190;
  if (ImGui.BeginChild('layers', new ImVec2(listWidth, 0), 1)) {
    for (const layer of app.exploreLayers()) {
      const label = `${layer.name}  ${shapeText(layer.shape)}##layer${layer.id}`;
      if (ImGui.Selectable(label, layer.id === app.layer)) app.selectLayer(layer.id);
      if (ImGui.IsItemHovered()) ImGui.SetTooltip(`${layer.op}, output ${shapeText(layer.shape)}`);
    }
  }
  ImGui.EndChild();
  ImGui.SameLine();
  ImGui.BeginGroup();
  drawLayer(ui, app);
  ImGui.EndGroup();
}

function drawLayer(ui, app) {
  const layer = app.layerInfo();
  if (layer) {
    ImGui.Text(`${layer.name}: ${layer.op}, ${app.channelsOf(layer.id)} neurons, output ${shapeText(layer.shape)}`);
    help(layer.op === 'Conv2D' ? 'A convolution: each neuron slides a small learned filter over the maps below it. ' +
         'Its maps here are before the ReLU (negative values are shown too).'
         : layer.op === 'ReLU' ? 'ReLU keeps the positive part of each map: where the pattern is present.'
         : layer.op === 'MaxPool2D' ? 'Max pooling halves the map size, keeping the strongest response of each 2 x 2 block.'
         : layer.op === 'Dense' ? 'A dense layer: every unit weighs all values of the layer below.' : 'One step of the network.');
  }
  const a = app.activations;
  if (!a) { ImGui.TextDisabled(app.input ? 'Computing...' : 'Choose an image to see the activation maps.'); return; }
  if (a.height === 1 && a.width === 1) {
    // A dense layer: one bar per unit.
    ImGui.TextDisabled('Unit values (click one to open it):');
    const k = a.channels;
    let hi = 1e-12;
    for (const v of a.values) hi = Math.max(hi, Math.abs(v));
    for (let c = 0; c < Math.min(k, 256); ++c) {
      const name = app.layer === app.model.info.logits ? ` (${app.model.labels[c]})` : '';
      if (ImGui.Selectable(`unit ${c}${name}: ${a.values[c].toFixed(3)}##unit${c}`, app.neuron === c)) app.selectNeuron(c);
    }
    return;
  }
  const g = gridPicture(ui, app, a);
  const avail = ImGui.GetContentRegionAvail();
  const side = Math.max(120, Math.min(avail.x, avail.y - ImGui.GetFrameHeight() * 2, ui.kiosk ? 560 : 460));
  const scale = side / Math.max(g.gw, g.gh);
  const origin = ImGui.GetCursorScreenPos();
  ImGui.Image(g.picture.ref, new ImVec2(g.gw * scale, g.gh * scale));
  // Where each neuron's map is on screen (for window.neuronlens.layout(), used by the tests to click one).
  ui.targets.grid = { x: origin.x, y: origin.y, step: (g.w + g.gap) * scale, size: g.w * scale, columns: g.columns, channels: a.channels };
  if (ImGui.IsItemHovered()) {
    const m = ImGui.GetMousePos();
    const cx = Math.floor((m.x - origin.x) / scale / (g.w + g.gap)), cy = Math.floor((m.y - origin.y) / scale / (g.h + g.gap));
    const c = cy * g.columns + cx;
    if (c >= 0 && c < a.channels && cx < g.columns) {
      ImGui.SetTooltip(`neuron ${c}: response ${a.responses[c].toFixed(2)} (sum of its map)`);
      if (ImGui.IsMouseClicked(0)) app.selectNeuron(c);
    }
  }
  if (app.neuron !== null && app.neuron < a.channels) {
    const c = app.neuron;
    const x = origin.x + (c % g.columns) * (g.w + g.gap) * scale, y = origin.y + Math.floor(c / g.columns) * (g.h + g.gap) * scale;
    ImGui.GetWindowDrawList().AddRect(new ImVec2(x - 1, y - 1), new ImVec2(x + g.w * scale + 1, y + g.h * scale + 1), 0xff00d0ff, 0, 2);
  }
  ImGui.TextDisabled('Each map in its own range: yellow strongest.');
}
