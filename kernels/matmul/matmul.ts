/**
 * Tiled matrix multiply with the transposed variants backward passes need:
 *   C = alpha · op(A) · op(B)  (+ C when accumulate), optionally batched.
 * Shapes (legend): op(A) [M, K], op(B) [K, N], C [M, N]; batch leading.
 */
import { dispatch2d, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import common from './matmul-common.wgsl.ts';
import paramsHeader from './matmul-params.wgsl.ts';
import vec4aBody from './matmul-vec4a.wgsl.ts';
import texBody from './matmul-tex.wgsl.ts';
import vec4abBody from './matmul-vec4ab.wgsl.ts';
import body from './matmul.wgsl.ts';

/** Outputs per invocation (TM x TN, written out in the shaders) and the workgroup shape (WG_X x WG_Y invocations). */
export interface MatmulTuning {
  readonly WG_X: number;
  readonly WG_Y: number;
  readonly TM: number;
  readonly TN: number;
}

/**
 * The one definition of matmul's tile sizes (WGSL gets them as a header), one
 * entry per register block; each shader asserts the block it is written for.
 *  - block16: matmul-vec4ab.wgsl, the plain layout (A [M, K], B [K, N], K and
 *    N multiples of 4): 16 x 16 outputs per invocation, A and B read as vec4.
 *  - block8: matmul.wgsl (any layout) and matmul-vec4a.wgsl (untransposed A,
 *    K % 4 == 0): 8 x 8 outputs per invocation.
 *  - blockTex: matmul-tex.wgsl, the plain layout with B read through a
 *    texture (Gpu.textureOperands, N % 64 == 0): 16 x 8 outputs per invocation.
 * The workgroup shapes were picked by bench/kernels/tune-matmul.ts on
 * SwiftShader (see bench/README.md for the figures).
 */
export const MATMUL_TUNING = {
  block16: { WG_X: 4, WG_Y: 4, TM: 16, TN: 16 },
  block8: { WG_X: 8, WG_Y: 4, TM: 8, TN: 8 },
  blockTex: { WG_X: 8, WG_Y: 4, TM: 16, TN: 8 },
} as const satisfies Record<string, MatmulTuning>;

/**
 * The four bodies: any layout (scalar loads); untransposed A with K % 4 == 0
 * read as vec4 (about 1.3x faster); untransposed A and B with K and N
 * multiples of 4, both read as vec4, 16 x 16 block (about 1.5x faster
 * again); the same layout with B read through a texture, 16 x 8 block (about
 * 1.5x faster again on SwiftShader, used where the Gpu allows textures).
 */
export type MatmulBody = 'scalar' | 'vec4a' | 'vec4ab' | 'tex';
const TUNING_OF: Record<MatmulBody, MatmulTuning> = {
  scalar: MATMUL_TUNING.block8,
  vec4a: MATMUL_TUNING.block8,
  vec4ab: MATMUL_TUNING.block16,
  tex: MATMUL_TUNING.blockTex,
};

const sameShape = (t: MatmulTuning, u: MatmulTuning) => t.WG_X === u.WG_X && t.WG_Y === u.WG_Y && t.TM === u.TM && t.TN === u.TN;

function codeFor(t: MatmulTuning, b: MatmulBody): string {
  const header = `${wgslConsts({ WG_X: t.WG_X, WG_Y: t.WG_Y, TM: t.TM, TN: t.TN })}\n${paramsHeader}`;
  if (b === 'vec4ab') return `${header}\n${vec4abBody}`;
  if (b === 'tex') return `${header}\n${texBody}`;
  return `${header}\n${common}\n${b === 'vec4a' ? vec4aBody : body}`;
}
const CODE: Record<MatmulBody, string> = {
  scalar: codeFor(TUNING_OF.scalar, 'scalar'),
  vec4a: codeFor(TUNING_OF.vec4a, 'vec4a'),
  vec4ab: codeFor(TUNING_OF.vec4ab, 'vec4ab'),
  tex: codeFor(TUNING_OF.tex, 'tex'),
};

export interface MatmulOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** C += result instead of C = result (gradient accumulation). */
  readonly accumulate?: boolean;
  readonly alpha?: number;
  /** Number of independent products, each operand laid out contiguously one after another. */
  readonly batch?: number;
  /**
   * Block and workgroup shape; default: the fastest body the layout allows,
   * with its MATMUL_TUNING entry. A given tuning's TM x TN picks among the
   * bodies written for that block (the router and the tuning benchmark use it).
   */
  readonly tuning?: MatmulTuning;
}

