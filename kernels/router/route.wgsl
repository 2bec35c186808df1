// Router, per token: softmax over E, top-k of (logits + bias), renormalised
// combine weights; per block of TB tokens: expert counts, sums of the
// probabilities and of lse^2 (the losses kernel sums the blocks in order,
// so the losses are deterministic without float atomics).
// One invocation per token, one workgroup per block of TB tokens.
// TB and E_MAX come from the TypeScript tuning object (kernels/router/router.ts).

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
@group(0) @binding(4) var<storage, read_write> block_counts_BE: array<u32>;
// [blocks, E + 1]: per-expert probability sums, then the sum of lse^2.
@group(0) @binding(5) var<storage, read_write> block_sums_BE1: array<f32>;
@group(0) @binding(6) var<storage, read> logits_NE: array<f32>;
@group(0) @binding(7) var<storage, read> bias_E: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

var<workgroup> counts: array<atomic<u32>, E_MAX>;
var<workgroup> lse2: array<f32, TB>;

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
  let block = wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y;
  if (block * TB >= p.N) { return; } // folded launches overshoot (uniform per workgroup)
  let E = p.E;
  let K = p.K;
  for (var e = lid; e < E; e += TB) { atomicStore(&counts[e], 0u); }
  workgroupBarrier();

  let t = block * TB + lid;
  var my_lse2 = 0.0;
  if (t < p.N) {
    let row = t * E;
    var m = LOWEST;
    for (var e = 0u; e < E; e++) { m = max(m, logits_NE[row + e]); }
    var sum = 0.0;
    for (var e = 0u; e < E; e++) {
      let v = exp(logits_NE[row + e] - m);
      probs_NE[row + e] = v;
      sum += v;
    }
    let inv = 1.0 / sum;
    for (var e = 0u; e < E; e++) { probs_NE[row + e] *= inv; }
    let lse = m + log(sum);
    lse_N[t] = lse;
    my_lse2 = lse * lse;

    // Top-k without a "taken" mask: pass k picks the best (score desc, index
    // asc) strictly after the previous pick in that order. Scanning e upward
    // and replacing only on a strictly greater score sends ties to the lower index.
    var prev_s = 0.0;
    var prev_e = NONE;
    var m_sel = LOWEST;
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
      idx_NK[t * K + k] = best_e;
      atomicAdd(&counts[best_e], 1u);
      m_sel = max(m_sel, logits_NE[row + best_e]);
      prev_s = best_s;
      prev_e = best_e;
    }
    // weight_k = p_k / sum_j p_j = exp(l_k - m_sel) / sum_j exp(l_j - m_sel):
    // relative to the largest chosen logit, so a bias-chosen expert whose
    // probability underflows still gets a finite weight.
    var chosen = 0.0;
    for (var k = 0u; k < K; k++) {
      let v = exp(logits_NE[row + idx_NK[t * K + k]] - m_sel);
      weight_NK[t * K + k] = v;
      chosen += v;
    }
    let inv_chosen = 1.0 / chosen;
    for (var k = 0u; k < K; k++) { weight_NK[t * K + k] *= inv_chosen; }
  }
  lse2[lid] = my_lse2;
  storageBarrier();
  workgroupBarrier();

  // Block sums in ascending token order (deterministic).
  let t0 = block * TB;
  let rows = min(TB, p.N - t0);
  let out = block * (E + 1u);
  for (var e = lid; e < E; e += TB) {
    var s = 0.0;
    for (var i = 0u; i < rows; i++) { s += probs_NE[(t0 + i) * E + e]; }
    block_sums_BE1[out + e] = s;
    block_counts_BE[block * E + e] = atomicLoad(&counts[e]);
  }
  if (lid == 0u) {
    var s = 0.0;
    for (var i = 0u; i < rows; i++) { s += lse2[i]; }
    block_sums_BE1[out + E] = s;
  }
}
