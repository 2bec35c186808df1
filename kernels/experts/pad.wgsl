// Copies a batch of matrices [B, M, N] into [B, M2, N2]: cropped where the
// output is smaller, zero-filled where it is larger. The expert kernels read
// their operands 4 floats at a time; this pads H and F to multiples of 4 when
// they are not (and crops the results back). One invocation per output value.
override WG: u32;

struct Params {
  count: u32, // B·M2·N2
  m: u32,
  n: u32,
  m2: u32,
  n2: u32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.count) { return; }
  let col = i % p.n2;
  let row = (i / p.n2) % p.m2;
  let b = i / (p.n2 * p.m2);
  var v = 0.0;
  if (row < p.m && col < p.n) { v = src[(b * p.m + row) * p.n + col]; }
  dst[i] = v;
}
