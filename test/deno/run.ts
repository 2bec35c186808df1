/**
 * Runs the shared kernel cases under Deno with its built-in WebGPU
 * (navigator.gpu, wgpu), which validates and compiles WGSL differently from
 * Dawn. Usage: deno run test/deno/run.ts [name filter]
 * (scripts/test-deno.sh picks a Vulkan driver first).
 * Exit codes: 0 all passed, 1 a case failed, 2 no case matched, 3 no adapter.
 */
import { acquireGpu } from '../../engine/gpu/device.ts';
import { GpuUnavailableError } from '../../engine/gpu/errors.ts';
import { SHARED_CASES } from '../shared/index.ts';
import { formatResult, formatSummary, runCases, selectCases } from '../shared/runner.ts';

/** The little of Deno's namespace used here (tsc, which also checks this file, has no Deno types). */
interface DenoLike {
  readonly args: readonly string[];
  readonly version: { readonly deno: string };
  exit(code: number): never;
}
const deno: DenoLike = (globalThis as unknown as { Deno: DenoLike }).Deno;

const filter = deno.args[0] ?? '';
const cases = selectCases(SHARED_CASES, filter);
if (cases.length === 0) {
  console.error(`test-deno: no shared case name contains '${filter}'`);
  deno.exit(2);
}

let gpu;
try {
  gpu = await acquireGpu({ notice: () => {} });
} catch (e) {
  if (!(e instanceof GpuUnavailableError)) throw e;
  console.error(`test-deno: ${e.message}`);
  deno.exit(3);
}
gpu.pool.poison = true; // as in the Node tests: a kernel that reads what it did not write fails
const a = gpu.adapter;
console.log(`deno ${deno.version.deno}, ${a.provider}: ${a.description || a.architecture || a.vendor}${a.isFallback ? ' (software)' : ''}`);
const summary = await runCases(gpu, cases, (r) => console.log(formatResult(r)));
console.log(formatSummary(summary, 'deno'));
gpu.destroy();
deno.exit(summary.failed > 0 ? 1 : 0);
