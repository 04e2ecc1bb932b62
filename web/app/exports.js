// Export: any picture as PNG, any table as CSV, results as JSON, as downloads
// made in the page (nothing leaves the machine).
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function pngBlob(rgba, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

export async function downloadPng(name, rgba, width, height) { download(name, await pngBlob(rgba, width, height)); }

function csvCell(v) {
  const s = String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function downloadCsv(name, header, rows) {
  const text = [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
  download(name, new Blob([text], { type: 'text/csv' }));
}

export function downloadJson(name, value) {
  const plain = JSON.stringify(value, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v), 1);
  download(name, new Blob([plain], { type: 'application/json' }));
}
