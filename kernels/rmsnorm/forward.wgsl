// RMSNorm forward, one workgroup per row:
//   rinv[n] = 1 / sqrt(mean_h(x[n, h]^2) + eps),  y[n, h] = x[n, h] * rinv[n] * g[h]
// rinv is saved for the backward pass. Each invocation sums a fixed strided
// set of columns, then a fixed tree combines the WG partial sums, so the
// result is the same bits every run. WG comes from RMSNORM_TUNING (header).

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

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  // The row is uniform across the workgroup, so this return keeps barriers uniform.
  let row = wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y;
  if (row >= p.N) { return; }
  let base = row * p.H;
  var ss = 0.0;
  for (var h = li; h < p.H; h += WG) {
    let v = x[base + h];
    ss = fma(v, v, ss);
  }
  partial[li] = ss;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) { partial[li] += partial[li + stride]; }
    workgroupBarrier();
  }
  let r = 1.0 / sqrt(partial[0] / f32(p.H) + p.eps);
  if (li == 0u) { rinv[row] = r; }
  for (var h = li; h < p.H; h += WG) {
    y[base + h] = x[base + h] * r * g[h];
  }
}
