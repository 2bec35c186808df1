// y[i] = alpha * x[i] + beta * y[i] in place (gradient accumulation, residual
// adds into an existing buffer). One invocation per element.
// WG from ELEMENTWISE_TUNING (header).

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.n) { return; }
  y[i] = p.alpha * x[i] + p.beta * y[i];
}
