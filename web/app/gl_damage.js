// Redraws only the part of the screen that changed since the last frame.
// With a software GPU (SwiftShader, where Chromium's GPU process rasterises
// every pixel on the CPU) the UI's cost is its pixels, not its JavaScript: a
// frame of the full UI took 58-105 ms of GPU-process CPU (web/README.md,
// "Speed"). Most frames change little or nothing (a hover, a progress bar, a
// visualization picture), so each frame's WebGL calls from Dear ImGui's
// OpenGL3 renderer are recorded instead of sent, their draws compared with the
// previous frame's, and the calls are then replayed with each draw's scissor
// cut to the damaged rectangles (the screen rectangles of the draws that
// changed, before and after, merged into a few disjoint ones), after clearing
// those. Elsewhere the canvas keeps the previous frame's pixels
// (preserveDrawingBuffer), which are those the full frame would draw there: the
// draws there are the same, in the same order, on the same picture. Inside a
// rectangle, every draw that meets it is replayed, in order. A frame with no changed draw sends
// no draw at all, and the canvas keeps showing the (up-to-date) picture.
//
// A draw is "the same" when its texture (and that texture's content: every
// upload, parameter change or render into it counts as a change), its scissor
// box and the bytes of every vertex it uses (position, UV, colour, in index
// order) are. Its screen rectangle is its vertices' bounding box (through the
// projection and viewport the renderer sets) cut by its scissor, plus a pixel.
// Anything not understood (another kind of draw, a resized canvas, unaligned
// buffers) redraws the whole frame.

// Calls that answer something run at once, also while recording; their answers
// are right because Dear ImGui's renderer asks (to save the GL state) before it
// changes anything, and the state it saves is the state before the frame.
const IMMEDIATE = /^(get|is|create|check|read|finish|flush|fenceSync|clientWaitSync|makeXRCompatible)/;
const SMALL_COPY_BYTES = 1024;  // typed-array arguments up to this size are copied when recorded (Emscripten reuses them)

export class DamageRenderer {
  constructor(gl) {
    this.gl = gl;
    this.recording = false;
    this.replaying = false;
    this.calls = [];              // [function, args] recorded this frame
    this.textureIds = new WeakMap();
    this.textureVersions = new WeakMap();
    this.nextTextureId = 1;
    this.framebufferTexture = new WeakMap();  // framebuffer -> texture attached as colour 0
    this.bound = { unit: 0, textures: [], framebuffer: null };
    this.previous = null;         // {keys: Int32Array (2 per draw), rects: Int32Array (4 per draw), width, height}
    this.forceFull = true;
    this.alwaysFull = false;
    this.checks = null;           // checkFrames() in progress
    this.stats = { full: 0, partial: 0, unchanged: 0, damagedPixels: 0, screenPixels: 0 };
    this.wrap();
  }

  // Wraps every GL function of this context: recorded while recording, and
  // watched at all times for changes to texture contents.
  wrap() {
    const gl = this.gl, self = this;
    const names = [];
    for (const key in gl) if (typeof gl[key] === 'function' && !IMMEDIATE.test(key)) names.push(key);
    this.direct = {};
    for (const name of names) {
      const original = gl[name];
      const direct = (...args) => { self.watch(name, args); return original.apply(gl, args); };
      this.direct[name] = direct;
      gl[name] = (...args) => {
        if (!self.recording) return direct(...args);
        self.calls.push([name, args.map(copySmall)]);
        return undefined;
      };
    }
  }

  textureId(texture) {
    let id = this.textureIds.get(texture);
    if (!id) { id = this.nextTextureId++; this.textureIds.set(texture, id); }
    return id;
  }

  touchTexture(texture) {
    if (texture) this.textureVersions.set(texture, (this.textureVersions.get(texture) || 0) + 1);
  }

  // Keeps track of which texture each call changes (while replaying, the
  // frame's own changes were counted when it was analysed).
  watch(name, args) {
    const b = this.bound, gl = this.gl;
    switch (name) {
      case 'activeTexture': b.unit = args[0] - gl.TEXTURE0; break;
      case 'bindTexture': if (args[0] === gl.TEXTURE_2D) b.textures[b.unit] = args[1]; break;
      case 'bindFramebuffer': if (args[0] === gl.FRAMEBUFFER || args[0] === gl.DRAW_FRAMEBUFFER) b.framebuffer = args[1]; break;
      case 'framebufferTexture2D': if (b.framebuffer && args[1] === gl.COLOR_ATTACHMENT0) this.framebufferTexture.set(b.framebuffer, args[3]); break;
      case 'texImage2D': case 'texSubImage2D': case 'texStorage2D': case 'copyTexImage2D': case 'copyTexSubImage2D':
      case 'generateMipmap': case 'texParameteri': case 'texParameterf':
        if (!this.replaying) this.touchTexture(b.textures[b.unit]);
        break;
      case 'drawArrays': case 'drawElements': case 'clear': case 'blitFramebuffer': case 'drawArraysInstanced': case 'drawElementsInstanced':
        if (b.framebuffer) this.touchTexture(this.framebufferTexture.get(b.framebuffer));
        break;
      case 'deleteTexture': this.textureVersions.delete(args[0]); break;
    }
  }

