/**
 * Small f32 elementwise kernels the layers and the optimizer share: fill,
 * in-place scale, in-place y = alpha·x + beta·y, and out = alpha·a + beta·b.
 * Each is one invocation per element over a folded 1-D launch.
 */
import { dispatch1d, numel, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import addBody from './add.wgsl.ts';
import axpbyBody from './axpby.wgsl.ts';
import fillBody from './fill.wgsl.ts';
import scaleBody from './scale.wgsl.ts';

export const ELEMENTWISE_TUNING = { WG: 64 } as const;
const HEADER = wgslConsts(ELEMENTWISE_TUNING);
const kernel = (name: string, body: string): KernelSource => ({ name, code: `${HEADER}\n${body}` });
const fillKernel = kernel('fill', fillBody);
const scaleKernel = kernel('scale', scaleBody);
const axpbyKernel = kernel('axpby', axpbyBody);
const addKernel = kernel('add', addBody);

function checkF32(op: string, n: number, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== 'f32' || numel(t.shape) !== n) {
      throw new Error(`${op}: '${t.label}' must be f32 holding ${n} values, got ${t.dtype} [${t.shape.join(', ')}]`);
    }
  }
}

function checkScalar(op: string, name: string, v: number): void {
  if (!Number.isFinite(v)) throw new Error(`${op}: ${name} must be finite, got ${v}`);
}

const launch = (gpu: Gpu, n: number) => dispatch1d(n, ELEMENTWISE_TUNING.WG, gpu.maxWorkgroupsPerDimension);

/** out[:] = value. */
export function fill(gpu: Gpu, out: Tensor, value: number): void {
  checkF32('fill', numel(out.shape), out);
  checkScalar('fill', 'value', value);
  gpu.dispatch(fillKernel, [out], launch(gpu, numel(out.shape)), packParams([['u32', numel(out.shape)], ['f32', value]]));
}

/** y *= alpha, in place. */
export function scaleInPlace(gpu: Gpu, y: Tensor, alpha: number): void {
  const n = numel(y.shape);
  checkF32('scale', n, y);
  checkScalar('scale', 'alpha', alpha);
  gpu.dispatch(scaleKernel, [y], launch(gpu, n), packParams([['u32', n], ['f32', alpha]]));
}

/** y = alpha·x + beta·y, in place (beta = 1: accumulate). x and y must be different buffers. */
export function axpby(gpu: Gpu, y: Tensor, x: Tensor, alpha = 1, beta = 1): void {
  const n = numel(y.shape);
  checkF32('axpby', n, y, x);
  checkScalar('axpby', 'alpha', alpha);
  checkScalar('axpby', 'beta', beta);
  if (x.buffer === y.buffer) throw new Error(`axpby: x '${x.label}' and y '${y.label}' are one buffer; hint: use scaleInPlace(y, alpha + beta)`);
  gpu.dispatch(axpbyKernel, [y, x], launch(gpu, n), packParams([['u32', n], ['f32', alpha], ['f32', beta]]));
}

/** out = alpha·a + beta·b into an existing tensor (a and b may be the same buffer, out may not be either). */
export function addInto(gpu: Gpu, out: Tensor, a: Tensor, b: Tensor, alpha = 1, beta = 1): void {
  const n = numel(out.shape);
  checkF32('add', n, out, a, b);
  checkScalar('add', 'alpha', alpha);
  checkScalar('add', 'beta', beta);
  if (out.buffer === a.buffer || out.buffer === b.buffer) throw new Error(`add: output '${out.label}' aliases an input; hint: use axpby for in-place updates`);
  gpu.dispatch(addKernel, [out, a, b], launch(gpu, n), packParams([['u32', n], ['f32', alpha], ['f32', beta]]));
}

/** Allocates out (shaped like a) = alpha·a + beta·b. */
export function add(gpu: Gpu, a: Tensor, b: Tensor, alpha = 1, beta = 1, label = 'add_out'): Tensor {
  const out = gpu.empty(a.shape, 'f32', label);
  addInto(gpu, out, a, b, alpha, beta);
  return out;
}
