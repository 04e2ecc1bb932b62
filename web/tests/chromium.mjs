// Debian's Chromium, headless, as every browser test and the web benchmark
// start it (never a downloaded browser): no sandbox (root in CI), no network
// of its own, WebGL2 on SwiftShader. extraArgs: flags one test needs besides
// (the camera test's fake media device).
import { chromium } from 'playwright-core';

export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
           ...extraArgs],
  });
}
