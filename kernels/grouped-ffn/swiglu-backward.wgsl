// SwiGLU backward, elementwise over the kept rows (r < offsets[E]):
//   a = silu(g) * u,  dg = da * u * silu'(g),  du = da * silu(g)
// with silu'(g) = s * (1 + g * (1 - s)), s = sigmoid(g). Rows beyond the kept
// ones are written 0, so nothing stale survives in the outputs.
struct Params {
  R: u32,
  F: u32,
  E: u32,
}

@group(0) @binding(0) var<storage, read_write> dg: array<f32>;
@group(0) @binding(1) var<storage, read_write> du: array<f32>;
@group(0) @binding(2) var<storage, read> da: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> u: array<f32>;
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.R * p.F) { return; }
  if (i / p.F >= offsets[p.E]) {
    dg[i] = 0.0;
    du[i] = 0.0;
    return;
  }
  let x = g[i];
  let s = 1.0 / (1.0 + exp(-x));
  let d = da[i];
  dg[i] = d * u[i] * s * (1.0 + x * (1.0 - s));
  du[i] = d * x * s;
}
