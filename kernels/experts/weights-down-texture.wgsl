// Wdown_EFH for down.wgsl from a texture operand (engine/gpu/texture-operand.ts):
// layer e, texel (x, k) = columns 4x .. 4x+3 of row k.
@group(0) @binding(2) var w_down: texture_2d_array<f32>;

// Wdown_e [k, 4g .. 4g + 3].
fn down_w(e: u32, k: u32, g: u32) -> vec4f {
  return textureLoad(w_down, vec2i(i32(g), i32(k)), i32(e), 0);
}