  // Runs render() (Dear ImGui's Render and RenderDrawData) and sends its GL calls
  // for what changed. Returns 'full', 'partial' or 'unchanged'.
  render(render, width, height) {
    this.calls.length = 0;
    this.recording = true;
    try {
      render();
    } catch (e) {
      // What was recorded is sent as it is (GL objects made and freed stay paired).
      this.recording = false;
      this.replay([[0, 0, width, height]], null);
      this.forceFull = true;
      throw e;
    } finally {
      this.recording = false;
    }
    let frame = null;
    try { frame = this.analyse(width, height); } catch { frame = null; }
    let damage = [[0, 0, width, height]], kind = 'full';
    if (frame && !this.forceFull && this.previous && this.previous.width === width && this.previous.height === height) {
      damage = diff(this.previous, frame, width, height);
      const pixels = damage.reduce((sum, r) => sum + area(r), 0);
      kind = !damage.length ? 'unchanged' : (pixels >= width * height ? 'full' : 'partial');
    }
    this.forceFull = !frame || this.alwaysFull;
    this.previous = frame;
    this.replay(damage, frame);
    if (this.checks) this.check(kind, damage, frame, width, height);
    this.stats[kind]++;
    this.stats.damagedPixels += damage.reduce((sum, r) => sum + area(r), 0);
    this.stats.screenPixels += width * height;
    return kind;
  }

  // For the tests: checks the next `frames` frames, resolving with one result per frame
  // ({kind, damage, differing}: the pixels where what this frame left on the canvas
  // differs from the same frame drawn whole, drawn right after it).
  checkFrames(frames) {
    return new Promise((resolve) => { this.checks = { left: frames, results: [], resolve }; });
  }

