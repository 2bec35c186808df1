// xp[r, h] = x[rowSlot[r] / K, h] for permuted rows r < offsets[E]; rows at or
// beyond offsets[E] are written as 0, so the worst-case-sized buffer holds
// no stale values (the expert GEMM runs over it). Launched for the worst
// case R = N*K; the kept-row count is read from offsets[E] on the GPU, never
// from the host. WG and COLS from PERMUTE_TUNING.
//
// One invocation per COLS consecutive columns of a row, written out with
// constant offsets: the row's lookups (a division, offsets[E], rowSlot[r]
// and another division) are paid once per COLS elements. On SwiftShader an
// integer division is four scalar divisions and every lookup a per-lane
// gather, so per element they cost more than the copy itself.
const_assert COLS == 8u;

struct Params {
  chunks: u32, // R * ceil(H / COLS): the invocations with work
  H: u32,
  K: u32,
  E: u32,
}

@group(0) @binding(0) var<storage, read_write> xp: array<f32>;  // [R, H]
@group(0) @binding(1) var<storage, read> x: array<f32>;         // [N, H]
@group(0) @binding(2) var<storage, read> row_slot: array<u32>;  // [R]
@group(0) @binding(3) var<storage, read> offsets: array<u32>;   // [E + 1]
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.chunks) { return; }
  let per_row = (p.H + COLS - 1u) / COLS;
  let r = i / per_row;
  let h = (i - r * per_row) * COLS;
  let o = r * p.H + h;
  // Columns at or beyond H belong to the next row: not written.
  let n = min(COLS, p.H - h);
  if (r >= offsets[p.E]) {
    for (var j = 0u; j < n; j++) { xp[o + j] = 0.0; }
    return;
  }
  let src = (row_slot[r] / p.K) * p.H + h;
  if (n == COLS) {
    xp[o] = x[src]; xp[o + 1u] = x[src + 1u]; xp[o + 2u] = x[src + 2u]; xp[o + 3u] = x[src + 3u];
    xp[o + 4u] = x[src + 4u]; xp[o + 5u] = x[src + 5u]; xp[o + 6u] = x[src + 6u]; xp[o + 7u] = x[src + 7u];
  } else {
    for (var j = 0u; j < n; j++) { xp[o + j] = x[src + j]; }
  }
}
