// The small test runner of the browser tests (e2e.mjs, soak.mjs): named
// tests run one after another, each reported as "ok   NAME (s)" or
// "FAIL NAME: error", and counted for the closing "N passed, N failed".
//   only: "a,b" runs just the tests whose names contain a or b (null: all).

export function assert(condition, message) { if (!condition) throw new Error(message); }

export function createRunner(only) {
  const counts = { passed: 0, failed: 0 };
  async function test(name, fn) {
    if (only && !only.split(',').some((o) => name.includes(o))) return;
    const start = Date.now();
    try {
      await fn();
      ++counts.passed;
      console.log(`ok   ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    } catch (e) {
      ++counts.failed;
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
    }
  }
  return { test, counts };
}
