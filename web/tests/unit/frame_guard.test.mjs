// The frame guard's rule (web/app/frame_guard.js), driven by synthetic frame
// times: slow frames while a job runs make the worker rest, fast ones give the
// time back, frames without a job and a hidden page change nothing / reset it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { FrameGuard } from '../../app/frame_guard.js';

// Shows `count` frames at `fps`, from `start` ms; returns the time after the last.
function show(guard, fps, count, start, busy = true) {
  let now = start;
  for (let i = 0; i < count; ++i, now += 1000 / fps) guard.frame(now, busy);
  return now;
}

function makeGuard() {
  const sent = [];
  const guard = new FrameGuard((ms) => sent.push(ms), { low: 36, high: 50, windowMs: 250, maxRestMs: 8 });
  return { guard, sent };
}

test('a machine that keeps up: no rest is ever asked for', () => {
  const { guard, sent } = makeGuard();
  show(guard, 60, 300, 0);
  assert.deepEqual(sent, []);
  assert.equal(guard.state().restMs, 0);
  assert.ok(Math.abs(guard.state().fps - 60) < 1);
});

test('slow frames while a job runs: the rest grows, two steps when far below, up to the cap', () => {
  const { guard, sent } = makeGuard();
  show(guard, 30, 8 * 3, 0);  // 30 fps: 8 frames per 250 ms window, three windows (the first frame opens one)
  assert.deepEqual(sent, [2, 4]);
  show(guard, 30, 60, 10000);
  assert.equal(guard.state().restMs, 8);
  assert.equal(sent.at(-1), 8);
  assert.ok(sent.every((ms, i) => i === 0 || ms > sent[i - 1]), 'only changes are sent');
});

test('just below the floor: one step per window', () => {
  const { guard, sent } = makeGuard();
  show(guard, 34, 9 * 2 + 1, 0);
  assert.deepEqual(sent, [1, 2]);
});

test('between the two rates nothing changes; above the upper one the rest shrinks a step per window', () => {
  const { guard, sent } = makeGuard();
  show(guard, 25, 30, 0);
  const reached = guard.state().restMs;
  assert.ok(reached >= 4);
  show(guard, 42, 40, 5000);
  assert.equal(guard.state().restMs, reached);
  const before = sent.length;
  show(guard, 60, 16 * 2 + 1, 10000);  // two windows at 60 fps
  assert.deepEqual(sent.slice(before), [reached - 1, reached - 2]);
  show(guard, 60, 200, 20000);
  assert.equal(guard.state().restMs, 0);
});

test('frames without a job are not measured, and the pause between jobs is no slow window', () => {
  const { guard, sent } = makeGuard();
  show(guard, 5, 50, 0, false);  // idle, drawn rarely: nothing
  guard.frame(20000, true);      // a job starts: the window opens here
  show(guard, 60, 40, 20000 + 1000 / 60);
  assert.deepEqual(sent, []);
});

test('a hidden page drops the rest to 0', () => {
  const { guard, sent } = makeGuard();
  show(guard, 20, 40, 0);
  assert.ok(guard.state().restMs > 0);
  guard.hidden();
  assert.equal(guard.state().restMs, 0);
  assert.equal(sent.at(-1), 0);
});
