// Softmax cross-entropy, pass 3 of 3: one invocation per logit.
//   dlogits[n, v] = (softmax(l[n])_v - [v == t]) * scale / max(valid_count, 1)
// with softmax_v = exp((l - m) - logsum) from pass 1 (this order keeps a
// fully masked row exactly uniform). IGNORE rows get 0; rows whose target is
// outside [0, V) get NaN (like their loss). WG from CROSS_ENTROPY_TUNING.

const LOWEST: f32 = -0x1.fffffep+127f; // the lowest finite f32 (the decimal -3.40282347e38 rounds past it and Tint rejects it)
const IGNORE: u32 = 0xffffffffu;

struct Params {
  N: u32,
  V: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read_write> dlogits: array<f32>; // [N, V]
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // [N, V]
@group(0) @binding(2) var<storage, read> targets: array<u32>;       // [N]
@group(0) @binding(3) var<storage, read> stats: array<f32>;         // [N, 2]: m, logsum
@group(0) @binding(4) var<storage, read> valid_count: array<u32>;   // [1]
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.N * p.V) { return; }
  let row = i / p.V;
  let v = i % p.V;
  let t = targets[row];
  var d = 0.0;
  if (t == IGNORE) {
    d = 0.0;
  } else if (t >= p.V) {
    d = bitcast<f32>(0x7fc00000u + 0u * t); // NaN, built at run time
  } else {
    let prob = exp((max(logits[i], LOWEST) - stats[2u * row]) - stats[2u * row + 1u]);
    d = (prob - select(0.0, 1.0, v == t)) * (p.scale / f32(max(valid_count[0], 1u)));
  }
  dlogits[i] = d;
}
