// RMSNorm backward for dx, one invocation per row (WG rows per workgroup,
// no barriers; see forward.wgsl). With r = rinv[n]:
//   y_j = x_j r g_j,  dr/dx_i = -r^3 x_i / H, so
//   dx_i = r g_i dy_i - x_i r^3 / H * sum_j(dy_j g_j x_j)
// The row dot product runs in ascending j (deterministic).
// ACCUMULATE adds into dx (the residual stream's gradient) instead of writing.
// WG comes from RMSNORM_TUNING (header).
override ACCUMULATE: bool = false;

struct Params {
  N: u32,
  H: u32,
}

@group(0) @binding(0) var<storage, read_write> dx: array<f32>;  // [N, H]
@group(0) @binding(1) var<storage, read> dy: array<f32>;        // [N, H]
@group(0) @binding(2) var<storage, read> x: array<f32>;         // [N, H]
@group(0) @binding(3) var<storage, read> g: array<f32>;         // [H]
@group(0) @binding(4) var<storage, read> rinv: array<f32>;      // [N]
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (row >= p.N) { return; }
  let base = row * p.H;
  var dot = 0.0;
  for (var h = 0u; h < p.H; h++) {
    dot = fma(dy[base + h] * g[h], x[base + h], dot);
  }
  let r = rinv[row];
  let c = r * r * r * dot / f32(p.H);
  for (var h = 0u; h < p.H; h++) {
    var v = r * g[h] * dy[base + h] - x[base + h] * c;
    if (ACCUMULATE) { v += dx[base + h]; }
    dx[base + h] = v;
  }
}
