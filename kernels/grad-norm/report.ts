/**
 * The host side of the finite check: one readback per step of the grad-norm
 * outputs, and an error that names the parameter holding the first NaN/Inf.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { NO_TENSOR, type GradNormResult } from './grad-norm.ts';

export interface GradNormReport {
  readonly norm: number;
  readonly clipScale: number;
  /** The first tensor (in the order given to gradNorm) holding NaN/Inf, or null. */
  readonly nonFinite: { readonly tensor: number; readonly element: number; readonly name: string } | null;
  /** True when the step was skipped (clipScale 0): non-finite values, or a sum of squares past float32. */
  readonly skipped: boolean;
}

export class NonFiniteGradientError extends Error {
  override name = 'NonFiniteGradientError';
  constructor(readonly report: GradNormReport, step?: number) {
    const at = step === undefined ? '' : ` at step ${step}`;
    const nf = report.nonFinite;
    super(
      nf
        ? `gradient of '${nf.name}' (tensor ${nf.tensor}) holds NaN/Inf${at}, first at element ${nf.element}; the optimizer step was skipped. ` +
            'hint: lower the learning rate, check the data, or enable gradient clipping'
        : `gradient norm overflowed float32 (norm ${report.norm})${at}; the optimizer step was skipped. hint: lower the learning rate`,
    );
  }
}

/** Reads norm, scale and the finite check with one readback. `names[t]` names tensor t in messages. */
export async function readGradNormReport(gpu: Gpu, r: GradNormResult, names: readonly string[] = []): Promise<GradNormReport> {
  const [norm, scale, bad] = await gpu.readMany([r.norm, r.clipScale, r.firstNonFinite]);
  const tensor = bad[0];
  const nonFinite = tensor === NO_TENSOR ? null : { tensor, element: bad[1], name: names[tensor] ?? `#${tensor}` };
  return { norm: norm[0], clipScale: scale[0], nonFinite, skipped: scale[0] === 0 };
}

/** Throws NonFiniteGradientError when the step was skipped for non-finite gradients. */
export function assertFiniteGradients(report: GradNormReport, step?: number): void {
  if (report.skipped) throw new NonFiniteGradientError(report, step);
}
