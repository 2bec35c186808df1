// Combine backward, dy: for a kept row r < offsets[E] holding slot s = t*K + k,
// dy[r, h] = weight[s] * dOut[t, h]. Rows at or beyond offsets[E] are written
// as 0 (documented in combine.ts), so the worst-case-sized buffer holds no
// stale values. Dropped slots own no row and so send no gradient.
// WG from COMBINE_TUNING.

struct Params {
  RH: u32, // R * H, the elements of dy
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
  if (i >= p.RH) { return; }
  let r = i / p.H;
  var v = 0.0;
  if (r < offsets[p.E]) {
    let s = row_slot[r];
    let t = s / p.K;
    v = weight[s] * d_out[t * p.H + (i - r * p.H)];
  }
  dy[i] = v;
}
