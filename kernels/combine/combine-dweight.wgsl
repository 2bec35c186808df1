// Combine backward, dWeight: dWeight[s] = dot(dOut[t], y[slotRow[s]]) for slot
// s = t*K + k, summed over h ascending by the one invocation that owns s
// (deterministic); exactly 0 for a dropped slot. WG from COMBINE_TUNING.

struct Params {
  R: u32, // N * K, the elements of dWeight
  H: u32,
  K: u32,
}

@group(0) @binding(0) var<storage, read_write> d_weight: array<f32>; // [N, K]
@group(0) @binding(1) var<storage, read> d_out: array<f32>;          // [N, H]
@group(0) @binding(2) var<storage, read> y: array<f32>;              // [R, H]
@group(0) @binding(3) var<storage, read> slot_row: array<u32>;       // [R]
@group(0) @binding(4) var<uniform> p: Params;

const NONE: u32 = 0xffffffffu;
override WG: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let s = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (s >= p.R) { return; }
  let row = slot_row[s];
  var acc = 0.0;
  if (row != NONE) {
    let a = (s / p.K) * p.H;
    let b = row * p.H;
    for (var h = 0u; h < p.H; h++) { acc += d_out[a + h] * y[b + h]; }
  }
  d_weight[s] = acc;
}
