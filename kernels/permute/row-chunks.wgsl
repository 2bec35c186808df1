// Row chunks, shared by permute-rows, unpermute-grad, combine and combine-dy
// (row-chunks.ts prepends this, after `const COLS`): one invocation per COLS
// consecutive columns of a row of `width` floats, so that a row's lookups (an
// integer division, slot, offset and weight loads) are paid once per COLS
// elements. On SwiftShader an integer division is four scalar divisions and
// every lookup a per-lane gather: per element they cost more than the copy.
const_assert COLS == 8u;

// Chunk i: (row, first column, columns in the chunk). The last chunk of a
// row is shorter when width % COLS != 0; its columns never reach the next
// row (first column < width, so width - first never wraps).
fn row_chunk(i: u32, width: u32) -> vec3u {
  let per_row = (width + COLS - 1u) / COLS;
  let row = i / per_row;
  let col = (i - row * per_row) * COLS;
  return vec3u(row, col, min(COLS, width - col));
}
