/**
 * Token embedding: forward gathers rows of the table by token id; backward
 * sums the output gradient of every position into its token's row without
 * float atomics: a counting sort of positions by id (integer atomics for the
 * counts, one workgroup for a stable scan + scatter), then one invocation
 * per (v, h) summing its positions in ascending order. Same bits every run.
 * Legend: N positions (B·S), V vocabulary, H hidden. table_VH, ids_N, out_NH.
 * Ids outside [0, V) give a zero row and no gradient: validate them on the
 * host first with checkTokenIds / uploadTokenIds (token-ids.ts).
 */
import { dispatch1d, numel, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import sumBody from './backward-sum.wgsl.ts';
import countBody from './count.wgsl.ts';
import forwardBody from './forward.wgsl.ts';
import sortBody from './sort.wgsl.ts';

/** The one definition of the embedding tunables. SORT_WG is the single sorting workgroup's size. */
export const EMBEDDING_TUNING = { WG: 64, SORT_WG: 256 } as const;
const HEADER = wgslConsts(EMBEDDING_TUNING);
const { WG } = EMBEDDING_TUNING;

const forwardKernel: KernelSource = { name: 'embedding_fwd', code: `${HEADER}\n${forwardBody}` };
const countKernel: KernelSource = { name: 'embedding_bwd_count', code: `${HEADER}\n${countBody}` };
const sortKernel: KernelSource = { name: 'embedding_bwd_sort', code: `${HEADER}\n${sortBody}` };
const sumKernel = (accumulate: boolean): KernelSource => ({
  name: `embedding_bwd_sum${accumulate ? '_acc' : ''}`,
  code: `${HEADER}\n${sumBody}`,
  constants: { ACCUMULATE: accumulate ? 1 : 0 },
});

function tableDims(op: string, table: Tensor): { V: number; H: number } {
  if (table.shape.length !== 2 || table.dtype !== 'f32') {
    throw new Error(`${op}: table '${table.label}' must be f32 [V, H], got ${table.dtype} [${table.shape.join(', ')}]`);
  }
  return { V: table.shape[0], H: table.shape[1] };
}

function idCount(op: string, ids: Tensor): number {
  if (ids.dtype !== 'u32') throw new Error(`${op}: ids '${ids.label}' must be u32, got ${ids.dtype}; hint: upload with uploadTokenIds`);
  return numel(ids.shape);
}

/** Records out[n, :] = table[ids[n], :]. `out` holds N·H values. */
export function embeddingForwardInto(gpu: Gpu, out: Tensor, table: Tensor, ids: Tensor): void {
  const op = 'embedding forward';
  const { V, H } = tableDims(op, table);
  const N = idCount(op, ids);
  if (numel(out.shape) !== N * H) throw new Error(`${op}: output '${out.label}' [${out.shape.join(', ')}] should hold ${N}·${H} values (ids [${ids.shape.join(', ')}], table [${V}, ${H}])`);
  gpu.dispatch(forwardKernel, [out, table, ids], dispatch1d(N * H, WG, gpu.maxWorkgroupsPerDimension), packParams([['u32', N], ['u32', V], ['u32', H]]));
}

/** Allocates out [...ids.shape, H] and records the gather. */
export function embeddingForward(gpu: Gpu, table: Tensor, ids: Tensor, label = 'embedding_out'): Tensor {
  const { H } = tableDims('embedding forward', table);
  const out = gpu.empty([...ids.shape, H], 'f32', label);
  embeddingForwardInto(gpu, out, table, ids);
  return out;
}

/**
 * Positions grouped by token id: token v's positions are
 * sortedPos[offsets[v] .. offsets[v+1]) in ascending order; offsets[V] is the
 * number of valid positions. Useful to any gather-based gradient by id.
 */
export interface TokenPositions {
  readonly offsets: Tensor; // u32 [V + 1]
  readonly sortedPos: Tensor; // u32 [N]
}

export function sortTokenPositions(gpu: Gpu, ids: Tensor, V: number): TokenPositions {
  const N = idCount('sortTokenPositions', ids);
  if (!Number.isInteger(V) || V < 0) throw new Error(`sortTokenPositions: vocabulary size must be a non-negative integer, got ${V}`);
  const cursor = gpu.zeros([V], 'u32', 'embedding_counts');
  const offsets = gpu.empty([V + 1], 'u32', 'embedding_offsets');
  const sortedPos = gpu.empty([N], 'u32', 'embedding_sorted_pos');
  const params = packParams([['u32', N], ['u32', V]]);
  gpu.dispatch(countKernel, [cursor, ids], dispatch1d(N, WG, gpu.maxWorkgroupsPerDimension), params);
  gpu.dispatch(sortKernel, [offsets, sortedPos, cursor, ids], [1, 1, 1], params);
  gpu.release(cursor);
  return { offsets, sortedPos };
}

export interface EmbeddingBackwardOptions {
  /** dTable += result instead of dTable = result (micro-batches, tied weights). */
  readonly accumulate?: boolean;
}

/** Records dTable[v, :] = sum over positions n with ids[n] = v of dOut[n, :] (ascending n). */
export function embeddingBackwardInto(gpu: Gpu, dTable: Tensor, dOut: Tensor, ids: Tensor, o: EmbeddingBackwardOptions = {}): void {
  const op = 'embedding backward';
  const { V, H } = tableDims(op, dTable);
  const N = idCount(op, ids);
  if (numel(dOut.shape) !== N * H || dOut.dtype !== 'f32') {
    throw new Error(`${op}: dOut '${dOut.label}' must be f32 holding ${N}·${H} values (ids [${ids.shape.join(', ')}], dTable [${V}, ${H}]), got ${dOut.dtype} [${dOut.shape.join(', ')}]`);
  }
  if (V * H === 0) return;
  const { offsets, sortedPos } = sortTokenPositions(gpu, ids, V);
  gpu.dispatch(sumKernel(o.accumulate ?? false), [dTable, dOut, offsets, sortedPos], dispatch1d(V * H, WG, gpu.maxWorkgroupsPerDimension), packParams([['u32', V], ['u32', H]]));
  gpu.release(offsets, sortedPos);
}

/** Allocates dTable [V, H] and records the backward pass. */
export function embeddingBackward(gpu: Gpu, dOut: Tensor, ids: Tensor, V: number, label = 'embedding_dtable'): Tensor {
  const H = dOut.shape[dOut.shape.length - 1] ?? 0;
  const dTable = gpu.empty([V, H], 'f32', label);
  embeddingBackwardInto(gpu, dTable, dOut, ids);
  return dTable;
}
