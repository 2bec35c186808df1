/**
 * Softmax cross-entropy over logits_NV with integer targets_N, fused with
 * its gradient (training always needs both):
 *   loss[n]  = logsumexp(l[n]) - l[n, t_n]            (0 where t_n = IGNORE_TARGET)
 *   mean     = sum(loss) / validCount                 (validCount = rows with t_n != IGNORE_TARGET)
 *   dlogits  = (softmax(l[n]) - onehot(t_n)) * gradScale / max(validCount, 1)
 * so with nothing ignored and gradScale = 1 the gradient is (softmax - onehot)/N,
 * the gradient of the mean. gradScale lets micro-batching divide further.
 * Policies: logits are clamped to the lowest float (-inf masks work); a row
 * whose logits are ALL the lowest float is uniform (loss ln V, gradient
 * 1/V - onehot), never NaN. A target outside [0, V) other than IGNORE_TARGET
 * gives NaN loss and gradient for its row, so the finite checks fire;
 * validate targets on the host (checkTokenIds with { ignore: IGNORE_TARGET })
 * for an error that names the position.
 * Three deterministic passes: per-row statistics (one workgroup per row),
 * the mean (one workgroup), the gradient (one invocation per logit).
 */
import { dispatch1d, numel, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import gradBody from './grad.wgsl.ts';
import meanBody from './mean.wgsl.ts';
import rowsBody from './rows.wgsl.ts';

/** The one definition of the tunables; both sizes must be powers of two (tree reductions). */
export const CROSS_ENTROPY_TUNING = { WG: 64, MEAN_WG: 256 } as const;
const HEADER = wgslConsts(CROSS_ENTROPY_TUNING);
for (const [k, v] of Object.entries(CROSS_ENTROPY_TUNING)) {
  if ((v & (v - 1)) !== 0) throw new Error(`CROSS_ENTROPY_TUNING.${k} must be a power of two for the tree reductions, got ${v}`);
}

/** A target with this value contributes nothing (padding). */
export const IGNORE_TARGET = 0xffffffff;

const rowsKernel: KernelSource = { name: 'cross_entropy_rows', code: `${HEADER}\n${rowsBody}` };
const meanKernel: KernelSource = { name: 'cross_entropy_mean', code: `${HEADER}\n${meanBody}` };
const gradKernel: KernelSource = { name: 'cross_entropy_grad', code: `${HEADER}\n${gradBody}` };

export interface CrossEntropyOptions {
  /** Extra factor on the gradient (default 1), e.g. 1/microBatches. */
  readonly gradScale?: number;
  /** Skip the gradient pass (evaluation). Default true. */
  readonly computeGrad?: boolean;
  /** Write the gradient here instead of a new tensor (N·V values). */
  readonly dlogits?: Tensor;
}

export interface CrossEntropyResult {
  /** f32 [N]: per-row loss, 0 for ignored rows. */
  readonly loss: Tensor;
  /** f32 [1]: mean over rows that are not ignored (0 when none). */
  readonly meanLoss: Tensor;
  /** u32 [1]: rows that are not ignored. */
  readonly validCount: Tensor;
  /** f32 [N, V], or null when computeGrad is false. */
  readonly dlogits: Tensor | null;
}

export function crossEntropy(gpu: Gpu, logits: Tensor, targets: Tensor, o: CrossEntropyOptions = {}): CrossEntropyResult {
  const op = 'cross-entropy';
  if (logits.dtype !== 'f32' || logits.shape.length < 1) {
    throw new Error(`${op}: logits '${logits.label}' must be f32 [N, V], got ${logits.dtype} [${logits.shape.join(', ')}]`);
  }
  const V = logits.shape[logits.shape.length - 1];
  const N = numel(logits.shape.slice(0, -1));
  if (V < 1) throw new Error(`${op}: logits '${logits.label}' [${logits.shape.join(', ')}] have no classes (V = 0)`);
  if (targets.dtype !== 'u32' || numel(targets.shape) !== N) {
    throw new Error(`${op}: targets '${targets.label}' must be u32 holding N = ${N} values (logits [${logits.shape.join(', ')}]), got ${targets.dtype} [${targets.shape.join(', ')}]`);
  }
  const gradScale = o.gradScale ?? 1;
  if (!Number.isFinite(gradScale)) throw new Error(`${op}: gradScale must be finite, got ${gradScale}`);
  const computeGrad = o.computeGrad ?? true;
  if (o.dlogits && (o.dlogits.dtype !== 'f32' || numel(o.dlogits.shape) !== N * V)) {
    throw new Error(`${op}: dlogits '${o.dlogits.label}' must be f32 holding ${N}·${V} values, got ${o.dlogits.dtype} [${o.dlogits.shape.join(', ')}]`);
  }
  if (o.dlogits && o.dlogits.buffer === logits.buffer) {
    throw new Error(`${op}: dlogits must not be the logits buffer '${logits.label}' (WebGPU forbids binding one buffer as both read and write)`);
  }

  const loss = gpu.empty([N], 'f32', 'ce_loss');
  const stats = gpu.empty([N, 2], 'f32', 'ce_row_stats');
  const meanLoss = gpu.empty([1], 'f32', 'ce_mean_loss');
  const validCount = gpu.empty([1], 'u32', 'ce_valid_count');
  const max = gpu.maxWorkgroupsPerDimension;
  gpu.dispatch(rowsKernel, [loss, stats, logits, targets], dispatch1d(N, CROSS_ENTROPY_TUNING.WG, max), packParams([['u32', N], ['u32', V]]));
  gpu.dispatch(meanKernel, [meanLoss, validCount, loss, targets], [1, 1, 1], packParams([['u32', N]]));
  let dlogits: Tensor | null = null;
  if (computeGrad) {
    dlogits = o.dlogits ?? gpu.empty(logits.shape, 'f32', 'ce_dlogits');
    gpu.dispatch(gradKernel, [dlogits, logits, targets, stats, validCount], dispatch1d(N * V, CROSS_ENTROPY_TUNING.WG, max), packParams([['u32', N], ['u32', V], ['f32', gradScale]]));
  }
  gpu.release(stats);
  return { loss, meanLoss, validCount, dlogits };
}
