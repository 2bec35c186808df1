/**
 * Row chunks (row-chunks.wgsl): the kernels that copy or sum whole rows
 * (permute-rows, unpermute-grad, combine, combine-dy) run one invocation per
 * ROW_CHUNK_COLS consecutive columns of a row. The kernels write the whole
 * chunk out with constant offsets, for 8 columns (asserted in WGSL).
 */
import { ceilDiv, wgslConsts } from '../../engine/gpu/index.ts';
import rowChunksBody from './row-chunks.wgsl.ts';

export const ROW_CHUNK_COLS = 8;

/** `const COLS` and row_chunk(i, width), to prepend to a kernel's body. */
export const ROW_CHUNKS_WGSL = `${wgslConsts({ COLS: ROW_CHUNK_COLS })}\n${rowChunksBody}`;

/** Invocations with work for `rows` rows of `width` columns. */
export function rowChunks(rows: number, width: number): number {
  return rows * ceilDiv(width, ROW_CHUNK_COLS);
}
