// Shared by every expert kernel (the launcher prepends it, after the
// constants header): the register tile, clamped load addresses, SiLU, the
// work-item numbering and the row tiles of the row-tiled kernels. Pure
// functions only; each kernel declares its own bindings and defines
// `offset_at(e)` (offsets[e] from its own binding).
//
// Register tile of the backward kernels (the forward ones, gate-up.wgsl and
// down.wgsl, write out a 16 x 8 block of named vec4s instead and use only the
// helpers further down). An invocation owns TM x TN = 16 x 16 outputs, held as 4 x 4
// blocks of mat4x4f: block [4 * i + j] holds rows 4i .. 4i+3 and columns
// 4j .. 4j+3, its vector [r] being row 4i + r. Everything is written out with
// constant indices because software WebGPU (SwiftShader) neither unrolls loops
// nor keeps a dynamically indexed array in registers: one runtime index turns
// each access into a per-lane gather or scatter, about ten times slower.
// What makes the kernels fast there is the ratio of arithmetic to loads (a
// load costs ~13 multiply-adds), hence the large tile, and loads of four
// floats at once: every operand is bound as array<vec4f> (the launcher pads
// H and F to multiples of 4), a vec4 load costing ~3 scalar ones.
const_assert TM == 16u && TN == 16u;

alias Tile = array<mat4x4f, 16>;
// The 16 values of one operand at one step of the reduction, 4 at a time.
alias Quad = array<vec4f, 4>;
// 16 rows (or columns) of an operand at 4 consecutive steps of the
// reduction: [i] holds row i's values at steps 0..3.
alias Strip = array<vec4f, 16>;
// 16 load addresses, 4 at a time.
alias Addr = array<vec4u, 4>;

