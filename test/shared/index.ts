/**
 * Every runtime-neutral kernel case, in run order. To add a kernel: write
 * test/shared/<kernel>.cases.ts exporting `<kernel>Cases` (see
 * matmul.cases.ts), import it here, and check it with
 * `bash scripts/test-deno.sh <kernel>` and `bash scripts/test-browser.sh <kernel>`.
 *
 * Still to add, once their kernels are committed and pass their Node tests:
 * router backward, permute (offsets, slotRow/rowSlot, capacity drops),
 * experts (grouped SwiGLU GEMM), combine (forward and backward),
 * cross-entropy, AdamW, grad-norm, elementwise.
 */
import type { SharedCase } from './case.ts';
import { embeddingCases } from './embedding.cases.ts';
import { matmulCases } from './matmul.cases.ts';
import { rmsnormCases } from './rmsnorm.cases.ts';
import { routerCases } from './router.cases.ts';

export type { SharedCase } from './case.ts';

export const SHARED_CASES: readonly SharedCase[] = [...matmulCases, ...rmsnormCases, ...embeddingCases, ...routerCases];
