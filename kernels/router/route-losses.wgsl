// Router, whole batch: mean probabilities P_e, the z-loss
// mean_t lse_t^2 and the auxiliary loss E · sum_e f_e · P_e with
// f_e = counts_e / (N·K), from the counts of route.wgsl and the per-block
// sums of route-partials.wgsl.
// One workgroup; blocks are summed in ascending order and the per-thread
// parts by a fixed tree, so the result is the same on every run.
// FIN_WG (a power of two) comes from the TypeScript tuning object.

struct Params {
  N: u32,
  E: u32,
  K: u32,
  blocks: u32,
}

@group(0) @binding(0) var<storage, read_write> mean_probs_E: array<f32>;
@group(0) @binding(1) var<storage, read_write> z_loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> aux_loss: array<f32>;
@group(0) @binding(3) var<storage, read> counts_E: array<u32>;
@group(0) @binding(4) var<storage, read> block_sums_BE1: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> aux_part: array<f32, FIN_WG>;
var<workgroup> z_part: array<f32, FIN_WG>;

@compute @workgroup_size(FIN_WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let E = p.E;
  // An empty batch has no mean: define both losses and every P_e as 0.
  let inv_n = select(0.0, 1.0 / f32(p.N), p.N > 0u);
  let inv_slots = select(0.0, 1.0 / (f32(p.N) * f32(p.K)), p.N > 0u);
  var a = 0.0;
  for (var e = lid; e < E; e += FIN_WG) {
    var s = 0.0;
    for (var b = 0u; b < p.blocks; b++) { s += block_sums_BE1[b * (E + 1u) + e]; }
    let P = s * inv_n;
    mean_probs_E[e] = P;
    a += f32(counts_E[e]) * inv_slots * P;
  }
  var z = 0.0;
  for (var b = lid; b < p.blocks; b += FIN_WG) { z += block_sums_BE1[b * (E + 1u) + E]; }
  aux_part[lid] = a;
  z_part[lid] = z;
  workgroupBarrier();
  for (var half = FIN_WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) {
      aux_part[lid] += aux_part[lid + half];
      z_part[lid] += z_part[lid + half];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    z_loss[0] = z_part[0] * inv_n;
    aux_loss[0] = f32(E) * aux_part[0];
  }
}