// acc += a ⊗ b: 256 multiply-adds from 32 loaded values, written as fma on
// splats: on SwiftShader this measured about 20% faster for the whole forward
// than adding mat4x4f outer products (a multiply, then an add).
fn mma(acc: ptr<function, Tile>, a: Quad, b: Quad) {
  (*acc)[0][0] = fma(vec4f(a[0].x), b[0], (*acc)[0][0]);
  (*acc)[0][1] = fma(vec4f(a[0].y), b[0], (*acc)[0][1]);
  (*acc)[0][2] = fma(vec4f(a[0].z), b[0], (*acc)[0][2]);
  (*acc)[0][3] = fma(vec4f(a[0].w), b[0], (*acc)[0][3]);
  (*acc)[1][0] = fma(vec4f(a[0].x), b[1], (*acc)[1][0]);
  (*acc)[1][1] = fma(vec4f(a[0].y), b[1], (*acc)[1][1]);
  (*acc)[1][2] = fma(vec4f(a[0].z), b[1], (*acc)[1][2]);
  (*acc)[1][3] = fma(vec4f(a[0].w), b[1], (*acc)[1][3]);
  (*acc)[2][0] = fma(vec4f(a[0].x), b[2], (*acc)[2][0]);
  (*acc)[2][1] = fma(vec4f(a[0].y), b[2], (*acc)[2][1]);
  (*acc)[2][2] = fma(vec4f(a[0].z), b[2], (*acc)[2][2]);
  (*acc)[2][3] = fma(vec4f(a[0].w), b[2], (*acc)[2][3]);
  (*acc)[3][0] = fma(vec4f(a[0].x), b[3], (*acc)[3][0]);
  (*acc)[3][1] = fma(vec4f(a[0].y), b[3], (*acc)[3][1]);
  (*acc)[3][2] = fma(vec4f(a[0].z), b[3], (*acc)[3][2]);
  (*acc)[3][3] = fma(vec4f(a[0].w), b[3], (*acc)[3][3]);
  (*acc)[4][0] = fma(vec4f(a[1].x), b[0], (*acc)[4][0]);
  (*acc)[4][1] = fma(vec4f(a[1].y), b[0], (*acc)[4][1]);
  (*acc)[4][2] = fma(vec4f(a[1].z), b[0], (*acc)[4][2]);
  (*acc)[4][3] = fma(vec4f(a[1].w), b[0], (*acc)[4][3]);
  (*acc)[5][0] = fma(vec4f(a[1].x), b[1], (*acc)[5][0]);
  (*acc)[5][1] = fma(vec4f(a[1].y), b[1], (*acc)[5][1]);
  (*acc)[5][2] = fma(vec4f(a[1].z), b[1], (*acc)[5][2]);
  (*acc)[5][3] = fma(vec4f(a[1].w), b[1], (*acc)[5][3]);
  (*acc)[6][0] = fma(vec4f(a[1].x), b[2], (*acc)[6][0]);
  (*acc)[6][1] = fma(vec4f(a[1].y), b[2], (*acc)[6][1]);
  (*acc)[6][2] = fma(vec4f(a[1].z), b[2], (*acc)[6][2]);
  (*acc)[6][3] = fma(vec4f(a[1].w), b[2], (*acc)[6][3]);
  (*acc)[7][0] = fma(vec4f(a[1].x), b[3], (*acc)[7][0]);
  (*acc)[7][1] = fma(vec4f(a[1].y), b[3], (*acc)[7][1]);
  (*acc)[7][2] = fma(vec4f(a[1].z), b[3], (*acc)[7][2]);
  (*acc)[7][3] = fma(vec4f(a[1].w), b[3], (*acc)[7][3]);
  (*acc)[8][0] = fma(vec4f(a[2].x), b[0], (*acc)[8][0]);
  (*acc)[8][1] = fma(vec4f(a[2].y), b[0], (*acc)[8][1]);
  (*acc)[8][2] = fma(vec4f(a[2].z), b[0], (*acc)[8][2]);
  (*acc)[8][3] = fma(vec4f(a[2].w), b[0], (*acc)[8][3]);
  (*acc)[9][0] = fma(vec4f(a[2].x), b[1], (*acc)[9][0]);
  (*acc)[9][1] = fma(vec4f(a[2].y), b[1], (*acc)[9][1]);
  (*acc)[9][2] = fma(vec4f(a[2].z), b[1], (*acc)[9][2]);
  (*acc)[9][3] = fma(vec4f(a[2].w), b[1], (*acc)[9][3]);
  (*acc)[10][0] = fma(vec4f(a[2].x), b[2], (*acc)[10][0]);
  (*acc)[10][1] = fma(vec4f(a[2].y), b[2], (*acc)[10][1]);
  (*acc)[10][2] = fma(vec4f(a[2].z), b[2], (*acc)[10][2]);
  (*acc)[10][3] = fma(vec4f(a[2].w), b[2], (*acc)[10][3]);
  (*acc)[11][0] = fma(vec4f(a[2].x), b[3], (*acc)[11][0]);
  (*acc)[11][1] = fma(vec4f(a[2].y), b[3], (*acc)[11][1]);
  (*acc)[11][2] = fma(vec4f(a[2].z), b[3], (*acc)[11][2]);
  (*acc)[11][3] = fma(vec4f(a[2].w), b[3], (*acc)[11][3]);
  (*acc)[12][0] = fma(vec4f(a[3].x), b[0], (*acc)[12][0]);
  (*acc)[12][1] = fma(vec4f(a[3].y), b[0], (*acc)[12][1]);
  (*acc)[12][2] = fma(vec4f(a[3].z), b[0], (*acc)[12][2]);
  (*acc)[12][3] = fma(vec4f(a[3].w), b[0], (*acc)[12][3]);
  (*acc)[13][0] = fma(vec4f(a[3].x), b[1], (*acc)[13][0]);
  (*acc)[13][1] = fma(vec4f(a[3].y), b[1], (*acc)[13][1]);
  (*acc)[13][2] = fma(vec4f(a[3].z), b[1], (*acc)[13][2]);
  (*acc)[13][3] = fma(vec4f(a[3].w), b[1], (*acc)[13][3]);
  (*acc)[14][0] = fma(vec4f(a[3].x), b[2], (*acc)[14][0]);
  (*acc)[14][1] = fma(vec4f(a[3].y), b[2], (*acc)[14][1]);
  (*acc)[14][2] = fma(vec4f(a[3].z), b[2], (*acc)[14][2]);
  (*acc)[14][3] = fma(vec4f(a[3].w), b[2], (*acc)[14][3]);
  (*acc)[15][0] = fma(vec4f(a[3].x), b[3], (*acc)[15][0]);
  (*acc)[15][1] = fma(vec4f(a[3].y), b[3], (*acc)[15][1]);
  (*acc)[15][2] = fma(vec4f(a[3].z), b[3], (*acc)[15][2]);
  (*acc)[15][3] = fma(vec4f(a[3].w), b[3], (*acc)[15][3]);
}

// Step u (a constant after inlining) of a strip.
fn step_of(s: Strip, u: u32) -> Quad {
  return Quad(vec4f(s[0][u], s[1][u], s[2][u], s[3][u]), vec4f(s[4][u], s[5][u], s[6][u], s[7][u]),
              vec4f(s[8][u], s[9][u], s[10][u], s[11][u]), vec4f(s[12][u], s[13][u], s[14][u], s[15][u]));
}

