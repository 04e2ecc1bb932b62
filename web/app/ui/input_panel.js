// Input: pick a sample image, upload (button, drag and drop, paste), draw,
// or take a camera picture; shows the image as the model sees it.
import { ImGui, ImVec2, ImVec4, explain, cachedPicture, image, combo, rememberItem } from './widgets.js';

const DRAW_SIZE = 224;

// All sample images in one atlas texture (a grid of tiles). Tiles of large
// inputs (an imported 224 x 224 model) are subsampled to at most 64 pixels a
// side, so the atlas stays within WebGL's texture size.
const ATLAS_TILE = 64;
function sampleAtlas(ui, app) {
  const s = app.model.samples;
  const { width: mw, height: mh, channels: c } = app.model.info;
  const step = Math.max(1, Math.ceil(Math.max(mw, mh) / ATLAS_TILE));
  const w = Math.ceil(mw / step), h = Math.ceil(mh / step);
  const columns = 40, rows = Math.ceil(s.count / columns);
  return {
    columns, rows, w, h,
    picture: cachedPicture(ui, 'samples', s, (picture) => {
      const rgba = new Uint8Array(columns * w * rows * h * 4);
      for (let i = 0; i < s.count; ++i) {
        const tx = (i % columns) * w, ty = Math.floor(i / columns) * h;
        for (let y = 0; y < h; ++y)
          for (let x = 0; x < w; ++x) {
            const src = ((i * mh + y * step) * mw + x * step) * c, dst = ((ty + y) * columns * w + tx + x) * 4;
            rgba[dst] = s.pixels[src]; rgba[dst + 1] = s.pixels[src + (c === 3 ? 1 : 0)];
            rgba[dst + 2] = s.pixels[src + (c === 3 ? 2 : 0)]; rgba[dst + 3] = 255;
          }
      }
      ui.maps.setRgba(picture, rgba, columns * w, rows * h);
    }),
  };
}

export function sampleTile(ui, app, index, size) {
  const atlas = sampleAtlas(ui, app);
  const u = (index % atlas.columns) / atlas.columns, v = Math.floor(index / atlas.columns) / atlas.rows;
  ImGui.Image(atlas.picture.ref, new ImVec2(size, size), new ImVec2(u, v), new ImVec2(u + 1 / atlas.columns, v + 1 / atlas.rows));
}

function drawSamples(ui, app) {
  const s = app.model.samples;
  if (!s) {
    ImGui.TextWrapped('This model has no sample images: upload, draw or photograph one, or drop a folder of labelled images ' +
                      '(one subfolder per class, named after the classes) for the statistics and clusters.');
    return;
  }
  const labels = app.model.labels;
  const categories = app.sampleCategories();
  if (!categories.includes(ui.sampleClass)) ui.sampleClass = categories[0] ?? 0;
  ui.sampleClass = combo('Class##samples', ui.sampleClass, categories, (i) => labels[i]);
  const atlas = sampleAtlas(ui, app);
  const indices = [];
  for (let i = 0; i < s.count && indices.length < 12; ++i) if (s.labels[i] === ui.sampleClass) indices.push(i);
  const size = ui.kiosk ? 72 : 40;
  const style = ImGui.GetStyle();
  const cell = size + 2 * style.FramePadding.x + style.ItemSpacing.x;
  const perRow = Math.max(1, Math.floor((ImGui.GetContentRegionAvail().x + style.ItemSpacing.x) / cell));
  indices.forEach((index, n) => {
    const u = (index % atlas.columns) / atlas.columns, v = Math.floor(index / atlas.columns) / atlas.rows;
    if (n % perRow !== 0) ImGui.SameLine();
    if (ImGui.ImageButton(`sample${index}`, atlas.picture.ref, new ImVec2(size, size), new ImVec2(u, v),
                          new ImVec2(u + 1 / atlas.columns, v + 1 / atlas.rows))) app.useSample(index);
    if (ImGui.IsItemHovered()) ImGui.SetTooltip(`Sample ${index}: ${labels[s.labels[index]]}`);
  });
}

function drawCanvas(ui, app) {
  const d = ui.drawing || (ui.drawing = { strokes: [], active: null, dirty: false, lastSent: 0 });
  const origin = ImGui.GetCursorScreenPos();
  const list = ImGui.GetWindowDrawList();
  ImGui.InvisibleButton('drawing', new ImVec2(DRAW_SIZE, DRAW_SIZE));
  ui.targets.drawing = { x: origin.x, y: origin.y, size: DRAW_SIZE };
  const hovered = ImGui.IsItemHovered(), active = ImGui.IsItemActive();
  list.AddRectFilled(origin, new ImVec2(origin.x + DRAW_SIZE, origin.y + DRAW_SIZE), 0xff000000);
  list.AddRect(origin, new ImVec2(origin.x + DRAW_SIZE, origin.y + DRAW_SIZE), 0xff808080);
  const mouse = ImGui.GetMousePos();
  const point = [mouse.x - origin.x, mouse.y - origin.y];
  if (active) {
    if (!d.active) { d.active = [point]; d.strokes.push(d.active); }
    else {
      const last = d.active[d.active.length - 1];
      if (Math.hypot(point[0] - last[0], point[1] - last[1]) > 1.5) d.active.push(point);
    }
    d.dirty = true;
  } else if (d.active) {
    d.active = null;
    d.dirty = true;
  }
  const thickness = DRAW_SIZE / 12;
  for (const stroke of d.strokes) {
    for (let i = 0; i < stroke.length; ++i) {
      const a = stroke[Math.max(0, i - 1)], b = stroke[i];
      list.AddLine(new ImVec2(origin.x + a[0], origin.y + a[1]), new ImVec2(origin.x + b[0], origin.y + b[1]), 0xffffffff, thickness);
      list.AddCircleFilled(new ImVec2(origin.x + b[0], origin.y + b[1]), thickness / 2, 0xffffffff);
    }
  }
  if (!hovered && !active && d.strokes.length === 0)
    list.AddText(new ImVec2(origin.x + 12, origin.y + DRAW_SIZE / 2 - 8), 0xff909090, 'Draw here with the mouse or a finger');
  // Send the drawing to the model while drawing (at most ~6 times a second) and when a stroke ends.
  const now = performance.now();
  if (d.dirty && d.strokes.length && (!active || now - d.lastSent > 160) && !ui.drawingInFlight) {
    d.dirty = false;
    d.lastSent = now;
    ui.drawingInFlight = true;
    const rgba = rasterize(d.strokes, thickness);
    app.useRgba(rgba, DRAW_SIZE, DRAW_SIZE, 'drawing', 'your drawing').finally(() => { ui.drawingInFlight = false; });
  }
  if (ImGui.Button('Clear drawing')) { d.strokes = []; d.dirty = false; }
}

