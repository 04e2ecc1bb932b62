// Shared by the JavaScript peers of `tools/bench peers` (tfjs_bench.mjs, ort_bench.mjs):
// command-line options, NumPy .npy files (float32, C order) and timing.
import fs from 'node:fs';

// --name value pairs after the positional MODELS_DIR.
export function parseArgs(argv, defaults) {
  const options = {...defaults, positional: []};
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i].startsWith('--')) options[argv[i].slice(2)] = argv[++i];
    else options.positional.push(argv[i]);
  }
  return options;
}

export function readNpy(path) {
  const bytes = fs.readFileSync(path);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not an .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = bytes.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True"))
    throw new Error(`${path}: expected little-endian float32 in C order, header ${header}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
  return {shape, data};
}

export function writeNpy(path, shape, values) {
  const data = Float32Array.from(values);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64) header += ' ';
  header += '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1; prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

// Warm-up (at least `warmup` calls and at least 1 s, as every engine of tools/bench peers
// does, so that V8 has tiered the code up), then `runs` timed calls of an async or sync fn;
// median and minimum in ms.
export async function timeRuns(fn, runs, warmup) {
  const warmStart = process.hrtime.bigint();
  for (let i = 0; i < warmup || Number(process.hrtime.bigint() - warmStart) < 1e9; ++i) await fn();
  const ms = [];
  for (let i = 0; i < runs; ++i) {
    const start = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const n = ms.length;
  return {median_ms: n % 2 ? ms[(n - 1) / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]), min_ms: ms[0]};
}

export function printResult(r) {
  for (const k of ['median_ms', 'min_ms']) r[k] = Math.round(r[k] * 1e4) / 1e4;
  console.log(JSON.stringify(r));
}
