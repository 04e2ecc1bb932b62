// Keeps the interface drawing while the engine works. On a machine with few
// cores and no GPU (software GL), the engine's worker and the browser's drawing
// share the same cores: a live visualization running flat out left the UI at
// 28-30 frames per second in headless Chromium on 2 cores (web/README.md,
// "Speed"). The guard counts the frames the UI shows while a job runs and, when
// they fall below `low` per second, asks the worker to rest a few milliseconds
// after each of its time slices (at most `maxRestMs`), giving that time to the
// drawing; above `high` per second it gives the time back, a millisecond per
// window. On a machine that keeps up the rest stays 0: jobs run at full speed.
// The rest persists between jobs (the machine stays what it is) and drops to 0
// while the page is hidden (no frames are drawn then, so there is nothing to guard).
export class FrameGuard {
  // setRest(ms): tells the worker; called only when the rest changes.
  constructor(setRest, { low = 36, high = 50, windowMs = 250, maxRestMs = 8 } = {}) {
    this.setRest = setRest;
    this.options = { low, high, windowMs, maxRestMs };
    this.restMs = 0;
    this.windowStart = null;
    this.frames = 0;
    this.lastFps = null;
  }

  // Called once per shown frame, with its time (ms) and whether a job runs.
  frame(now, busy) {
    if (!busy) {
      this.windowStart = null;
      return;
    }
    if (this.windowStart === null) {
      this.windowStart = now;
      this.frames = 0;
      return;
    }
    ++this.frames;
    const elapsed = now - this.windowStart;
    if (elapsed < this.options.windowMs) return;
    const fps = (this.frames * 1000) / elapsed;
    this.lastFps = fps;
    this.windowStart = now;
    this.frames = 0;
    const { low, high } = this.options;
    // Far below the floor: two steps at once, so a short job is still guarded.
    if (fps < low) this.set(this.restMs + (fps < low - 4 ? 2 : 1));
    else if (fps > high) this.set(this.restMs - 1);
  }

  hidden() {
    this.windowStart = null;
    this.set(0);
  }

  set(ms) {
    const rest = Math.max(0, Math.min(this.options.maxRestMs, Math.round(ms)));
    if (rest === this.restMs) return;
    this.restMs = rest;
    this.setRest(rest);
  }

  state() { return { restMs: this.restMs, fps: this.lastFps }; }
}
