// Wgate_EHF and Wup_EHF for gate-up.wgsl from texture operands
// (engine/gpu/texture-operand.ts): layer e, texel (x, k) = columns 4x .. 4x+3
// of row k. A texel fetch costs SwiftShader far less than a storage gather.
@group(0) @binding(4) var w_gate: texture_2d_array<f32>;
@group(0) @binding(5) var w_up: texture_2d_array<f32>;

// Wgate_e and Wup_e [k, 4g .. 4g + 3].
fn gate_w(e: u32, k: u32, g: u32) -> vec4f {
  return textureLoad(w_gate, vec2i(i32(g), i32(k)), i32(e), 0);
}
fn up_w(e: u32, k: u32, g: u32) -> vec4f {
  return textureLoad(w_up, vec2i(i32(g), i32(k)), i32(e), 0);
}