// White strokes on black, the way MNIST digits are drawn.
function rasterize(strokes, thickness) {
  const canvas = new OffscreenCanvas(DRAW_SIZE, DRAW_SIZE);
  const g = canvas.getContext('2d');
  g.fillStyle = '#000';
  g.fillRect(0, 0, DRAW_SIZE, DRAW_SIZE);
  g.strokeStyle = '#fff';
  g.fillStyle = '#fff';
  g.lineWidth = thickness;
  g.lineCap = 'round';
  g.lineJoin = 'round';
  for (const stroke of strokes) {
    g.beginPath();
    g.moveTo(stroke[0][0], stroke[0][1]);
    for (const [x, y] of stroke.slice(1)) g.lineTo(x, y);
    if (stroke.length === 1) g.arc(stroke[0][0], stroke[0][1], thickness / 2, 0, 2 * Math.PI);
    g.stroke();
  }
  return new Uint8Array(g.getImageData(0, 0, DRAW_SIZE, DRAW_SIZE).data.buffer);
}

function drawCamera(ui, app) {
  const cam = ui.camera;
  if (!cam.stream) {
    const start = ImGui.Button('Start camera');
    rememberItem(ui, 'button:Start camera');
    if (start) ui.startCamera();
    if (cam.error) ImGui.TextColored(new ImVec4(1, 0.5, 0.4, 1), cam.error);
    return;
  }
  const video = cam.video;
  if (video.videoWidth > 0) {
    const pic = cachedPicture(ui, 'camera', performance.now() >> 6, (picture) => {
      const gl = ui.gl;
      gl.bindTexture(gl.TEXTURE_2D, picture.texture);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, video);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      picture.width = video.videoWidth; picture.height = video.videoHeight;
    });
    const w = 224, h = Math.round(224 * video.videoHeight / video.videoWidth);
    image(pic, w, h);
  }
  const take = ImGui.Button('Take picture');
  rememberItem(ui, 'button:Take picture');
  if (take) {
    const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
    const g = canvas.getContext('2d');
    g.drawImage(video, 0, 0);
    const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
    app.useRgba(new Uint8Array(data.buffer), canvas.width, canvas.height, 'camera', 'camera picture');
  }
  ImGui.SameLine();
  if (ImGui.Button('Stop camera')) ui.stopCamera();
}

export function drawInputPanel(ui, app) {
  explain('Give the network a picture. It is shrunk to the size the network was trained on and shown below as the network sees it.');
  if (!app.model) return;
  // Each tab's screen rectangle, for window.neuronlens.layout() (the tests click them).
  const remember = (name) => {
    const a = ImGui.GetItemRectMin(), b = ImGui.GetItemRectMax();
    ui.targets[`tab:${name}`] = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  if (ImGui.BeginTabBar('input-tabs')) {
    const samples = ImGui.BeginTabItem('Samples');
    remember('Samples');
    if (samples) { drawSamples(ui, app); ImGui.EndTabItem(); }
    const upload = ImGui.BeginTabItem('Upload');
    remember('Upload');
    if (upload) {
      if (ImGui.Button('Choose an image file...')) ui.openFilePicker();
      ImGui.TextWrapped('Or drop an image anywhere on the page, or paste one (Ctrl+V). PNG, JPEG, GIF, WebP and BMP work.');
      if (ImGui.Button('Import your own model (ONNX)...')) { app.panels.import = true; app.changed(); }
      ImGui.EndTabItem();
    }
    const draw = ImGui.BeginTabItem('Draw');
    remember('Draw');
    if (draw) { drawCanvas(ui, app); ImGui.EndTabItem(); }
    const camera = ImGui.BeginTabItem('Camera');
    remember('Camera');
    if (camera) { drawCamera(ui, app); ImGui.EndTabItem(); }
    ImGui.EndTabBar();
  }
  const invert = [app.invert];
  if (ImGui.Checkbox('Invert (for dark objects on a light background)', invert)) {
    app.invert = invert[0];
    app.changed();
  }
  ImGui.Separator();
  if (app.input) {
    const pic = cachedPicture(ui, 'input', app.input, (p) => ui.maps.setRgba(p, app.input.rgba, app.input.width, app.input.height));
    const size = ui.kiosk ? 200 : 112;
    image(pic, size, size);
    ImGui.SameLine();
    ImGui.BeginGroup();
    ImGui.TextWrapped(`What the network sees: ${app.input.width} x ${app.input.height}` +
                      `${app.input.channels === 1 ? ' grey' : ' colour'} pixels.`);
    ImGui.TextDisabled(app.input.description || '');
    ImGui.EndGroup();
  } else {
    ImGui.TextDisabled('No image yet.');
  }
}
