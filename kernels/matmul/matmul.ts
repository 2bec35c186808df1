/**
 * Tiled matrix multiply with the transposed variants backward passes need:
 *   C = alpha · op(A) · op(B)  (+ C when accumulate), optionally batched.
 * Shapes (legend): op(A) [M, K], op(B) [K, N], C [M, N]; batch leading.
 */
import { dispatch2d, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import body from './matmul.wgsl.ts';

/** The one definition of matmul's tile sizes (WGSL gets them as a header). */
export const MATMUL_TUNING = { WG_X: 8, WG_Y: 8, TM: 4, TN: 4, BK: 16 } as const;
const CODE = `${wgslConsts(MATMUL_TUNING)}\n${body}`;
const BM = MATMUL_TUNING.WG_Y * MATMUL_TUNING.TM;
const BN = MATMUL_TUNING.WG_X * MATMUL_TUNING.TN;

export interface MatmulOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** C += result instead of C = result (gradient accumulation). */
  readonly accumulate?: boolean;
  readonly alpha?: number;
  /** Number of independent products, each operand laid out contiguously one after another. */
  readonly batch?: number;
}

export function matmulKernel(o: MatmulOptions): KernelSource {
  const name = `matmul_${o.transA ? 't' : 'n'}${o.transB ? 't' : 'n'}${o.accumulate ? '_acc' : ''}`;
  return { name, code: CODE, constants: { TRANS_A: o.transA ? 1 : 0, TRANS_B: o.transB ? 1 : 0, ACCUMULATE: o.accumulate ? 1 : 0 } };
}

/** Derives M, K, N from the stored shapes and checks they agree. */
export function matmulDims(a: readonly number[], b: readonly number[], o: MatmulOptions): { M: number; K: number; N: number } {
  const batch = o.batch ?? 1;
  const r = (s: readonly number[]): [number, number] => {
    const rows = s.length >= 2 ? s[s.length - 2] : 1;
    const cols = s[s.length - 1];
    return [rows, cols];
  };
  const [ar, ac] = r(a);
  const [br, bc] = r(b);
  const [M, K] = o.transA ? [ac, ar] : [ar, ac];
  const [K2, N] = o.transB ? [bc, br] : [br, bc];
  if (K !== K2) {
    throw new Error(`matmul: inner dimensions differ: op(A) is [${M}, ${K}] (A [${a.join(', ')}]${o.transA ? ', transposed' : ''}), op(B) is [${K2}, ${N}] (B [${b.join(', ')}]${o.transB ? ', transposed' : ''})`);
  }
  const elems = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
  if (elems(a) !== batch * M * K || elems(b) !== batch * K * N) {
    throw new Error(`matmul: shapes A [${a.join(', ')}], B [${b.join(', ')}] do not hold batch=${batch} products of [${M}, ${K}]·[${K}, ${N}]`);
  }
  return { M, K, N };
}

/** Records C = alpha·op(A)·op(B) (+C). C must hold batch·M·N values. */
export function matmulInto(gpu: Gpu, c: Tensor, a: Tensor, b: Tensor, o: MatmulOptions = {}): void {
  const batch = o.batch ?? 1;
  const { M, K, N } = matmulDims(a.shape, b.shape, o);
  const cElems = c.shape.reduce((x, y) => x * y, 1);
  if (cElems !== batch * M * N) throw new Error(`matmul: output '${c.label}' [${c.shape.join(', ')}] should hold ${batch}·${M}·${N} values`);
  const params = packParams([
    ['u32', M], ['u32', N], ['u32', K],
    ['u32', M * K], ['u32', K * N], ['u32', M * N],
    ['f32', o.alpha ?? 1],
  ]);
  gpu.dispatch(matmulKernel(o), [c, a, b], dispatch2d(M, N, BM, BN, gpu.maxWorkgroupsPerDimension, batch), params);
}

/** Allocates C and records the product. */
export function matmul(gpu: Gpu, a: Tensor, b: Tensor, o: MatmulOptions = {}, label = 'matmul_out'): Tensor {
  const batch = o.batch ?? 1;
  const { M, N } = matmulDims(a.shape, b.shape, o);
  const c = gpu.empty(batch > 1 ? [batch, M, N] : [M, N], 'f32', label);
  matmulInto(gpu, c, a, b, { ...o, accumulate: false });
  return c;
}