  check(kind, damage, frame, width, height) {
    const gl = this.gl, size = width * height * 4;
    const left = new Uint8Array(size), whole = new Uint8Array(size);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, left);
    this.replay([[0, 0, width, height]], frame);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, whole);
    let differing = 0;
    for (let i = 0; i < size; i += 4)
      if (left[i] !== whole[i] || left[i + 1] !== whole[i + 1] || left[i + 2] !== whole[i + 2]) ++differing;
    const c = this.checks;
    c.results.push({ kind, damage, differing });
    if (--c.left <= 0) { this.checks = null; c.resolve(c.results); }
  }

  // The next frame is drawn whole (the tests compare it with what partial frames drew);
  // always: every frame, until called again with false (the tests' reference rate).
  redrawAll(always = false) { this.forceFull = true; this.alwaysFull = always; }

  // Walks the recorded calls as GL would: each draw's key and screen rectangle.
  analyse(width, height) {
    const gl = this.gl;
    let unit = 0, viewport = [0, 0, width, height], matrix = null, scissor = [0, 0, width, height];
    const textures = [], buffers = {};
    const keys = [], rects = [];
    for (let i = 0; i < this.calls.length; ++i) {
      const [name, args] = this.calls[i];
      switch (name) {
        case 'activeTexture': unit = args[0] - gl.TEXTURE0; break;
        case 'bindTexture': if (args[0] === gl.TEXTURE_2D) textures[unit] = args[1]; break;
        case 'texImage2D': case 'texSubImage2D': case 'texStorage2D': case 'generateMipmap': case 'texParameteri': case 'texParameterf':
          this.touchTexture(textures[unit]); break;
        case 'viewport': viewport = args.slice(0, 4); break;
        case 'scissor': scissor = args.slice(0, 4); break;
        case 'uniformMatrix4fv': matrix = typedArgument(args[2], args[3], 16, Float32Array); break;
        case 'bufferData': buffers[args[0]] = typedArgument(args[1], args[3], args[4], Uint8Array); break;
        case 'bufferSubData': return null;
        case 'drawElements': {
          if (args[0] !== gl.TRIANGLES || !matrix || !buffers[gl.ARRAY_BUFFER] || !buffers[gl.ELEMENT_ARRAY_BUFFER]) return null;
          const texture = textures[0] || null;
          const draw = describeDraw(buffers[gl.ARRAY_BUFFER], buffers[gl.ELEMENT_ARRAY_BUFFER], args[1], args[2], args[3],
                                    matrix, viewport, scissor,
                                    texture ? this.textureId(texture) : 0, texture ? (this.textureVersions.get(texture) || 0) : 0);
          if (!draw) return null;
          keys.push(draw.h1, draw.h2);
          rects.push(...draw.rect);
          break;
        }
        case 'drawArrays': case 'drawArraysInstanced': case 'drawElementsInstanced': case 'drawRangeElements': case 'clear':
          return null;
      }
    }
    return { keys: Int32Array.from(keys), rects: Int32Array.from(rects), width, height };
  }

  // Sends the recorded calls, each draw once per damaged rectangle it meets, scissored
  // to it, after clearing those rectangles (disjoint, so each pixel is drawn in order).
  // No rectangle: no draw at all.
  replay(damage, frame) {
    const gl = this.gl, d = this.direct;
    this.replaying = true;
    try {
      let drawIndex = 0, scissor = null;
      if (damage.length) {
        d.enable(gl.SCISSOR_TEST);
        d.clearColor(0, 0, 0, 1);
        for (const r of damage) { d.scissor(...r); d.clear(gl.COLOR_BUFFER_BIT); }
      }
      for (const [name, args] of this.calls) {
        if (name === 'scissor') { scissor = args; continue; }
        if (name === 'drawElements' || name === 'drawArrays') {
          const rect = frame ? frame.rects.subarray(4 * drawIndex, 4 * drawIndex + 4) : null;
          ++drawIndex;
          for (const r of damage) {
            if (rect && !intersects(rect, r)) continue;
            const box = scissor ? intersection(scissor, r) : r;
            if (!box) continue;
            d.scissor(...box);
            d[name](...args);
          }
          continue;
        }
        d[name](...args);
      }
      // The last scissor box the renderer set (its saved one, restored).
      if (scissor) d.scissor(...scissor);
    } finally {
      this.replaying = false;
    }
  }
}

function copySmall(value) {
  return ArrayBuffer.isView(value) && value.byteLength <= SMALL_COPY_BYTES ? value.slice() : value;
}

// A typed-array argument as WebGL2 reads it: (view, srcOffset in elements, length in elements).
function typedArgument(view, offset, length, Type) {
  if (!ArrayBuffer.isView(view)) return null;
  const start = view.byteOffset + (offset || 0) * view.BYTES_PER_ELEMENT;
  const bytes = length ? length * view.BYTES_PER_ELEMENT : view.byteLength - (offset || 0) * view.BYTES_PER_ELEMENT;
  if (start % Type.BYTES_PER_ELEMENT) return null;
  return new Type(view.buffer, start, Math.floor(bytes / Type.BYTES_PER_ELEMENT));
}

