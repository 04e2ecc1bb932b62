// The service worker (served as /sw.js so its scope is the whole app):
// - offline: at install it caches every file of the app that
//   build/app/precache.json lists (web/tools/build_app_data.mjs writes it: the
//   modules, jsimgui, both engine builds, shaders, models, samples), since the
//   page loads most of them before the worker controls it; afterwards every
//   same-origin GET is answered from the network when it can be and stored in
//   the cache; without a network the cached copy answers, so after the first
//   visit the app works offline;
// - isolation: it adds Cross-Origin-Opener-Policy and -Embedder-Policy to the
//   responses it serves, so the page is cross-origin isolated (and the
//   threaded engine runs) even on a static host that cannot set headers.
const CACHE = 'neuronlens-v1';

// Each file on its own: one missing file (a build not made) must not leave the others
// uncached. Four at a time, so the page, loading the same files meanwhile, keeps
// connections (and a file it has fetched comes from the HTTP cache).
async function precache() {
  const cache = await caches.open(CACHE);
  let files = ['./', 'index.html', 'build/app/models.json'];
  try {
    const listed = await (await fetch('build/app/precache.json', { cache: 'no-cache' })).json();
    files = [...new Set([...files, ...listed.files])];
  } catch (error) {
    console.warn('[neuronlens] service worker: no precache list:', error.message);
  }
  const failed = [];
  const queue = [...files];
  const fetcher = async () => {
    for (let file; (file = queue.shift()) !== undefined;) {
      try {
        const response = await fetch(file);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        await cache.put(file, response);
      } catch (error) {
        failed.push(`${file} (${error.message})`);
      }
    }
  };
  await Promise.all([fetcher(), fetcher(), fetcher(), fetcher()]);
  if (failed.length) console.warn(`[neuronlens] service worker: not cached for offline use: ${failed.join(', ')}`);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().catch(() => {}).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

function isolated(response) {
  if (!response || response.status === 0 || response.type === 'opaque') return response;
  const headers = new Headers(response.headers);
  // The body is already decoded: its encoding and length no longer apply.
  headers.delete('Content-Encoding');
  headers.delete('Content-Length');
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function answer(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
    return isolated(response);
  } catch (error) {
    const cached = await cache.match(request) ||
      (request.mode === 'navigate' ? await cache.match(request, { ignoreSearch: true }) || await cache.match('index.html') : null);
    if (cached) return isolated(cached);
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(answer(event.request));
});
