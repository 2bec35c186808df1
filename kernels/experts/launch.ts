/**
 * Tile sizes, kernel sources and dispatch arithmetic of the grouped expert
 * kernels. Each kernel's code is the constants header, the shared tile
 * helpers (tile.wgsl) and its own body; workgroup shapes are WGSL overrides.
 *
 * Legend: R permuted rows (N·K), H hidden, F expert FFN dim, E experts.
 */
import { ceilDiv, foldWorkgroups, wgslConsts, type KernelSource, type Workgroups } from '../../engine/gpu/index.ts';
import downBackwardBody from './down-backward.wgsl.ts';
import downWeightGradBody from './down-weight-grad.wgsl.ts';
import downBody from './down.wgsl.ts';
import gateUpWeightGradBody from './gate-up-weight-grad.wgsl.ts';
import gateUpBody from './gate-up.wgsl.ts';
import inputGradBody from './input-grad.wgsl.ts';
import tileHelpers from './tile.wgsl.ts';
import downWeightsStorage from './weights-down-storage.wgsl.ts';
import downWeightsTexture from './weights-down-texture.wgsl.ts';
import { forwardRows, type ForwardRowsSpec } from './forward-rows.ts';
import gateUpWeightsStorage from './weights-gate-up-storage.wgsl.ts';
import gateUpWeightsTexture from './weights-gate-up-texture.wgsl.ts';

/**
 * The one definition of the expert kernels' tile sizes.
 * TM x TN: outputs per invocation of the backward kernels, written out as
 * 4 x 4 blocks of mat4x4f in tile.wgsl (which asserts these values);
 * TM x FORWARD_TN for the forward ones (gate-up.wgsl, down.wgsl: named vec4
 * accumulators, a smaller block because they read the weights through
 * textures on SwiftShader, where loads then cost less than spills).
 * Row-tiled kernels (forward, dxp, dg/du) use ROW_WG_ROWS x ROW_WG_COLS
 * invocations: a row tile of only TM·ROW_WG_ROWS = 16 rows, so an expert
 * whose row count is not a multiple of it wastes little (the forward
 * kernels less still: FORWARD_ROW_PATHS). Weight-gradient kernels use
 * WEIGHT_WG_* for 64 x 64 tiles of dW_e. BATCHES: how SwiftShader deals
 * workgroups to its threads (work_item in tile.wgsl numbers the work for
 * it). ROW_BLOCK: row tiles per
 * block in the order of a row-tiled kernel's items (row_block_tile in
 * tile.wgsl). TEXTURE_MIN_ROWS_PER_EXPERT: the forward reads the weights
 * through textures (where the Gpu allows) only when the rows R are at least
 * this many per expert: the copy is E·H·F values per weight, the work R·H·F,
 * and with 2 rows for 64 experts the textures took twice as long (16 rows
 * for 64 experts: 8% longer; 1024 rows for 16 experts: 40% shorter).
 */
export const EXPERTS_TUNING = {
  TM: 16,
  TN: 16,
  FORWARD_TN: 8,
  ROW_WG_ROWS: 1,
  ROW_WG_COLS: 4,
  WEIGHT_WG_ROWS: 4,
  WEIGHT_WG_COLS: 4,
  BATCHES: 16,
  ROW_BLOCK: 4,
  TEXTURE_MIN_ROWS_PER_EXPERT: 8,
  FORWARD_ROW_PATHS: [4, 8, 12, 16],
} as const;

const { TM, TN, FORWARD_TN, BATCHES, ROW_BLOCK } = EXPERTS_TUNING;
const HEADER = `${wgslConsts({ TM, TN, FORWARD_TN, BATCHES, ROW_BLOCK })}\n${tileHelpers}`;

export type ExpertKernelName = 'experts_gate_up' | 'experts_down' | 'experts_down_bwd' | 'experts_input_grad' | 'experts_down_wgrad' | 'experts_gate_up_wgrad';

/** The forward kernels' multiply-add loops (forward-rows.ts); the weight loads come from weights-*.wgsl. */
const GATE_UP_ROWS: ForwardRowsSpec = {
  rows: 'x',
  prelude: 'let col = col0 / 4u;',
  weights: (k) => [`gate_w(e, ${k}, col)`, `up_w(e, ${k}, col)`],
  store: 'put4',
};
const DOWN_ROWS: ForwardRowsSpec = {
  rows: 'a',
  // Column groups, the second clamped to the row (its results are not stored).
  prelude: 'let g0 = col0 / 4u;\nlet g1 = min(g0 + 1u, p.n_dim / 4u - 1u);',
  weights: (k) => [`down_w(e, ${k}, g0)`, `down_w(e, ${k}, g1)`],
  store: 'put8',
};

interface KernelShape {
  readonly body: string;
  /** Row-tiled (rows of the permuted buffers) or weight-tiled (one dW_e tile per workgroup). */
  readonly kind: 'rows' | 'weights';
  /** Output columns per invocation: TN, or TN/2 when gate and up share the tile. */
  readonly colsPerInvocation: number;
  /** The forward kernels read their weights through one of these (the weight bindings and their load functions). */
  readonly weights?: Readonly<Record<WeightSource, string>>;
}