/**
 * The body for these options and the reduction length K and output width N
 * (pure). A vec4 binding needs at least 16 bytes, hence K > 0 and N > 0.
 * `textureB`: B (batch matrices of K x N) can be read through a texture
 * (Gpu.canTexture); the plain layout then takes the texture body.
 */
export function matmulBody(o: MatmulOptions, K: number, N: number, textureB = false): MatmulBody {
  const vec4a = !o.transA && K > 0 && K % 4 === 0;
  const vec4ab = vec4a && !o.transB && N > 0 && N % 4 === 0;
  const tex = vec4ab && textureB;
  const block = o.tuning ?? (tex ? MATMUL_TUNING.blockTex : vec4ab ? MATMUL_TUNING.block16 : MATMUL_TUNING.block8);
  if (block.TM === 16 && block.TN === 8) {
    if (!tex) {
      throw new Error(`matmul: the 16 x 8 block reads B through a texture: it needs untransposed A and B, K % 4 == 0, N % 64 == 0 and a Gpu with textureOperands, got K=${K} N=${N}${o.transA ? ' transA' : ''}${o.transB ? ' transB' : ''}${textureB ? '' : ' (no texture for B)'}`);
    }
    return 'tex';
  }
  if (block.TM === 16 && block.TN === 16) {
    if (!vec4ab) {
      throw new Error(`matmul: the 16 x 16 block needs untransposed A and B with K and N multiples of 4 and > 0, got K=${K} N=${N}${o.transA ? ' transA' : ''}${o.transB ? ' transB' : ''}; use the 8 x 8 block (MATMUL_TUNING.block8) or no tuning`);
    }
    return 'vec4ab';
  }
  if (block.TM === 8 && block.TN === 8) return vec4a ? 'vec4a' : 'scalar';
  throw new Error(`matmul: no body is written for a ${block.TM} x ${block.TN} block; the blocks are 16 x 16 and 8 x 8 (MATMUL_TUNING)`);
}

/** The tuning a launch uses: the given one, or the MATMUL_TUNING entry of the body it selects. */
export function matmulTuning(o: MatmulOptions, K: number, N: number, textureB = false): MatmulTuning {
  return o.tuning ?? TUNING_OF[matmulBody(o, K, N, textureB)];
}

/** The kernel for these options, the reduction length K and the output width N. */
export function matmulKernel(o: MatmulOptions, K: number, N: number, textureB = false): KernelSource {
  const b = matmulBody(o, K, N, textureB);
  const suffix = { scalar: '', vec4a: '_v4', vec4ab: '_v4ab', tex: '_tex' }[b];
  const name = `matmul_${o.transA ? 't' : 'n'}${o.transB ? 't' : 'n'}${o.accumulate ? '_acc' : ''}${suffix}`;
  const code = o.tuning && !sameShape(o.tuning, TUNING_OF[b]) ? codeFor(o.tuning, b) : CODE[b];
  // vec4a has no TRANS_A override (A is never transposed there), vec4ab neither TRANS_A nor TRANS_B.
  const constants: Record<string, number> = { ACCUMULATE: o.accumulate ? 1 : 0 };
  if (b !== 'vec4ab' && b !== 'tex') constants.TRANS_B = o.transB ? 1 : 0;
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
  const stack = { layers: batch, rows: K, cols: N };
  const textureB = gpu.canTexture(stack);
  const t = matmulTuning(o, K, N, textureB);
  const bBinding = matmulBody(o, K, N, textureB) === 'tex' ? gpu.texture('matmul.B', b, stack) : b;
  gpu.dispatch(matmulKernel(o, K, N, textureB), [c, a, bBinding], dispatch2d(M, N, t.WG_Y * t.TM, t.WG_X * t.TN, gpu.maxWorkgroupsPerDimension, batch), params);
}

/** Allocates C and records the product. */
export function matmul(gpu: Gpu, a: Tensor, b: Tensor, o: MatmulOptions = {}, label = 'matmul_out'): Tensor {
  const batch = o.batch ?? 1;
  const { M, N } = matmulDims(a.shape, b.shape, o);
  const c = gpu.empty(batch > 1 ? [batch, M, N] : [M, N], 'f32', label);
  matmulInto(gpu, c, a, b, { ...o, accumulate: false });
  return c;
}
