// One AdamW step over a flat tensor, one invocation per element (torch.optim.AdamW's
// arithmetic, with the gradient first multiplied by a scale read from the GPU):
//   g = grad * s,  s = grad_scale[0]  (global-norm clipping: min(1, clip / norm))
//   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
//   p = p (1 - lr wd)                                   (decoupled weight decay)
//   p = p - step_size * m / (sqrt(v) / sqrt_bc2 + eps)  (step_size = lr / (1 - b1^t))
// s == 0 means "skip this step" (grad-norm writes 0 when the gradients are
// not finite): param, m and v are left untouched, so a bad batch cannot
// poison the weights even before the host reads the finite check.
// WG comes from ADAMW_TUNING (header).

struct Params {
  n: u32,
  lr: f32,
  weight_decay: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  step_size: f32,
  sqrt_bc2: f32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>; // [n]
@group(0) @binding(1) var<storage, read_write> m: array<f32>;     // [n]
@group(0) @binding(2) var<storage, read_write> v: array<f32>;     // [n]
@group(0) @binding(3) var<storage, read> grad: array<f32>;        // [n]
@group(0) @binding(4) var<storage, read> grad_scale: array<f32>;  // [1]
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x + wid.z * nwg.x * nwg.y) * WG + li;
  if (i >= p.n) { return; }
  let s = grad_scale[0];
  if (s == 0.0) { return; }
  let g = grad[i] * s;
  let m1 = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let v1 = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = m1;
  v[i] = v1;
  let decayed = param[i] * (1.0 - p.lr * p.weight_decay);
  param[i] = decayed - p.step_size * m1 / (sqrt(v1) / p.sqrt_bc2 + p.eps);
}
