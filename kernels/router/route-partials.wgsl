// Router, per block of BT tokens: the sum of each expert's probabilities and
// the sum of lse^2, in ascending token order. The losses kernel then sums
// the blocks in order, so the losses are deterministic with no float atomics.
// One invocation per (block, column): columns 0..E-1 are the experts (so
// neighbouring invocations read neighbouring probabilities), column E is lse^2.
// BT and WG come from the TypeScript tuning object (kernels/router/router.ts).

struct Params {
  N: u32,
  E: u32,
  blocks: u32,
}

@group(0) @binding(0) var<storage, read_write> block_sums_BE1: array<f32>; // [blocks, E + 1]
@group(0) @binding(1) var<storage, read> probs_NE: array<f32>;
@group(0) @binding(2) var<storage, read> lse_N: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let item = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + lid;
  let E = p.E;
  if (item >= p.blocks * (E + 1u)) { return; } // folded launches overshoot
  let b = item / (E + 1u);
  let c = item % (E + 1u);
  let t0 = b * BT;
  let t1 = min(p.N, t0 + BT);
  var s = 0.0;
  if (c < E) {
    for (var t = t0; t < t1; t++) { s += probs_NE[t * E + c]; }
  } else {
    for (var t = t0; t < t1; t++) { s += lse_N[t] * lse_N[t]; }
  }
  block_sums_BE1[item] = s;
}
