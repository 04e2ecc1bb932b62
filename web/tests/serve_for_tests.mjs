// Starts web/serve.mjs for the browser tests and benchmarks (e2e.mjs,
// soak.mjs, bench_app.mjs) and resolves with the child process once it answers.
//   isolated: send the cross-origin isolation headers (threads); quiet: drop its stdout.
import path from 'node:path';
import { spawn } from 'node:child_process';

export function startServer(root, port, { isolated = true, quiet = false } = {}) {
  const args = [path.join(root, 'web/serve.mjs'), '--port', String(port), '--root', root];
  if (!isolated) args.push('--no-isolation');
  const child = spawn(process.execPath, args, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10000;
    const poll = () => fetch(`http://127.0.0.1:${port}/index.html`, { method: 'HEAD' })
      .then(() => resolve(child))
      .catch(() => (Date.now() > deadline ? reject(new Error('server did not start')) : setTimeout(poll, 100)));
    poll();
  });
}
