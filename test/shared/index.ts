/**
 * Every runtime-neutral kernel case, in run order. To add a kernel: write
 * test/shared/<kernel>.cases.ts exporting `<kernel>Cases` (see
 * matmul.cases.ts), import it here, and check it with
 * `bash scripts/test-deno.sh <kernel>` and `bash scripts/test-browser.sh <kernel>`.
 *
 * Still to add, once their kernels are committed and pass their Node tests:
 * experts (grouped SwiGLU GEMM), elementwise.
 */
import type { SharedCase } from './case.ts';
import { combineCases } from './combine.cases.ts';
import { crossEntropyCases } from './cross-entropy.cases.ts';
import { embeddingCases } from './embedding.cases.ts';
import { matmulCases } from './matmul.cases.ts';
import { optimizerCases } from './optimizer.cases.ts';
import { permuteCases } from './permute.cases.ts';
import { rmsnormCases } from './rmsnorm.cases.ts';
import { routerBackwardCases } from './router-backward.cases.ts';
import { routerCases } from './router.cases.ts';

export type { SharedCase } from './case.ts';

/** In the order of a training step: forward kernels, then backward-only ones. */
export const SHARED_CASES: readonly SharedCase[] = [
  ...matmulCases,
  ...embeddingCases,
  ...rmsnormCases,
  ...routerCases,
  ...permuteCases,
  ...combineCases,
  ...crossEntropyCases,
  ...routerBackwardCases,
  ...optimizerCases,
];
