// Focus: where the network looks when it decides on a class, as a heat map
// over the input: Grad-CAM, gradient saliency or occlusion.
import { ImGui, ImVec2, explain, help, cachedPicture, image, combo } from './widgets.js';

const METHODS = {
  gradcam: ['Grad-CAM', 'Grad-CAM: the last convolutional layer\'s maps, weighted by how much the class score depends on each, ' +
            'keeping the positive part. Coarse but reliable.'],
  saliency: ['saliency', 'Saliency: how strongly each input pixel changes the class score (size of the gradient).'],
  occlusion: ['occlusion', 'Occlusion: cover a small patch, see how much the class score drops; repeated over the image.'],
};

export function drawFocusPanel(ui, app) {
  explain('Where does the network look? Warm colours mark the parts of the image that most support the chosen class.');
  if (!app.model) return;
  ImGui.PushItemWidth(130);
  const method = combo('method', app.focus.method, Object.keys(METHODS), (m) => METHODS[m][0]);
  help(METHODS[method][1]);
  ImGui.SameLine();
  const classes = [-1, ...app.model.labels.map((_, i) => i)];
  const target = combo('class', app.focus.target, classes, (c) => (c < 0 ? 'predicted class' : app.model.labels[c]));
  ImGui.PopItemWidth();
  if (method !== app.focus.method || target !== app.focus.target) {
    app.focus.method = method;
    app.focus.target = target;
    app.focus.map = null;
    app.loadFocus();
  }
  const m = app.focus.map;
  if (!app.input) { ImGui.TextDisabled('Choose an image first.'); return; }
  if (!m) {
    if (ImGui.Button('Show focus')) app.loadFocus();
    return;
  }
  const pic = cachedPicture(ui, 'focus', m, (p) => ui.maps.overlay(p, app.input.rgba, app.input.width, app.input.height,
                                                                     m.values, m.width, m.height));
  const size = ui.kiosk ? 300 : Math.min(220, ImGui.GetContentRegionAvail().x);
  image(pic, size, size);
  ImGui.SameLine();
  ImGui.TextWrapped(`for "${app.model.labels[m.class]}"`);
}
