/**
 * Runs the shared kernel cases in headless Chromium with software WebGPU
 * (SwiftShader): bundles test/browser/page.ts with esbuild (in memory),
 * serves it from 127.0.0.1 on a free port, drives the system Chromium with
 * playwright-core (never a downloaded browser), prints each result and
 * 'N passed, N failed'. Browser and server are always closed, within a
 * bounded time. Usage: tsx test/browser/run.ts [case-name filter]
 * Env: MOE_CHROMIUM (default /usr/bin/chromium), MOE_BROWSER_TIMEOUT_S (default 240).
 * Exit codes: 0 all passed, 1 a case failed or the run broke, 2 no case matched.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { SHARED_CASES } from '../shared/index.ts';
import { formatResult, selectCases, type CaseResult } from '../shared/runner.ts';

const CHROMIUM = process.env.MOE_CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT_MS = Number(process.env.MOE_BROWSER_TIMEOUT_S ?? 240) * 1000;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** What the page reports at the end; `fatal` when it could not run the cases (no adapter, an exception). */
interface Done {
  passed: number;
  failed: number;
  fatal?: string;
}

/** Results as they arrived; counted here so a run that breaks halfway still reports what it saw. */
interface Outcome {
  passed: number;
  failed: number;
  fatal: string | null;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}

function serve(script: string): Promise<Server> {
  const html = '<!doctype html><meta charset="utf-8"><title>moe shared kernel cases</title><script type="module" src="/cases.js"></script>';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (path === '/cases.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    else if (path === '/favicon.ico') res.writeHead(204).end(); // keeps a 404 out of the console
    else res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function runInBrowser(browser: Browser, url: string): Promise<Outcome> {
  const page = await browser.newPage();
  const outcome: Outcome = { passed: 0, failed: 0, fatal: null };
  let finish: (fatal: string | null) => void = () => {};
  const finished = new Promise<string | null>((resolve) => (finish = resolve));
  await page.exposeFunction('moeAdapter', (text: string) => console.log(`browser: ${text}`));
  await page.exposeFunction('moeResult', (r: CaseResult) => {
    if (r.ok) outcome.passed++;
    else outcome.failed++;
    console.log(formatResult(r));
  });
  await page.exposeFunction('moeDone', (d: Done) => finish(d.fatal ?? null));
  page.on('pageerror', (e) => finish(`uncaught in page: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`page console.${m.type()}: ${m.text()}`);
  });
  await page.goto(url);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not finish within ${TIMEOUT_MS / 1000} s (MOE_BROWSER_TIMEOUT_S)`), TIMEOUT_MS);
  });
  try {
    outcome.fatal = await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
  return outcome;
}

/** Awaits `p` for at most `ms`; cleanup must never hang the run. */
async function bounded(what: string, p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error(`test-browser: ${what} did not finish within ${ms / 1000} s; going on`);
      resolve();
    }, ms);
  });
  await Promise.race([p.catch((e: unknown) => console.error(`test-browser: ${what}: ${String(e)}`)), late]);
  clearTimeout(timer);
}

async function main(filter: string): Promise<number> {
  if (selectCases(SHARED_CASES, filter).length === 0) {
    console.error(`test-browser: no shared case name contains '${filter}'`);
    return 2;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`test-browser: no Chromium at ${CHROMIUM}; install it (apt-get install -y chromium) or set MOE_CHROMIUM`);
    return 1;
  }
  const server = await serve(await bundle());
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    const { port } = server.address() as AddressInfo;
    const o = await runInBrowser(browser, `http://127.0.0.1:${port}/?filter=${encodeURIComponent(filter)}`);
    if (o.fatal) console.error(`test-browser: ${o.fatal}`);
    console.log(`browser: ${o.passed} passed, ${o.failed} failed`);
    return o.fatal || o.failed > 0 ? 1 : 0;
  } finally {
    if (browser) await bounded('closing Chromium', browser.close(), 15_000);
    server.closeAllConnections();
    await bounded('closing the server', new Promise<void>((resolve) => server.close(() => resolve())), 5_000);
  }
}

const code = await main(process.argv[2] ?? '').catch((e: unknown) => {
  console.error(`test-browser: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 1;
});
// Exit explicitly: a Chromium that ignored close() must not keep this process alive.
process.exit(code);
