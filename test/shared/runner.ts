/**
 * Runs shared cases one after another on one Gpu and reports each result as
 * it finishes. Runtime-neutral: the Deno and browser entry points only
 * acquire the GPU, pick the cases and print.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import type { SharedCase } from './case.ts';

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  /** The failure report (numerics mismatch, kernel error), when !ok. */
  readonly error?: string;
}

export interface RunSummary {
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
}

/** Cases whose name contains `filter` (all when it is empty). */
export function selectCases(cases: readonly SharedCase[], filter = ''): SharedCase[] {
  return cases.filter((c) => c.name.includes(filter));
}

export async function runCases(gpu: Gpu, cases: readonly SharedCase[], onResult: (r: CaseResult) => void = () => {}): Promise<RunSummary> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await c.run(gpu);
      // Surface asynchronous GPU errors (validation, device loss) here, so they are charged to this case.
      await gpu.sync();
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const r: CaseResult = { name: c.name, ok: error === undefined, ms: performance.now() - t0, ...(error === undefined ? {} : { error }) };
    results.push(r);
    onResult(r);
  }
  const passed = results.filter((r) => r.ok).length;
  return { results, passed, failed: results.length - passed };
}

export function formatResult(r: CaseResult): string {
  const head = `${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${Math.round(r.ms)} ms)`;
  return r.ok ? head : `${head}\n     ${r.error?.replace(/\n/g, '\n     ')}`;
}

export function formatSummary(s: RunSummary, runtime: string): string {
  return `${runtime}: ${s.passed} passed, ${s.failed} failed`;
}
