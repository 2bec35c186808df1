/**
 * float64 reference for one AdamW step (Loshchilov & Hutter, decoupled weight
 * decay, as torch.optim.AdamW computes it), written from the formulas:
 *   g = grad * scale;  m' = b1 m + (1-b1) g;  v' = b2 v + (1-b2) g^2
 *   m^ = m' / (1 - b1^t);  v^ = v' / (1 - b2^t)
 *   p' = p (1 - lr wd) - lr m^ / (sqrt(v^) + eps)
 * A scale of 0 is the engine's "skip this step": nothing changes.
 */
export interface AdamWRefHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export function adamwRef(
  param: ArrayLike<number>, grad: ArrayLike<number>, m: ArrayLike<number>, v: ArrayLike<number>, step: number, scale: number, h: AdamWRefHyper,
): { param: Float64Array; m: Float64Array; v: Float64Array } {
  const n = param.length;
  const out = { param: Float64Array.from(param), m: Float64Array.from(m), v: Float64Array.from(v) };
  if (scale === 0) return out;
  for (let i = 0; i < n; i++) {
    const g = grad[i] * scale;
    const m1 = h.beta1 * m[i] + (1 - h.beta1) * g;
    const v1 = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    const mHat = m1 / (1 - h.beta1 ** step);
    const vHat = v1 / (1 - h.beta2 ** step);
    out.m[i] = m1;
    out.v[i] = v1;
    out.param[i] = param[i] * (1 - h.lr * h.weightDecay) - (h.lr * mHat) / (Math.sqrt(vHat) + h.eps);
  }
  return out;
}