/** Where a forward kernel reads the expert weights: storage buffers, or texture operands (Gpu.canTexture). */
export type WeightSource = 'storage' | 'texture';

const SHAPES: Record<ExpertKernelName, KernelShape> = {
  experts_gate_up: { body: `${gateUpBody}\n${forwardRows(GATE_UP_ROWS, EXPERTS_TUNING.FORWARD_ROW_PATHS, EXPERTS_TUNING.TM)}`, kind: 'rows', colsPerInvocation: EXPERTS_TUNING.FORWARD_TN / 2, weights: { storage: gateUpWeightsStorage, texture: gateUpWeightsTexture } },
  experts_down: { body: `${downBody}\n${forwardRows(DOWN_ROWS, EXPERTS_TUNING.FORWARD_ROW_PATHS, EXPERTS_TUNING.TM)}`, kind: 'rows', colsPerInvocation: EXPERTS_TUNING.FORWARD_TN, weights: { storage: downWeightsStorage, texture: downWeightsTexture } },
  experts_down_bwd: { body: downBackwardBody, kind: 'rows', colsPerInvocation: EXPERTS_TUNING.TN },
  experts_input_grad: { body: inputGradBody, kind: 'rows', colsPerInvocation: EXPERTS_TUNING.TN },
  experts_down_wgrad: { body: downWeightGradBody, kind: 'weights', colsPerInvocation: EXPERTS_TUNING.TN },
  experts_gate_up_wgrad: { body: gateUpWeightGradBody, kind: 'weights', colsPerInvocation: EXPERTS_TUNING.TN / 2 },
};

function workgroupShape(kind: KernelShape['kind']): { WG_ROWS: number; WG_COLS: number } {
  const t = EXPERTS_TUNING;
  return kind === 'rows' ? { WG_ROWS: t.ROW_WG_ROWS, WG_COLS: t.ROW_WG_COLS } : { WG_ROWS: t.WEIGHT_WG_ROWS, WG_COLS: t.WEIGHT_WG_COLS };
}

/** The kernel; `weights` matters only to the forward kernels (experts_gate_up, experts_down). */
export function expertKernel(name: ExpertKernelName, weights: WeightSource = 'storage'): KernelSource {
  const s = SHAPES[name];
  if (!s.weights) return { name, code: `${HEADER}\n${s.body}`, constants: workgroupShape(s.kind) };
  return { name: weights === 'texture' ? `${name}_tex` : name, code: `${HEADER}\n${s.weights[weights]}\n${s.body}`, constants: workgroupShape(s.kind) };
}

/** Output rows and columns one workgroup of `name` covers. */
export function workgroupTile(name: ExpertKernelName): { rows: number; cols: number } {
  const s = SHAPES[name];
  const wg = workgroupShape(s.kind);
  return { rows: EXPERTS_TUNING.TM * wg.WG_ROWS, cols: s.colsPerInvocation * wg.WG_COLS };
}

/**
 * A launch of `work` items, numbered as work_item (tile.wgsl) expects:
 * BATCHES·ceil(work / BATCHES) workgroups, folded into 2-D/3-D.
 */
function itemLaunch(work: number, maxPerDimension: number): Workgroups {
  const batches = EXPERTS_TUNING.BATCHES;
  return foldWorkgroups(work === 0 ? 0 : batches * ceilDiv(work, batches), maxPerDimension);
}

/**
 * Row-tiled launch over rowTiles x colTiles items, rowTiles rounded up to
 * whole blocks of ROW_BLOCK (row_block_items in tile.wgsl). Sized for the
 * worst case without reading offsets back: R / BM + E row tiles (tile_rows in
 * tile.wgsl numbers expert e's tiles from offsets[e] / BM + e, so each expert
 * may end on a partial tile).
 */
export function rowTileLaunch(
  rows: number, experts: number, cols: number, tile: { rows: number; cols: number }, maxPerDimension: number,
): { workgroups: Workgroups; rowTiles: number; colTiles: number } {
  const rowTiles = Math.floor(rows / tile.rows) + experts;
  const colTiles = ceilDiv(cols, tile.cols);
  const items = ceilDiv(rowTiles, EXPERTS_TUNING.ROW_BLOCK) * EXPERTS_TUNING.ROW_BLOCK * colTiles;
  return { workgroups: itemLaunch(rows === 0 ? 0 : items, maxPerDimension), rowTiles, colTiles };
}

/** Weight-tiled launch: one item per BM x BN tile of each of the E gradients [m, n]. */
export function weightTileLaunch(
  experts: number, m: number, n: number, tile: { rows: number; cols: number }, maxPerDimension: number,
): { workgroups: Workgroups; mTiles: number; nTiles: number } {
  const mTiles = ceilDiv(m, tile.rows);
  const nTiles = ceilDiv(n, tile.cols);
  return { workgroups: itemLaunch(experts * mTiles * nTiles, maxPerDimension), mTiles, nTiles };
}
