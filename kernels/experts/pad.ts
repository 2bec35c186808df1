/**
 * Zero-padding (and cropping back) of the expert operands, so that the
 * kernels can read H and F four floats at a time whatever their sizes.
 * Model sizes are multiples of 4 and never take this path.
 */
import { dispatch1d, packParams, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import padBody from './pad.wgsl.ts';

/** The one definition of the pad kernel's workgroup size (a WGSL override). */
export const PAD_TUNING = { WG: 256 } as const;
const PAD: KernelSource = { name: 'experts_pad', code: padBody, constants: PAD_TUNING };

/** n rounded up to a multiple of 4. */
export function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/**
 * A new [B, m2, n2] tensor holding `t` ([B, m, n] or [m, n]; the last two
 * dimensions are the matrix): cropped where smaller, zero-filled where larger.
 */
export function resizeMatrices(gpu: Gpu, t: Tensor, m2: number, n2: number, label: string): Tensor {
  const s = t.shape;
  if (s.length < 2) throw new Error(`resizeMatrices: '${t.label}' is [${s.join(', ')}], expected [..., m, n]`);
  const [m, n] = s.slice(-2);
  const lead = s.slice(0, -2);
  const batch = lead.reduce((a, b) => a * b, 1);
  const out = gpu.empty([...lead, m2, n2], 'f32', label);
  const count = batch * m2 * n2;
  gpu.dispatch(PAD, [out, t], dispatch1d(count, PAD_TUNING.WG, gpu.maxWorkgroupsPerDimension), packParams([['u32', count], ['u32', m], ['u32', n], ['u32', m2], ['u32', n2]]));
  return out;
}
