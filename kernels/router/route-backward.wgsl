// Router backward to the logits, one invocation per token:
//   dlogits[t, e] = p_e · (z_scale·lse_t + c_e - sum_j p_j c_j)     (z-loss, aux loss)
//                 + [e = idx_k] · w_k · (dw_k - sum_j dw_j w_j)      (combine weights)
// with c_e = aux_scale · aux_counts_e. The weight term uses that the
// renormalised weights are the softmax of the chosen logits; the selection
// itself is piecewise constant and has no gradient (nor has the bias).
// No workgroup memory or barriers (costly on software WebGPU): every
// invocation reads the counts itself, the same address across invocations.
// TB comes from the TypeScript tuning object (kernels/router/router.ts).

struct Params {
  N: u32,
  E: u32,
  K: u32,
  z_scale: f32,   // zLossWeight · 2 / zTokens
  aux_scale: f32, // auxLossWeight · E / (auxTokens^2 · K)
}

@group(0) @binding(0) var<storage, read_write> dlogits_NE: array<f32>;
@group(0) @binding(1) var<storage, read> probs_NE: array<f32>;
@group(0) @binding(2) var<storage, read> idx_NK: array<u32>;
@group(0) @binding(3) var<storage, read> weight_NK: array<f32>;
@group(0) @binding(4) var<storage, read> dweight_NK: array<f32>;
@group(0) @binding(5) var<storage, read> lse_N: array<f32>;
@group(0) @binding(6) var<storage, read> aux_counts_E: array<u32>;
@group(0) @binding(7) var<uniform> p: Params;

@compute @workgroup_size(TB)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * TB + lid;
  if (t >= p.N) { return; } // folded launches overshoot
  let E = p.E;
  let K = p.K;
  let row = t * E;
  var pc = 0.0;
  for (var e = 0u; e < E; e++) { pc += probs_NE[row + e] * (p.aux_scale * f32(aux_counts_E[e])); }
  let zt = p.z_scale * lse_N[t];
  for (var e = 0u; e < E; e++) {
    let c = p.aux_scale * f32(aux_counts_E[e]);
    dlogits_NE[row + e] = probs_NE[row + e] * (zt + c - pc);
  }
  var dot = 0.0;
  for (var k = 0u; k < K; k++) { dot += dweight_NK[t * K + k] * weight_NK[t * K + k]; }
  for (var k = 0u; k < K; k++) {
    let w = weight_NK[t * K + k];
    let i = row + idx_NK[t * K + k];
    dlogits_NE[i] += w * (dweight_NK[t * K + k] - dot);
  }
}
