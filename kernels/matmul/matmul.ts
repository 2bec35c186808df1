/**
 * Tiled matrix multiply with the transposed variants backward passes need:
 *   C = alpha · op(A) · op(B)  (+ C when accumulate), optionally batched.
 * Shapes (legend): op(A) [M, K], op(B) [K, N], C [M, N]; batch leading.
 */
import { dispatch2d, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import common from './matmul-common.wgsl.ts';
import vec4aBody from './matmul-vec4a.wgsl.ts';
import body from './matmul.wgsl.ts';

/**
 * The one definition of matmul's tile sizes (WGSL gets them as a header).
 * Each of the WG_X x WG_Y invocations of a workgroup computes TM x TN =
 * 8 x 8 outputs, written out in the shaders (software WebGPU does not
 * unroll loops). WG_X and WG_Y were picked by bench/kernels/tune-matmul.ts on
 * SwiftShader (see bench/README.md for the figures).
 */
export const MATMUL_TUNING = { WG_X: 8, WG_Y: 4, TM: 8, TN: 8 } as const;
export interface MatmulTuning {
  readonly WG_X: number;
  readonly WG_Y: number;
  readonly TM: 8;
  readonly TN: 8;
}

/** The two bodies: any layout, and untransposed A with K % 4 == 0 read as vec4 (about 1.3x faster). */
type Body = 'scalar' | 'vec4a';
function codeFor(t: MatmulTuning, b: Body): string {
  return `${wgslConsts({ WG_X: t.WG_X, WG_Y: t.WG_Y, TM: t.TM, TN: t.TN })}\n${common}\n${b === 'vec4a' ? vec4aBody : body}`;
}
const CODE: Record<Body, string> = { scalar: codeFor(MATMUL_TUNING, 'scalar'), vec4a: codeFor(MATMUL_TUNING, 'vec4a') };

export interface MatmulOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** C += result instead of C = result (gradient accumulation). */
  readonly accumulate?: boolean;
  readonly alpha?: number;
  /** Number of independent products, each operand laid out contiguously one after another. */
  readonly batch?: number;
  /** Workgroup shape; default MATMUL_TUNING (the tuning benchmark tries others). */
  readonly tuning?: MatmulTuning;
}

/**
 * The kernel for these options; `K` (the reduction length) decides whether A
 * can be read as vec4 (K > 0 too: a vec4 binding needs at least 16 bytes).
 */
export function matmulKernel(o: MatmulOptions, K: number): KernelSource {
  const b: Body = !o.transA && K > 0 && K % 4 === 0 ? 'vec4a' : 'scalar';
  const name = `matmul_${o.transA ? 't' : 'n'}${o.transB ? 't' : 'n'}${o.accumulate ? '_acc' : ''}${b === 'vec4a' ? '_v4' : ''}`;
  const code = o.tuning && o.tuning !== MATMUL_TUNING ? codeFor(o.tuning, b) : CODE[b];
  // vec4a has no TRANS_A override (A is never transposed there).
  const constants: Record<string, number> = { TRANS_B: o.transB ? 1 : 0, ACCUMULATE: o.accumulate ? 1 : 0 };
  if (b === 'scalar') constants.TRANS_A = o.transA ? 1 : 0;
  return { name, code, constants };
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
  const t = o.tuning ?? MATMUL_TUNING;
  gpu.dispatch(matmulKernel(o, K), [c, a, b], dispatch2d(M, N, t.WG_Y * t.TM, t.WG_X * t.TN, gpu.maxWorkgroupsPerDimension, batch), params);
}

/** Allocates C and records the product. */
export function matmul(gpu: Gpu, a: Tensor, b: Tensor, o: MatmulOptions = {}, label = 'matmul_out'): Tensor {
  const batch = o.batch ?? 1;
  const { M, N } = matmulDims(a.shape, b.shape, o);
  const c = gpu.empty(batch > 1 ? [batch, M, N] : [M, N], 'f32', label);
  matmulInto(gpu, c, a, b, { ...o, accumulate: false });
  return c;
}
