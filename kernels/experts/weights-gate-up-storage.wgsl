// Wgate_EHF and Wup_EHF for gate-up.wgsl from storage buffers ([E, H, F],
// read as vec4 along F).
@group(0) @binding(4) var<storage, read> w_gate: array<vec4f>;
@group(0) @binding(5) var<storage, read> w_up: array<vec4f>;

// Wgate_e and Wup_e [k, 4g .. 4g + 3].
fn gate_w(e: u32, k: u32, g: u32) -> vec4f {
  return w_gate[(e * p.k_dim + k) * (p.n_dim / 4u) + g];
}
fn up_w(e: u32, k: u32, g: u32) -> vec4f {
  return w_up[(e * p.k_dim + k) * (p.n_dim / 4u) + g];
}
