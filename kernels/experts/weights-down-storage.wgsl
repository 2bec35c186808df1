// Wdown_EFH for down.wgsl from a storage buffer ([E, F, H], read as vec4 along H).
@group(0) @binding(2) var<storage, read> w_down: array<vec4f>;

// Wdown_e [k, 4g .. 4g + 3].
fn down_w(e: u32, k: u32, g: u32) -> vec4f {
  return w_down[(e * p.k_dim + k) * (p.n_dim / 4u) + g];
}
