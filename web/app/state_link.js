// The share link: the whole view in the URL fragment, "#s=" + base64url of a
// deflate-compressed JSON object. Drawn or uploaded images travel as model
// pixels (e.g. 784 bytes for a 28 x 28 grey model), so the link rebuilds the
// exact input tensor. A fragment comes from strangers: the engine parses it
// (src/link/link_state.h, fuzzed natively): length limit, known keys only,
// types and ranges, and gives back the state in a canonical form, or a
// message saying what is wrong. This file only carries the calls; the
// readers below check what depends on the model (a neuron below its layer's
// channel count, pixels of the input's size).

// Resolves to the fragment "s=..." (no '#'); rejects with the engine's reason.
export async function encodeState(engine, state) {
  const result = await engine.call('encodeLinkState', JSON.stringify(state));
  return result.fragment;
}

// Returns {ok, state} or {ok: false, message}; never throws.
export async function decodeState(engine, fragment) {
  try {
    const result = await engine.call('decodeLinkFragment', String(fragment || ''));
    return { ok: true, state: JSON.parse(result.state) };
  } catch (e) {
    return { ok: false, message: e.message };
  }
}

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

// Readers for fields of a decoded state whose valid range depends on the model.
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
