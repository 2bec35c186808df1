// xp[r, h] = x[rowSlot[r] / K, h] for permuted rows r < offsets[E]; rows at or
// beyond offsets[E] are written as 0, so the worst-case-sized buffer holds
// no stale values (the expert GEMM runs over it). Launched for the worst
// case R = N*K; the kept-row count is read from offsets[E] on the GPU, never
// from the host. WG from PERMUTE_TUNING; one invocation per chunk of COLS
// columns of a row (row-chunks.wgsl), written out with constant offsets.

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
  let c = row_chunk(i, p.H);
  let r = c.x;
  let h = c.y;
  let n = c.z;
  let o = r * p.H + h;
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
