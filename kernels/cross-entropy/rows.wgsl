// Softmax cross-entropy, pass 1 of 3: one invocation per row n (WG rows per
// workgroup, no barriers: on software WebGPU a barrier costs more than a row).
//   m = max_v l[n, v],  logsum = log(sum_v exp(l[n, v] - m))
//   loss[n] = logsum + m - l[n, t]          (t = targets[n])
// Max-subtracted, so exp never overflows. Logits are first clamped to the
// lowest float, so -inf masks act like the lowest-float masks the engine uses.
// A row whose logits are all the lowest float (fully masked) is therefore
// uniform: loss = ln V, never NaN. (m, logsum) are saved separately for the
// gradient: folding them into one m + logsum would round logsum away when
// m is huge (a masked row).
// t = IGNORE contributes loss 0; any other t outside [0, V) writes NaN, so the
// finite check on the loss catches it (validate targets on the host to get
// the position). Sums run in ascending v: deterministic.
// WG comes from CROSS_ENTROPY_TUNING (header).

const LOWEST: f32 = -0x1.fffffep+127f; // the lowest finite f32 (the decimal -3.40282347e38 rounds past it and Tint rejects it)
const IGNORE: u32 = 0xffffffffu;

struct Params {
  N: u32,
  V: u32,
}

@group(0) @binding(0) var<storage, read_write> loss: array<f32>;  // [N]
@group(0) @binding(1) var<storage, read_write> stats: array<f32>; // [N, 2]: m, logsum
@group(0) @binding(2) var<storage, read> logits: array<f32>;      // [N, V]
@group(0) @binding(3) var<storage, read> targets: array<u32>;     // [N]
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (row >= p.N) { return; }
  let base = row * p.V;
  var m = LOWEST;
  for (var v = 0u; v < p.V; v++) { m = max(m, max(logits[base + v], LOWEST)); }
  var s = 0.0;
  for (var v = 0u; v < p.V; v++) { s += exp(max(logits[base + v], LOWEST) - m); }
  let logsum = log(s);
  stats[2u * row] = m;
  stats[2u * row + 1u] = logsum;
  let t = targets[row];
  var l = 0.0;
  if (t == IGNORE) {
    l = 0.0;
  } else if (t >= p.V) {
    l = bitcast<f32>(0x7fc00000u + 0u * t); // NaN (built at run time: a constant NaN is a WGSL error)
  } else {
    l = logsum + (m - max(logits[base + t], LOWEST));
  }
  loss[row] = l;
}
