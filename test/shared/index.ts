/**
 * Every runtime-neutral kernel case, in run order. To add a kernel: write
 * test/shared/<kernel>.cases.ts exporting `<kernel>Cases` (see
 * matmul.cases.ts), import it here, and check it with
 * `bash scripts/test-deno.sh <kernel>` and `bash scripts/test-browser.sh <kernel>`.
 *
 * Still to add, once their kernels land in kernels/<name>/ and pass their
 * Node tests: router (softmax, top-k, renormalise, counts), permute
 * (offsets, slotRow/rowSlot, capacity drops), experts (grouped SwiGLU GEMM),
 * rmsnorm (forward and backward), combine.
 */
import type { SharedCase } from './case.ts';
import { matmulCases } from './matmul.cases.ts';

export type { SharedCase } from './case.ts';

export const SHARED_CASES: readonly SharedCase[] = [...matmulCases];