// One of Dear ImGui's draws (20-byte vertices: position, UV, colour; 16- or 32-bit
// indices): two hashes of what it draws, and its rectangle in framebuffer pixels.
function describeDraw(vertexBytes, indexBytes, count, type, offset, matrix, viewport, scissor, textureId, textureVersion) {
  if (vertexBytes.byteOffset % 4) return null;
  const words = new Uint32Array(vertexBytes.buffer, vertexBytes.byteOffset, Math.floor(vertexBytes.byteLength / 4));
  const floats = new Float32Array(vertexBytes.buffer, vertexBytes.byteOffset, words.length);
  const size = type === 0x1405 ? 4 : 2;
  const start = indexBytes.byteOffset + offset;
  if (start % size || offset + count * size > indexBytes.byteLength) return null;
  const indices = size === 4 ? new Uint32Array(indexBytes.buffer, start, count) : new Uint16Array(indexBytes.buffer, start, count);
  let h1 = 0x811c9dc5 ^ textureId, h2 = 0x9e3779b9 ^ Math.imul(textureVersion + 1, 0x85ebca6b);
  for (const v of [textureVersion, scissor[0], scissor[1], scissor[2], scissor[3], count]) {
    h1 = Math.imul(h1 ^ v, 0x01000193); h2 = Math.imul(h2 ^ v, 0xc2b2ae35) ^ (h2 >>> 15);
  }
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < count; ++i) {
    const base = indices[i] * 5;
    if (base + 5 > words.length) return null;
    for (let k = 0; k < 5; ++k) {
      const w = words[base + k];
      h1 = Math.imul(h1 ^ w, 0x01000193);
      h2 = Math.imul(h2 ^ w, 0xc2b2ae35) ^ (h2 >>> 15);
    }
    const x = floats[base], y = floats[base + 1];
    if (x < minX) minX = x; if (x > maxX) maxX = x;
    if (y < minY) minY = y; if (y > maxY) maxY = y;
  }
  // Display coordinates -> clip space (the renderer's orthographic matrix) -> framebuffer pixels.
  const fx = (x) => viewport[0] + (matrix[0] * x + matrix[12] + 1) / 2 * viewport[2];
  const fy = (y) => viewport[1] + (matrix[5] * y + matrix[13] + 1) / 2 * viewport[3];
  const xs = [fx(minX), fx(maxX)], ys = [fy(minY), fy(maxY)];
  let rect = [Math.floor(Math.min(...xs)) - 1, Math.floor(Math.min(...ys)) - 1, 0, 0];
  rect[2] = Math.ceil(Math.max(...xs)) + 1 - rect[0];
  rect[3] = Math.ceil(Math.max(...ys)) + 1 - rect[1];
  if (!Number.isFinite(rect[2]) || !Number.isFinite(rect[3])) rect = [0, 0, 0, 0];
  rect = intersection(rect, scissor) || [0, 0, 0, 0];
  return { h1: h1 | 0, h2: h2 | 0, rect };
}

function intersection(a, b) {
  const x0 = Math.max(a[0], b[0]), y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]), y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : null;
}

function intersects(a, b) { return a[2] > 0 && a[3] > 0 && !!intersection(a, b); }

// The rectangles of the draws that differ between two frames, merged into a few
// disjoint ones (empty: nothing changed). Same number of draws: compared pair by
// pair; otherwise everything between the common beginning and the common end differs.
function diff(before, after, width, height) {
  const nb = before.keys.length / 2, na = after.keys.length / 2;
  const same = (i, j) => before.keys[2 * i] === after.keys[2 * j] && before.keys[2 * i + 1] === after.keys[2 * j + 1];
  const changed = [];
  const add = (rects, i) => {
    const r = intersection(rects.subarray(4 * i, 4 * i + 4), [0, 0, width, height]);
    if (r) changed.push(r);
  };
  if (nb === na) {
    for (let i = 0; i < na; ++i) if (!same(i, i)) { add(before.rects, i); add(after.rects, i); }
  } else {
    let prefix = 0;
    while (prefix < nb && prefix < na && same(prefix, prefix)) ++prefix;
    let suffix = 0;
    while (suffix < nb - prefix && suffix < na - prefix && same(nb - 1 - suffix, na - 1 - suffix)) ++suffix;
    for (let i = prefix; i < nb - suffix; ++i) add(before.rects, i);
    for (let i = prefix; i < na - suffix; ++i) add(after.rects, i);
  }
  return mergeRects(changed);
}

const MAX_RECTS = 6;
const area = (r) => r[2] * r[3];
function union(a, b) {
  const x0 = Math.min(a[0], b[0]), y0 = Math.min(a[1], b[1]);
  return [x0, y0, Math.max(a[0] + a[2], b[0] + b[2]) - x0, Math.max(a[1] + a[3], b[1] + b[3]) - y0];
}

// Merges rectangles until none overlap (so each pixel is redrawn once, in order),
// merging also those whose union costs no more pixels than the two, and then the
// cheapest pairs while there are more than MAX_RECTS.
export function mergeRects(list) {
  list = list.map((r) => r.slice());
  for (;;) {
    let merged = false;
    for (let i = 0; i < list.length && !merged; ++i)
      for (let j = i + 1; j < list.length; ++j) {
        const u = union(list[i], list[j]);
        if (intersection(list[i], list[j]) || area(u) <= area(list[i]) + area(list[j])) {
          list[i] = u; list.splice(j, 1); merged = true; break;
        }
      }
    if (merged) continue;
    if (list.length <= MAX_RECTS) return list;
    let best = null, bestCost = Infinity;
    for (let i = 0; i < list.length; ++i)
      for (let j = i + 1; j < list.length; ++j) {
        const cost = area(union(list[i], list[j])) - area(list[i]) - area(list[j]);
        if (cost < bestCost) { bestCost = cost; best = [i, j]; }
      }
    list[best[0]] = union(list[best[0]], list[best[1]]);
    list.splice(best[1], 1);
  }
}
