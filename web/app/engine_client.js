// The UI thread's handle on the engine worker (engine_worker.js): promises for
// requests, progress callbacks for jobs, and a count of what is in flight so
// the UI (and window.neuronlens.idle()) knows when the engine is busy.
export class EngineClient {
  constructor() {
    this.worker = new Worker(new URL('./engine_worker.js', import.meta.url));
    this.nextId = 1;
    this.pending = new Map();  // id -> {resolve, reject, onProgress, job}
    this.idleWaiters = [];
    this.worker.onmessage = (event) => this.receive(event.data);
    this.worker.onerror = (event) => {
      const error = new Error(`the engine worker failed: ${event.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.notifyIdle();
    };
  }

  receive(message) {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (message.type === 'progress') {
      entry.onProgress?.(message.report);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) entry.resolve(message.result);
    else {
      const error = new Error(message.message);
      error.cancelled = !!message.cancelled;
      entry.reject(error);
    }
    this.notifyIdle();
  }

  request(op, args = {}, { onProgress, transfer = [], job = false } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress, job });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  call(fn, ...args) { return this.request('call', { fn, args }); }

  // Runs a job in a slot ('viz' or 'bg'); a new job in a slot cancels the old one.
  job(slot, kind, options, onProgress) {
    return this.request('job', { slot, kind, options }, { onProgress, job: slot });
  }

  cancel(slot) { return this.request('cancel', { slot }); }

  // The worker rests restMs after each job slice (frame_guard.js); no reply, so never busy.
  pace(restMs) { this.worker.postMessage({ op: 'pace', args: { restMs } }); }

  busy() { return this.pending.size > 0; }
  jobRunning(slot) { for (const p of this.pending.values()) if (p.job === slot) return true; return false; }

  idle() {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  notifyIdle() {
    if (this.busy()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
