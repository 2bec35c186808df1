// Combine backward, dy: for a kept row r < offsets[E] holding slot s = t*K + k,
// dy[r, h] = weight[s] * dOut[t, h]. Rows at or beyond offsets[E] are written
// as 0 (documented in combine.ts), so the worst-case-sized buffer holds no
// stale values. Dropped slots own no row and so send no gradient.
// WG from COMBINE_TUNING; one invocation per chunk of COLS columns of a row
// (row-chunks.wgsl).

struct Params {
  chunks: u32, // R * ceil(H / COLS): the invocations with work
  H: u32,
  K: u32,
  E: u32,
}

@group(0) @binding(0) var<storage, read_write> dy: array<f32>;  // [R, H]
@group(0) @binding(1) var<storage, read> d_out: array<f32>;     // [N, H]
@group(0) @binding(2) var<storage, read> weight: array<f32>;    // [N, K]
@group(0) @binding(3) var<storage, read> row_slot: array<u32>;  // [R]
@group(0) @binding(4) var<storage, read> offsets: array<u32>;   // [E + 1]
@group(0) @binding(5) var<uniform> p: Params;

override WG: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.chunks) { return; }
  let c = row_chunk(i, p.H);
  let r = c.x;
  let h = c.y;
  let n = c.z;
  let o = r * p.H + h;
  if (r >= offsets[p.E]) {
    for (var j = 0u; j < n; j++) { dy[o + j] = 0.0; }
    return;
  }
  let s = row_slot[r];
  let w = weight[s];
  let src = (s / p.K) * p.H + h;
  if (n == COLS) {
    dy[o] = w * d_out[src]; dy[o + 1u] = w * d_out[src + 1u]; dy[o + 2u] = w * d_out[src + 2u]; dy[o + 3u] = w * d_out[src + 3u];
    dy[o + 4u] = w * d_out[src + 4u]; dy[o + 5u] = w * d_out[src + 5u]; dy[o + 6u] = w * d_out[src + 6u]; dy[o + 7u] = w * d_out[src + 7u];
  } else {
    for (var j = 0u; j < n; j++) { dy[o + j] = w * d_out[src + j]; }
  }
}
