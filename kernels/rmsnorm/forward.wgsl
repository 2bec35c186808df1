// RMSNorm forward, one invocation per row (WG rows per workgroup):
//   rinv[n] = 1 / sqrt(mean_h(x[n, h]^2) + eps),  y[n, h] = x[n, h] * rinv[n] * g[h]
// rinv is saved for the backward pass. The row sum runs in ascending h, so
// the result is the same bits every run. No workgroup memory and no
// barriers: on software WebGPU (SwiftShader) a barrier costs more than a
// whole row of this arithmetic, and hidden sizes here are small (<= a few
// thousand). WG comes from RMSNORM_TUNING (header).

struct Params {
  N: u32,
  H: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read_write> y: array<f32>;    // [N, H]
@group(0) @binding(1) var<storage, read_write> rinv: array<f32>; // [N]
@group(0) @binding(2) var<storage, read> x: array<f32>;          // [N, H]
@group(0) @binding(3) var<storage, read> g: array<f32>;          // [H]
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (row >= p.N) { return; }
  let base = row * p.H;
  var ss = 0.0;
  for (var h = 0u; h < p.H; h++) {
    let v = x[base + h];
    ss = fma(v, v, ss);
  }
  let r = 1.0 / sqrt(ss / f32(p.H) + p.eps);
  rinv[row] = r;
  for (var h = 0u; h < p.H; h++) {
    y[base + h] = x[base + h] * r * g[h];
  }
}