// The weight-gradient reductions (over rows) step by two (half the loop
// overhead); the second step of an odd count re-reads the last row and is
// multiplied by 0, which is exact because the values read are finite inputs.
fn scaled(q: Quad, s: f32) -> Quad {
  return Quad(q[0] * s, q[1] * s, q[2] * s, q[3] * s);
}

// vec4 indices of the column groups col0 .. col0+15 of a row of n4 vec4s,
// clamped to the row (results of clamped columns are not stored).
fn col_groups(col0: u32, n4: u32) -> vec4u {
  return min(vec4u(col0 / 4u) + vec4u(0u, 1u, 2u, 3u), vec4u(n4 - 1u));
}

// Addresses (start + i, i = 0..15) clamped to [lo, hi] and times `stride`.
// Clamping keeps every load inside valid data: rows of a neighbouring expert
// or the garbage beyond offsets[E] never enter a sum (their results are
// simply not stored), and no load needs a branch.
fn clamped16(start: u32, lo: u32, hi: u32, stride: u32) -> Addr {
  let i = vec4u(0u, 1u, 2u, 3u) + vec4u(start);
  let l = vec4u(lo);
  let h = vec4u(hi);
  return Addr(clamp(i, l, h) * stride, clamp(i + 4u, l, h) * stride, clamp(i + 8u, l, h) * stride, clamp(i + 12u, l, h) * stride);
}

fn sigmoid4(x: vec4f) -> vec4f {
  // exp(-x) overflows to +inf for x < -88, giving exactly 0: no NaN.
  return 1.0 / (1.0 + exp(-x));
}

// The work item of this workgroup. SwiftShader hands the workgroup with
// linear index i to batch i % BATCHES and runs each batch's workgroups in
// order on one thread; numbering the items so that every batch gets a
// contiguous run of them lets consecutive workgroups on a thread reuse the
// same expert's weights from cache (10-15% faster there). On other devices it
// is only a permutation. The launch has BATCHES·ceil(work / BATCHES)
// workgroups (folded into 2-D/3-D); the result is >= work for an idle one.
fn work_item(wid: vec3u, nwg: vec3u, work: u32) -> u32 {
  let lin = wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y;
  let run = (work + BATCHES - 1u) / BATCHES;
  if (lin >= run * BATCHES) { return work; }
  return (lin % BATCHES) * run + lin / BATCHES;
}

// The (row tile, column tile) of work item w in a row-tiled kernel. Items
// go through blocks of ROW_BLOCK consecutive row tiles; within a block the
// row tiles vary fastest, then the column tiles. So a thread (which gets a
// contiguous run of items, see work_item) keeps a block's input rows in its
// cache across every column tile, and each column panel of an expert's
// weights is read once per block rather than once per row tile. On
// SwiftShader this ran the forward 1.3-1.7x faster than sweeping all row
// tiles per column tile, whose input rows (R·H floats) fall out of the L2
// cache between column tiles (bench/README.md). The launch has
// row_block_items(...) items; those whose row tile is >= row_tiles have no
// work.
fn row_block_items(row_tiles: u32, col_tiles: u32) -> u32 {
  return (row_tiles + ROW_BLOCK - 1u) / ROW_BLOCK * ROW_BLOCK * col_tiles;
}

fn row_block_tile(w: u32, col_tiles: u32) -> vec2u {
  let per_block = ROW_BLOCK * col_tiles;
  let inner = w % per_block;
  return vec2u((w / per_block) * ROW_BLOCK + inner % ROW_BLOCK, inner / ROW_BLOCK);
}

// Row tiles of the row-tiled kernels. Expert e's tiles of `bm` rows start at
// its first row and are numbered from s_e = offsets[e] / bm + e, so a tile
// never straddles two experts. s_e strictly increases with e and
// s_(e+1) >= s_e + ceil(rows_e / bm), so the numbering never overlaps, and the
// last tile with rows is at most R / bm + E - 1: a launch of R / bm + E tiles
// (the worst case: every expert ends on a partial tile) covers any offsets.
// A tile between one expert's last tile and the next expert's first (an
// empty expert has only such a tile) has no rows: its workgroup returns.
// Returns (e, first row, end row); end <= first when the tile has no rows.
fn tile_rows(tile: u32, experts: u32, rows: u32, bm: u32) -> vec3u {
  var lo = 0u;
  var hi = experts - 1u;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (offset_at(mid) / bm + mid <= tile) {
      lo = mid;
    } else {
      hi = mid - 1u;
    }
  }
  let first = offset_at(lo);
  let start = first + (tile - (first / bm + lo)) * bm;
  let end = min(min(start + bm, offset_at(lo + 1u)), rows);
  return vec3u(lo, start, end);
}
