// Small helpers every panel uses: jsimgui imports, ImPlot flag values (the
// package does not export ImPlot's enums), explanation text, and a cache of
// Pictures (textures) keyed by what they show, redrawn only when it changes.
import { ImGui, ImVec2, ImVec4, ImPlot, ImAxis } from '../../node_modules/@mori2003/jsimgui/build/mod.js';
import { Picture } from '../gl_maps.js';

export { ImGui, ImVec2, ImVec4, ImPlot, ImAxis };

// ImPlot's enum values (implot.h).
export const PlotFlags = { NoTitle: 1 << 0, NoLegend: 1 << 1, NoMouseText: 1 << 2, NoInputs: 1 << 3, NoMenus: 1 << 4,
                           NoBoxSelect: 1 << 5, NoFrame: 1 << 6, Equal: 1 << 7 };
export const AxisFlags = { NoLabel: 1 << 0, NoGridLines: 1 << 1, NoTickMarks: 1 << 2, NoTickLabels: 1 << 3,
                           NoInitialFit: 1 << 4, NoMenus: 1 << 5, Invert: 1 << 10, AutoFit: 1 << 11, Lock: (1 << 14) | (1 << 15) };
export const PLOT_CANVAS = PlotFlags.NoTitle | PlotFlags.NoMenus | PlotFlags.NoBoxSelect | PlotFlags.NoMouseText;
// Dear ImGui conditions.
export const Cond = { Always: 1, Once: 2, FirstUseEver: 4, Appearing: 8 };

const pictures = new Map();  // key -> {picture, stamp}

// The picture for `key`, redrawn by draw(picture) when `stamp` differs from the last draw.
export function cachedPicture(ui, key, stamp, draw) {
  let entry = pictures.get(key);
  if (!entry) { entry = { picture: new Picture(ui.gl), stamp: undefined }; pictures.set(key, entry); }
  if (entry.stamp !== stamp) {
    draw(entry.picture);
    entry.stamp = stamp;
  }
  return entry.picture;
}

export function pictureIfAny(key) { return pictures.get(key)?.picture || null; }

// A short explanation for people who do not know CNNs, in a muted colour.
export function explain(text) {
  ImGui.PushStyleColor(0 /* ImGuiCol_Text */, ImGui.GetColorU32(1 /* ImGuiCol_TextDisabled */));
  ImGui.TextWrapped(text);
  ImGui.PopStyleColor(1);
}

export function help(text) {
  ImGui.SameLine();
  ImGui.TextDisabled('(?)');
  if (ImGui.BeginItemTooltip()) {
    ImGui.PushTextWrapPos(ImGui.GetFontSize() * 28);
    ImGui.Text(text);
    ImGui.PopTextWrapPos();
    ImGui.EndTooltip();
  }
}

// Draws a picture scaled to fit `size` (keeping its aspect ratio); returns the
// top-left screen position and the drawn size.
export function image(picture, width, height) {
  const pos = ImGui.GetCursorScreenPos();
  if (picture && picture.width > 0) ImGui.Image(picture.ref, new ImVec2(width, height));
  else ImGui.Dummy(new ImVec2(width, height));
  return { x: pos.x, y: pos.y, width, height };
}

export function combo(label, current, items, itemLabel = (x) => String(x)) {
  let chosen = current;
  const index = items.indexOf(current);
  if (ImGui.BeginCombo(label, index >= 0 ? itemLabel(items[index]) : '')) {
    for (const item of items) {
      if (ImGui.Selectable(itemLabel(item), item === current)) chosen = item;
    }
    ImGui.EndCombo();
  }
  return chosen;
}

// BeginPlot ... EndPlot with the end guaranteed, so an exception in the body
// never leaves a plot open (Dear ImGui would report it in the next window).
export function plot(id, size, flags, body) {
  if (!ImPlot.BeginPlot(id, size, flags)) return;
  try {
    body();
  } finally {
    ImPlot.EndPlot();
  }
}

// Runs body with an ImPlot colour map pushed, popping it whatever happens.
export function withColormap(name, body) {
  ImPlot.PushColormapStr(name);
  try {
    body();
  } finally {
    ImPlot.PopColormap(1);
  }
}

// Records the last item's centre under `key` (window.neuronlens.layout(): the tests click there).
export function rememberItem(ui, key) {
  const a = ImGui.GetItemRectMin(), b = ImGui.GetItemRectMax();
  ui.targets[key] = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

// A progress bar with a Cancel button beside it (its centre under `cancel:<key>` in
// window.neuronlens.layout()); onCancel runs when it is pressed.
export function progressWithCancel(ui, key, progress, text, onCancel) {
  const style = ImGui.GetStyle();
  // A fixed width, room for "Cancel" (4 em; jsimgui's CalcTextSize answers 0 wide here).
  const button = 4 * ImGui.GetFontSize() + 2 * style.FramePadding.x;
  ImGui.ProgressBar(progress, new ImVec2(-(button + style.ItemSpacing.x), 0), text);
  ImGui.SameLine();
  const pressed = ImGui.Button(`Cancel##${key}`, new ImVec2(button, 0));
  rememberItem(ui, `cancel:${key}`);
  if (pressed) onCancel();
}

export function percent(p) { return `${(100 * p).toFixed(1)}%`; }
export function fixed(v, digits = 3) { return Number.isFinite(v) ? v.toFixed(digits) : '-'; }
