/**
 * Uniform parameter blocks. Binding convention (every kernel): group 0,
 * outputs first, then inputs in order, then this uniform block LAST. The
 * WGSL struct must list the same scalars in the same order, each 4 bytes
 * (u32, i32 or f32); the block is padded to 16 bytes as uniforms require.
 */
export type ParamType = 'u32' | 'i32' | 'f32';
export type ParamField = readonly [ParamType, number];

export function packParams(fields: readonly ParamField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const buf = new ArrayBuffer(bytes);
  const view = new DataView(buf);
  fields.forEach(([type, value], i) => {
    if (!Number.isFinite(value)) throw new Error(`packParams: field ${i} (${type}) is not finite: ${value}`);
    if (type === 'u32') {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`packParams: field ${i} is not a u32: ${value}`);
      view.setUint32(i * 4, value, true);
    } else if (type === 'i32') {
      if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new Error(`packParams: field ${i} is not an i32: ${value}`);
      view.setInt32(i * 4, value, true);
    } else {
      view.setFloat32(i * 4, value, true);
    }
  });
  return buf;
}
