// RMSNorm backward for the gain, stage 2 of 2: dg[h] = sum over chunks c, in
// ascending order, of partial[c, h]. One invocation per column, so the
// summation order is fixed. ACCUMULATE adds into dg (micro-batch accumulation).
// WG comes from RMSNORM_TUNING (header).
override ACCUMULATE: bool = false;

struct Params {
  H: u32,
  chunks: u32,
}

@group(0) @binding(0) var<storage, read_write> dg: array<f32>;   // [H]
@group(0) @binding(1) var<storage, read> partial: array<f32>;    // [chunks, H]
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let h = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (h >= p.H) { return; }
  var s = 0.0;
  for (var c = 0u; c < p.chunks; c++) {
    s += partial[c * p.H + h];
  }
  if (ACCUMULATE) { s += dg[h]; }
  dg[h] = s;
}
