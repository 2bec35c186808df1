/**
 * Browser entry (bundled by test/browser/run.ts): acquires the page's
 * WebGPU (navigator.gpu; Chromium's Dawn on SwiftShader in CI) and runs the
 * shared kernel cases, reporting each result to the runner through
 * functions the runner exposes on `window`. `?filter=` selects cases by name.
 */
import { acquireGpu } from '../../engine/gpu/device.ts';
import { SHARED_CASES } from '../shared/index.ts';
import { runCases, selectCases, type CaseResult, type RunSummary } from '../shared/runner.ts';

/** Set by the runner (Playwright's exposeFunction) before the page loads. */
interface RunnerHooks {
  moeAdapter(text: string): Promise<void>;
  moeResult(result: CaseResult): Promise<void>;
  moeDone(summary: { passed: number; failed: number; fatal?: string }): Promise<void>;
}
const hooks = window as unknown as Window & RunnerHooks;

async function main(): Promise<RunSummary> {
  const filter = new URL(location.href).searchParams.get('filter') ?? '';
  const gpu = await acquireGpu({ notice: () => {} });
  gpu.pool.poison = true; // as in the Node tests: a kernel that reads what it did not write fails
  const a = gpu.adapter;
  await hooks.moeAdapter(`${navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? 'browser'}, ${a.provider}: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')}${a.isFallback ? ' (software)' : ''}`);
  try {
    return await runCases(gpu, selectCases(SHARED_CASES, filter), (r) => void hooks.moeResult(r));
  } finally {
    gpu.destroy();
  }
}

main().then(
  (s) => hooks.moeDone({ passed: s.passed, failed: s.failed }),
  (e: unknown) => hooks.moeDone({ passed: 0, failed: 0, fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
);
