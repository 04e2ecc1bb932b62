// A small static file server for the app: serves the repository root on
// 127.0.0.1 with Cross-Origin-Opener/Embedder-Policy headers, so the page is
// cross-origin isolated and the threaded wasm build can use SharedArrayBuffer.
// Responses are gzip'd when the client accepts it (kept in memory per file
// version); /sw.js is the service worker web/sw.js, served at the root so its
// scope covers the app. JavaScript is sent with a Content-Security-Policy that
// applies to workers (the engine worker runs without eval of strings).
// Usage: node web/serve.mjs [--port 8080] [--root DIR] [--no-isolation]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(option('--port', '8080'));
const root = path.resolve(option('--root', process.cwd()));
const isolate = !args.includes('--no-isolation');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.css': 'text/css', '.glsl': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json', '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream', '.svg': 'image/svg+xml', '.md': 'text/plain; charset=utf-8',
  '.idx': 'application/octet-stream',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.wasm', '.json', '.css', '.glsl', '.safetensors', '.idx', '.md', '.svg']);
const WORKER_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob: data:";
const gzipCache = new Map();  // file -> {mtimeMs, size, data}

function gzipped(file, stat) {
  const hit = gzipCache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.data;
  const data = zlib.gzipSync(fs.readFileSync(file), { level: 6 });
  gzipCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, data });
  return data;
}

const server = http.createServer((req, res) => {
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end('bad request');
    return;
  }
  if (urlPath.endsWith('/')) urlPath += 'index.html';
  const serviceWorker = urlPath === '/sw.js';
  const file = path.join(root, serviceWorker ? '/web/sw.js' : urlPath);
  // Never serve anything outside the root.
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const ext = path.extname(file);
    const headers = {
      'Content-Type': TYPES[ext] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
    };
    if (isolate) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (ext === '.js') headers['Content-Security-Policy'] = WORKER_CSP;
    if (serviceWorker) headers['Service-Worker-Allowed'] = '/';
    // A validator, so a revalidation (Cache-Control: no-cache) of an unchanged file is a 304:
    // the service worker's precache then reuses what the page has just downloaded.
    headers.ETag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    if (req.headers['if-none-match'] === headers.ETag) {
      res.writeHead(304, headers).end();
      return;
    }
    const gzip = COMPRESSIBLE.has(ext) && /\bgzip\b/.test(req.headers['accept-encoding'] || '');
    if (gzip) {
      const data = gzipped(file, stat);
      res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': data.length, Vary: 'Accept-Encoding' });
      res.end(req.method === 'HEAD' ? undefined : data);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': stat.size });
    if (req.method === 'HEAD') { res.end(); return; }
    fs.createReadStream(file).pipe(res);
  });
});
server.listen(port, '127.0.0.1');
