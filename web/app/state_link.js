// The share link: the whole view in the URL fragment, "#s=" + base64url of a
// deflate-compressed JSON object. Drawn or uploaded images travel as model
// pixels (e.g. 784 bytes for a 28 x 28 grey model), so the link rebuilds the
// exact input tensor. A fragment comes from strangers: it is length-limited,
// parsed as data only, and every field is checked and clamped when read.
export const MAX_FRAGMENT_CHARS = 65536;
const VERSION = 1;

function toBase64Url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('the link holds characters that base64url does not use');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function transform(bytes, stream, limit) {
  const piped = new Blob([bytes]).stream().pipeThrough(stream);
  const reader = piped.getReader();
  const chunks = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) { reader.cancel(); throw new Error(`the link's state is larger than ${limit} bytes`); }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify({ v: VERSION, ...state }));
  const packed = await transform(json, new CompressionStream('deflate-raw'), 1 << 20);
  return `s=${toBase64Url(packed)}`;
}

// Returns {ok, state} or {ok: false, message}; never throws.
export async function decodeState(fragment) {
  try {
    let text = String(fragment || '');
    if (text.startsWith('#')) text = text.slice(1);
    if (!text) return { ok: false, message: 'the link holds no state' };
    if (text.length > MAX_FRAGMENT_CHARS) return { ok: false, message: `the link is too long (${text.length} characters, the limit is ${MAX_FRAGMENT_CHARS})` };
    if (!text.startsWith('s=')) return { ok: false, message: 'the link holds no NeuronLens state' };
    const json = await transform(fromBase64Url(text.slice(2)), new DecompressionStream('deflate-raw'), 1 << 20);
    const state = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
    if (!state || typeof state !== 'object' || Array.isArray(state)) return { ok: false, message: 'the link state is not an object' };
    if (state.v !== VERSION) return { ok: false, message: `the link is of version ${state.v}, this app reads version ${VERSION}` };
    return { ok: true, state };
  } catch (e) {
    return { ok: false, message: `the link could not be read: ${e.message}` };
  }
}

// Checked readers for fields of a decoded state.
export const read = {
  int(value, min, max, fallback) {
    return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
  },
  number(value, min, max, fallback) {
    return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : fallback;
  },
  choice(value, choices, fallback) { return choices.includes(value) ? value : fallback; },
  bool(value, fallback) { return typeof value === 'boolean' ? value : fallback; },
  string(value, maxLength, fallback) { return typeof value === 'string' && value.length <= maxLength ? value : fallback; },
  bytes(value, length) {
    if (typeof value !== 'string') return null;
    try {
      const bytes = fromBase64Url(value);
      return bytes.length === length ? bytes : null;
    } catch {
      return null;
    }
  },
  encodeBytes: toBase64Url,
};
