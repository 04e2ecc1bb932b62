// Draws the app's pictures with the GLSL programs in shaders/: float maps
// through a colour map (activation maps, grids, heatmaps) and focus overlays
// over the input image, each into an RGBA texture that ImGui shows through
// ImGuiImplWeb.RegisterTexture. Rendering happens between ImGui frames on
// jsimgui's own WebGL2 context; the state ImGui's renderer relies on
// (framebuffer, viewport, blending, scissor) is restored afterwards.
import { ImGuiImplWeb } from '../node_modules/@mori2003/jsimgui/build/mod.js';

async function loadShaderSources(base) {
  const names = ['quad.vert.glsl', 'colormap.glsl', 'map.frag.glsl', 'overlay.frag.glsl'];
  const texts = await Promise.all(names.map(async (n) => {
    const r = await fetch(new URL(n, base));
    if (!r.ok) throw new Error(`shader ${n}: ${r.status}`);
    return r.text();
  }));
  return Object.fromEntries(names.map((n, i) => [n, texts[i]]));
}

// A texture ImGui can draw, updated in place when its picture changes.
export class Picture {
  constructor(gl) {
    this.gl = gl;
    this.texture = gl.createTexture();
    this.ref = ImGuiImplWeb.RegisterTexture(this.texture);
    this.width = 0;
    this.height = 0;
    this.version = 0;  // bumped on every update, for callers caching by content
  }
}

export class MapRenderer {
  static async create(gl, shaderBase) {
    const sources = await loadShaderSources(shaderBase);
    return new MapRenderer(gl, sources);
  }

  constructor(gl, sources) {
    this.gl = gl;
    const withColormap = (text) => text.replace('#include colormap', sources['colormap.glsl']);
    this.mapProgram = this.program(sources['quad.vert.glsl'], withColormap(sources['map.frag.glsl']));
    this.overlayProgram = this.program(sources['quad.vert.glsl'], withColormap(sources['overlay.frag.glsl']));
    this.framebuffer = gl.createFramebuffer();
    this.vao = gl.createVertexArray();
    this.valueTexture = gl.createTexture();
    this.imageTexture = gl.createTexture();
    this.floatLinear = !!gl.getExtension('OES_texture_float_linear');
  }

  program(vertexSource, fragmentSource) {
    const gl = this.gl;
    const compile = (type, source) => {
      const shader = gl.createShader(type);
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(shader)}`);
      return shader;
    };
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, vertexSource));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragmentSource));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`shader link: ${gl.getProgramInfoLog(program)}`);
    return program;
  }

  upload(texture, width, height, internalFormat, format, type, data, filter) {
    const gl = this.gl;
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, internalFormat, width, height, 0, format, type, data);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  }

  // An RGBA picture shown as it is, with crisp pixels.
  setRgba(picture, rgba, width, height) {
    const gl = this.gl;
    this.upload(picture.texture, width, height, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, rgba, gl.NEAREST);
    picture.width = width;
    picture.height = height;
    picture.version++;
  }

  // Runs `program` into picture's texture (outWidth x outHeight), then restores state.
  renderInto(picture, outWidth, outHeight, program, setUniforms) {
    const gl = this.gl;
    const savedViewport = gl.getParameter(gl.VIEWPORT);
    const blend = gl.isEnabled(gl.BLEND), scissor = gl.isEnabled(gl.SCISSOR_TEST);
    const savedProgram = gl.getParameter(gl.CURRENT_PROGRAM);
    const savedVao = gl.getParameter(gl.VERTEX_ARRAY_BINDING);
    const savedActive = gl.getParameter(gl.ACTIVE_TEXTURE);

    gl.bindTexture(gl.TEXTURE_2D, picture.texture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, outWidth, outHeight, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, picture.texture, 0);
    gl.viewport(0, 0, outWidth, outHeight);
    gl.disable(gl.BLEND);
    gl.disable(gl.SCISSOR_TEST);
    gl.useProgram(program);
    gl.bindVertexArray(this.vao);
    setUniforms(gl);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);

    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.viewport(savedViewport[0], savedViewport[1], savedViewport[2], savedViewport[3]);
    if (blend) gl.enable(gl.BLEND);
    if (scissor) gl.enable(gl.SCISSOR_TEST);
    gl.useProgram(savedProgram);
    gl.bindVertexArray(savedVao);
    gl.activeTexture(savedActive);
    picture.width = outWidth;
    picture.height = outHeight;
    picture.version++;
  }

  // values: Float32Array [height x width]; options: {min, max, diverging, scale}
  colorize(picture, values, width, height, { min, max, diverging = false, scale = 1 } = {}) {
    const gl = this.gl;
    if (min === undefined || max === undefined) {
      let lo = Infinity, hi = -Infinity;
      for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
      if (diverging) { hi = Math.max(Math.abs(lo), Math.abs(hi)); lo = -hi; }
      min = min ?? lo;
      max = max ?? hi;
    }
    gl.activeTexture(gl.TEXTURE0);
    this.upload(this.valueTexture, width, height, gl.R32F, gl.RED, gl.FLOAT, values, gl.NEAREST);
    this.renderInto(picture, width * scale, height * scale, this.mapProgram, (g) => {
      g.activeTexture(g.TEXTURE0);
      g.bindTexture(g.TEXTURE_2D, this.valueTexture);
      g.uniform1i(g.getUniformLocation(this.mapProgram, 'uValues'), 0);
      g.uniform1f(g.getUniformLocation(this.mapProgram, 'uMin'), min);
      g.uniform1f(g.getUniformLocation(this.mapProgram, 'uMax'), max);
      g.uniform1i(g.getUniformLocation(this.mapProgram, 'uDiverging'), diverging ? 1 : 0);
    });
  }

  // The focus map (Float32Array [mapHeight x mapWidth]) over the input picture (RGBA bytes).
  overlay(picture, rgba, width, height, values, mapWidth, mapHeight, { opacity = 0.75, scale = 8 } = {}) {
    const gl = this.gl;
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    gl.activeTexture(gl.TEXTURE0);
    this.upload(this.valueTexture, mapWidth, mapHeight, gl.R32F, gl.RED, gl.FLOAT, values,
                this.floatLinear ? gl.LINEAR : gl.NEAREST);
    gl.activeTexture(gl.TEXTURE1);
    this.upload(this.imageTexture, width, height, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, rgba, gl.LINEAR);
    this.renderInto(picture, width * scale, height * scale, this.overlayProgram, (g) => {
      g.activeTexture(g.TEXTURE0);
      g.bindTexture(g.TEXTURE_2D, this.valueTexture);
      g.activeTexture(g.TEXTURE1);
      g.bindTexture(g.TEXTURE_2D, this.imageTexture);
      g.uniform1i(g.getUniformLocation(this.overlayProgram, 'uValues'), 0);
      g.uniform1i(g.getUniformLocation(this.overlayProgram, 'uImage'), 1);
      g.uniform1f(g.getUniformLocation(this.overlayProgram, 'uMin'), lo);
      g.uniform1f(g.getUniformLocation(this.overlayProgram, 'uMax'), hi);
      g.uniform1f(g.getUniformLocation(this.overlayProgram, 'uOpacity'), opacity);
    });
    gl.activeTexture(gl.TEXTURE0);
  }

  // The picture's pixels, top row first (for PNG export).
  read(picture) {
    const gl = this.gl;
    const { width, height } = picture;
    const pixels = new Uint8Array(width * height * 4);
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, picture.texture, 0);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return { width, height, rgba: pixels };
  }
}
