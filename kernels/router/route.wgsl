// Router, per token: softmax over E, top-k of (logits + bias) and the
// renormalised combine weights, and the expert counts (integer atomics:
// exact and order-independent). One invocation per token and no workgroup
// memory or barriers: on software WebGPU a barrier costs more than this
// kernel's arithmetic. The loss sums come from route-partials.wgsl.
// TB comes from the TypeScript tuning object (kernels/router/router.ts).

const LOWEST: f32 = -0x1.fffffep+127f; // the lowest f32 (-3.40282347e38)
const NONE: u32 = 0xffffffffu;

struct Params {
  N: u32,
  E: u32,
  K: u32,
  has_bias: u32,
}

@group(0) @binding(0) var<storage, read_write> idx_NK: array<u32>;
@group(0) @binding(1) var<storage, read_write> weight_NK: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs_NE: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse_N: array<f32>;
@group(0) @binding(4) var<storage, read_write> counts_E: array<atomic<u32>>; // zeroed by the launcher
@group(0) @binding(5) var<storage, read> logits_NE: array<f32>;
@group(0) @binding(6) var<storage, read> bias_E: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Selection score. NaN maps to the lowest float so that the order stays
// total and every pass picks a valid expert; its probabilities stay NaN,
// which assertRouting reports.
fn score(row: u32, e: u32) -> f32 {
  var s = logits_NE[row + e];
  if (p.has_bias != 0u) { s += bias_E[e]; }
  return select(s, LOWEST, is_nan(s));
}

@compute @workgroup_size(TB)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * TB + lid;
  if (t >= p.N) { return; } // folded launches overshoot
  let E = p.E;
  let K = p.K;
  let row = t * E;
  let out = t * K;

  // Selection: the K best (score desc, index asc). For K <= 4, one pass
  // keeps the best four in named registers (s0 >= s1 >= s2 >= s3); scanning
  // e upward and moving down only on a strictly greater score sends ties to
  // the lower index. The same pass finds the largest logit for the softmax.
  var m = LOWEST;
  if (K <= 4u) {
    var s0 = LOWEST; var s1 = LOWEST; var s2 = LOWEST; var s3 = LOWEST;
    var i0 = NONE; var i1 = NONE; var i2 = NONE; var i3 = NONE;
    for (var e = 0u; e < E; e++) {
      m = max(m, logits_NE[row + e]);
      let s = score(row, e);
      // Empty slots lose to anything; b0 implies b1 implies b2 implies b3.
      let b0 = i0 == NONE || s > s0;
      let b1 = i1 == NONE || s > s1;
      let b2 = i2 == NONE || s > s2;
      let b3 = i3 == NONE || s > s3;
      s3 = select(s3, select(s, s2, b2), b3); i3 = select(i3, select(e, i2, b2), b3);
      s2 = select(s2, select(s, s1, b1), b2); i2 = select(i2, select(e, i1, b1), b2);
      s1 = select(s1, select(s, s0, b0), b1); i1 = select(i1, select(e, i0, b0), b1);
      s0 = select(s0, s, b0); i0 = select(i0, e, b0);
    }
    idx_NK[out] = i0;
    if (K > 1u) { idx_NK[out + 1u] = i1; }
    if (K > 2u) { idx_NK[out + 2u] = i2; }
    if (K > 3u) { idx_NK[out + 3u] = i3; }
  } else {
    // Any K: pass k picks the best strictly after the previous pick in the
    // (score desc, index asc) order, so no "taken" mask is needed.
    for (var e = 0u; e < E; e++) { m = max(m, logits_NE[row + e]); }
    var prev_s = 0.0;
    var prev_e = NONE;
    for (var k = 0u; k < K; k++) {
      var best_s = LOWEST;
      var best_e = NONE;
      for (var e = 0u; e < E; e++) {
        let s = score(row, e);
        let after = prev_e == NONE || s < prev_s || (s == prev_s && e > prev_e);
        if (after && (best_e == NONE || s > best_s)) {
          best_s = s;
          best_e = e;
        }
      }
      idx_NK[out + k] = best_e;
      prev_s = best_s;
      prev_e = best_e;
    }
  }
  for (var k = 0u; k < K; k++) { atomicAdd(&counts_E[idx_NK[out + k]], 1u); }

  // weight_k = p_k / sum_j p_j = exp(l_k - m_sel) / sum_j exp(l_j - m_sel),
  // relative to the largest chosen logit m_sel, so that a bias-chosen expert
  // whose probability underflows still gets a finite weight.
  var m_sel = LOWEST;
  for (var k = 0u; k < K; k++) { m_sel = max(m_sel, logits_NE[row + idx_NK[out + k]]); }
  var chosen = 0.0;
  for (var k = 0u; k < K; k++) {
    let v = exp(logits_NE[row + idx_NK[out + k]] - m_sel);
    weight_NK[out + k] = v;
    chosen += v;
  }
  let inv_chosen = 1.0 / chosen;
  for (var k = 0u; k < K; k++) { weight_NK[out + k] *= inv_chosen; }

  var sum = 0.0;
  for (var e = 0u; e < E; e++) {
    let v = exp(logits_NE[row + e] - m);
    probs_NE[row + e] = v;
    sum += v;
  }
  let inv = 1.0 / sum;
  for (var e = 0u; e < E; e++) { probs_NE[row + e] *= inv; }
  lse_N[t] = m + log(sum);
}
