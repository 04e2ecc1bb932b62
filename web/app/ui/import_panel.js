// Import: bring your own model. An .onnx file (picked, or dropped on the page)
// is converted in the engine worker by the engine's ONNX importer; how its
// input is prepared and what its classes are called comes from a sidecar JSON
// dropped with it (the format of `neuronlens import --config`, docs/ONNX.md),
// or from this form, which writes the same JSON. Sections: the form's state
// and presets, the config it writes, the panel.
import { ImGui, ImVec2, ImVec4, explain, help, combo, rememberItem } from './widgets.js';

// ---- the form's state and presets -------------------------------------------------
// The presets' values as the importer has them (src/model/onnx/import_config.cpp);
// the ImageNet class names are compiled into the engine, so they are not repeated here.
const PRESETS = {
  imagenet: { label: 'ImageNet (224 x 224 RGB, 1,000 classes)', height: 224, width: 224, channels: 3,
              scale: 1 / 255, mean: '0.485, 0.456, 0.406', std: '0.229, 0.224, 0.225' },
  grey28: { label: 'Grey 28 x 28 (digits, 10 classes)', height: 28, width: 28, channels: 1, scale: 1 / 255, mean: '0', std: '1' },
  custom: { label: 'Custom (size from the model)', height: 0, width: 0, channels: 3, scale: 1 / 255, mean: '0', std: '1' },
};

function applyPreset(form, preset) {
  const p = PRESETS[preset];
  Object.assign(form, { preset, height: p.height, width: p.width, channels: p.channels, scale: p.scale,
                        mean: p.mean, std: p.std, invert: false });
}

export function importForm(ui) {
  if (!ui.importForm) {
    ui.importForm = { file: null, sidecar: null, name: '', labels: '' };
    applyPreset(ui.importForm, 'imagenet');
  }
  return ui.importForm;
}

// ---- the config it writes ----------------------------------------------------------
function numbers(text, what) {
  const values = text.split(/[\s,]+/).filter((t) => t.length).map(Number);
  if (!values.length || values.some((v) => !Number.isFinite(v)) || (values.length !== 1 && values.length !== 3))
    throw new Error(`${what}: give one number, or three (red, green, blue), e.g. 0.485, 0.456, 0.406`);
  return values;
}

// The sidecar JSON the form describes (docs/ONNX.md, section 2).
export function formConfig(form) {
  const config = {};
  if (form.preset !== 'custom') config.preset = form.preset;
  if (form.name.trim()) config.name = form.name.trim();
  if (form.height > 0 && form.width > 0) config.input = { height: form.height, width: form.width, channels: form.channels };
  config.preprocessing = { colour: form.channels === 1 ? 'grey' : 'rgb', invert: form.invert, scale: form.scale,
                           mean: numbers(form.mean, 'mean'), std: numbers(form.std, 'std') };
  const labels = form.labels.split('\n').map((l) => l.trim()).filter((l) => l.length);
  if (labels.length) config.labels = labels;
  return config;
}

// ---- the panel ---------------------------------------------------------------------------
function input(label, form, key, size = 256) {
  const buf = [form[key]];
  if (ImGui.InputText(label, buf, size)) form[key] = buf[0];
}

export function drawImportPanel(ui, app) {
  explain('Explore your own image classifier: an ONNX file exported from PyTorch, Keras or another framework ' +
          '(opsets 7 to 17, one image input). It is converted here in your browser; nothing is uploaded.');
  const form = importForm(ui);
  if (ImGui.Button('Choose an .onnx file (and its .json settings)...')) ui.openModelPicker();
  ImGui.TextDisabled('or drop them on the page');
  ImGui.Text(form.file ? `Model: ${form.file.name} (${(form.file.bytes.length / 2 ** 20).toFixed(1)} MiB)` : 'Model: none chosen yet');
  if (form.sidecar) {
    ImGui.Text(`Settings: ${form.sidecar.name} (used instead of the form below)`);
    ImGui.SameLine();
    if (ImGui.SmallButton('Use the form instead')) form.sidecar = null;
  }
  ImGui.BeginDisabled(!!form.sidecar);
  ImGui.SeparatorText('How the model sees an image');
  ImGui.PushItemWidth(230);
  const preset = combo('preset', form.preset, Object.keys(PRESETS), (p) => PRESETS[p].label);
  if (preset !== form.preset) applyPreset(form, preset);
  help('A preset fills in the values below; change any of them. Input size 0 x 0 takes the size the model file gives.');
  ImGui.PopItemWidth();
  ImGui.PushItemWidth(110);
  const h = [form.height], w = [form.width];
  if (ImGui.InputInt('height', h, 0, 0)) form.height = Math.max(0, Math.min(8192, h[0]));
  ImGui.SameLine();
  if (ImGui.InputInt('width', w, 0, 0)) form.width = Math.max(0, Math.min(8192, w[0]));
  ImGui.SameLine();
  form.channels = combo('colour', form.channels, [1, 3], (c) => (c === 1 ? 'grey' : 'RGB'));
  const scale = [form.scale];
  if (ImGui.InputDouble('scale', scale, 0, 0, '%.8g')) form.scale = scale[0];
  help('Each pixel byte (0-255) becomes (byte x scale - mean) / std, per channel: 1/255 scales to [0, 1].');
  ImGui.PopItemWidth();
  ImGui.PushItemWidth(170);
  input('mean', form, 'mean');
  ImGui.SameLine();
  input('std', form, 'std');
  ImGui.PopItemWidth();
  const invert = [form.invert];
  if (ImGui.Checkbox('invert (the model expects light objects on a dark background)', invert)) form.invert = invert[0];
  ImGui.SeparatorText('Names');
  ImGui.PushItemWidth(230);
  input('model name', form, 'name');
  ImGui.PopItemWidth();
  ImGui.Text('Class names, one per line (empty: the preset\'s, or "class 0", "class 1", ...):');
  const labels = [form.labels];
  if (ImGui.InputTextMultiline('##labels', labels, 1 << 17, new ImVec2(-1, 90))) form.labels = labels[0];
  ImGui.EndDisabled();
  ImGui.Separator();
  ImGui.BeginDisabled(!form.file || !!app.importing);
  const clicked = ImGui.Button(app.importing ? `Converting ${app.importing.name}...` : 'Import');
  rememberItem(ui, 'button:Import');
  ImGui.EndDisabled();
  if (clicked) ui.importChosen();
  if (app.importError) {
    ImGui.PushStyleColorImVec4(0 /* ImGuiCol_Text */, new ImVec4(1, 0.55, 0.45, 1));
    ImGui.TextWrapped(app.importError);
    ImGui.PopStyleColor(1);
    ImGui.TextDisabled(app.model ? `Still using ${app.model.info.name}.` : '');
  }
}
