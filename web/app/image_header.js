// Reads an image file's header before anything is decoded, so that a file that
// is not an image, is empty, is truncated, or is far too large gets a clear
// message instead of a decoder failure or an out-of-memory crash.
// Classic script (used by the engine worker through importScripts): defines
// self.NeuronLensImageHeader = { inspect(bytes) -> {ok, type, width, height} | {ok:false, message} }.
'use strict';
(function (scope) {
  // Above this many pixels a picture is refused (a 20000 x 20000 image would
  // need 1.6 GB decoded); below it, large pictures are decoded downscaled.
  const MAX_PIXELS = 50e6;
  const MAX_SIDE = 30000;

  const fail = (message) => ({ ok: false, message });
  const u16be = (b, i) => (b[i] << 8) | b[i + 1];
  const u32be = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
  const u16le = (b, i) => b[i] | (b[i + 1] << 8);
  const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
  const i32le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
  const ascii = (b, i, n) => String.fromCharCode(...b.subarray(i, i + n));
  const TRUNCATED = (type) => fail(`This ${type} file is truncated: it ends before the image data does.`);

  function png(b) {
    if (b.length < 33) return TRUNCATED('PNG');
    if (ascii(b, 12, 4) !== 'IHDR') return fail('This PNG file is damaged: its first chunk is not IHDR.');
    const width = u32be(b, 16), height = u32be(b, 20);
    // Walk the chunks to IEND: a cut-off file never reaches it.
    let at = 8;
    while (true) {
      if (at + 8 > b.length) return TRUNCATED('PNG');
      const length = u32be(b, at), type = ascii(b, at + 4, 4);
      at += 12 + length;
      if (at > b.length) return TRUNCATED('PNG');
      if (type === 'IEND') break;
    }
    return { ok: true, type: 'PNG', width, height };
  }

  function jpeg(b) {
    let at = 2, size = null;
    while (at + 4 <= b.length) {
      if (b[at] !== 0xff) return fail('This JPEG file is damaged: a segment marker is missing.');
      const marker = b[at + 1];
      if (marker === 0xff) { ++at; continue; }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; }
      if (marker === 0xd9) break;
      const length = u16be(b, at + 2);
      const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) {
        if (at + 9 > b.length) return TRUNCATED('JPEG');
        size = { height: u16be(b, at + 5), width: u16be(b, at + 7) };
      }
      if (marker === 0xda) break;  // start of scan: the entropy-coded data follows
      at += 2 + length;
    }
    if (!size) return at >= b.length ? TRUNCATED('JPEG') : fail('This JPEG file has no image frame.');
    // A complete JPEG ends with the end-of-image marker (trailing padding allowed).
    let end = b.length;
    while (end > 2 && (b[end - 1] === 0x00 || b[end - 1] === 0x0a || b[end - 1] === 0x0d || b[end - 1] === 0x20)) --end;
    if (!(b[end - 2] === 0xff && b[end - 1] === 0xd9)) return TRUNCATED('JPEG');
    return { ok: true, type: 'JPEG', ...size };
  }

  function gif(b) {
    if (b.length < 14) return TRUNCATED('GIF');
    if (b[b.length - 1] !== 0x3b) return TRUNCATED('GIF');
    return { ok: true, type: 'GIF', width: u16le(b, 6), height: u16le(b, 8) };
  }

  function webp(b) {
    if (b.length < 30) return TRUNCATED('WebP');
    const riffSize = u16le(b, 4) + (u16le(b, 6) << 16) + 8;
    if (riffSize > b.length) return TRUNCATED('WebP');
    const chunk = ascii(b, 12, 4);
    if (chunk === 'VP8 ') return { ok: true, type: 'WebP', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return { ok: true, type: 'WebP', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { ok: true, type: 'WebP', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
    return fail('This WebP file has an unknown layout.');
  }

  function bmp(b) {
    if (b.length < 26) return TRUNCATED('BMP');
    const declared = u16le(b, 2) + (u16le(b, 4) << 16);
    if (declared > b.length) return TRUNCATED('BMP');
    return { ok: true, type: 'BMP', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }

  function inspect(bytes) {
    const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (b.length === 0) return fail('The file is empty (0 bytes).');
    let info;
    if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') info = png(b);
    else if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) info = jpeg(b);
    else if (b.length >= 6 && ascii(b, 0, 4) === 'GIF8') info = gif(b);
    else if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') info = webp(b);
    else if (b.length >= 2 && ascii(b, 0, 2) === 'BM') info = bmp(b);
    else return fail('This file is not an image the app can read (PNG, JPEG, GIF, WebP or BMP).');
    if (!info.ok) return info;
    if (!(info.width > 0 && info.height > 0)) return fail(`This ${info.type} file says its size is ${info.width} x ${info.height} pixels.`);
    if (info.width > MAX_SIDE || info.height > MAX_SIDE || info.width * info.height > MAX_PIXELS)
      return fail(`This ${info.type} image is ${info.width} x ${info.height} pixels ` +
                  `(${(info.width * info.height / 1e6).toFixed(0)} megapixels); the limit is ${MAX_PIXELS / 1e6} megapixels ` +
                  `and ${MAX_SIDE} pixels a side.`);
    return info;
  }

  scope.NeuronLensImageHeader = { inspect, MAX_PIXELS };
})(typeof self !== 'undefined' ? self : globalThis);
