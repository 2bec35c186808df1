/**
 * Every runtime-neutral kernel case, in run order. To add a kernel: write
 * test/shared/<kernel>.cases.ts exporting `<kernel>Cases` (see
 * matmul.cases.ts), import it here, and check it with
 * `bash scripts/test-deno.sh <kernel>`, `bash scripts/test-browser.sh <kernel>`
 * and `npx vitest run test/shared/node.test.ts -t <kernel>` (Node).
 *
 * Still to add, once its kernels are committed and pass their Node tests:
 * elementwise.
 */
import type { SharedCase } from './case.ts';
import { combineCases } from './combine.cases.ts';
import { crossEntropyCases } from './cross-entropy.cases.ts';
import { embeddingCases } from './embedding.cases.ts';
import { expertsCases } from './experts.cases.ts';
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
  ...expertsCases,
  ...combineCases,
  ...crossEntropyCases,
  ...routerBackwardCases,
  ...optimizerCases,
];
