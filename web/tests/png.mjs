// Minimal PNG writer and reader for the end-to-end tests (8-bit grey, RGB or
// RGBA, no interlacing): test images are made from dataset pixels, and
// screenshots are read back to check they are not blank.
import zlib from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// pixels: Uint8Array [height][width][channels]; channels 1 (grey), 3 or 4.
export function encodePng(pixels, width, height, channels) {
  const colourType = { 1: 0, 3: 2, 4: 6 }[channels];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = colourType;
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; ++y) Buffer.from(pixels.buffer, pixels.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
                        chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A real, valid, enormous grey PNG (all black) without holding it in memory raw.
export function hugePng(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 0;
  const row = Buffer.alloc(width + 1);
  const deflate = zlib.createDeflate({ level: 9 });
  const parts = [];
  deflate.on('data', (d) => parts.push(d));
  for (let y = 0; y < height; ++y) deflate.write(row);
  return new Promise((resolve) => {
    deflate.end(() => resolve(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
                                             chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))])));
  });
}

// Decodes an 8-bit, non-interlaced PNG into RGBA.
export function decodePng(buffer) {
  let at = 8, width = 0, height = 0, colourType = 0;
  const idat = [];
  while (at < buffer.length) {
    const length = buffer.readUInt32BE(at), type = buffer.toString('ascii', at + 4, at + 8);
    const data = buffer.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') { width = data.readUInt32BE(0); height = data.readUInt32BE(4); colourType = data[9]; }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType];
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; ++y) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; ++x) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      out[y * stride + x] = v & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; ++i) {
    const g = (k) => out[i * channels + (channels >= 3 ? k : 0)];
    rgba[i * 4] = g(0); rgba[i * 4 + 1] = g(1); rgba[i * 4 + 2] = g(2); rgba[i * 4 + 3] = channels === 4 ? out[i * 4 + 3] : 255;
  }
  return { width, height, rgba };
}

// Not blank: the picture has many distinct colours and real contrast.
export function pictureStats(png) {
  const { width, height, rgba } = decodePng(png);
  const colours = new Set();
  let sum = 0, sq = 0;
  const n = width * height;
  for (let i = 0; i < n; i += 7) {
    colours.add((rgba[i * 4] << 16) | (rgba[i * 4 + 1] << 8) | rgba[i * 4 + 2]);
    const l = (rgba[i * 4] + rgba[i * 4 + 1] + rgba[i * 4 + 2]) / 3;
    sum += l; sq += l * l;
  }
  const m = Math.ceil(n / 7);
  return { width, height, colours: colours.size, stddev: Math.sqrt(Math.max(0, sq / m - (sum / m) ** 2)) };
}
