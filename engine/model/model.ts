/**
 * The byte-level MoE language model:
 *   embedding -> L x [x + MoE(RMSNorm(x))] -> RMSNorm -> LM head -> cross-entropy
 * with explicit forward and backward. A block's token-mixing layer (causal
 * attention, a later addition) goes between the norm and the MoE layer: see
 * `mixForward` / `mixBackward`, the identity for now.
 *
 * Gradients accumulate into `grads` (cleared by `zeroGrads`), so several
 * micro-batches make one optimizer step. Legend: N tokens, H hidden, V vocab.
 */
import type { Gpu, Tensor } from '../gpu/index.ts';
import { crossEntropy } from '../../kernels/cross-entropy/cross-entropy.ts';
import { axpby, add } from '../../kernels/elementwise/elementwise.ts';
import { embeddingBackwardInto, embeddingForward } from '../../kernels/embedding/embedding.ts';
import { matmul, matmulInto } from '../../kernels/matmul/matmul.ts';
import { rmsnormBackwardInto, rmsnormForward } from '../../kernels/rmsnorm/rmsnorm.ts';
import { moeBackward, moeForward, moeStats, releaseMoeForward, type MoeForward, type MoeOptions, type MoeStats, type MoeWeights } from '../layers/moe.ts';
import type { ModelDims } from './dims.ts';
import { initParam, modelParamSpecs, type ParamSpec } from './params.ts';

export interface LossWeights {
  readonly zLoss: number;
  readonly auxLoss: number;
}

/** One micro-batch's results, as GPU tensors for the step's single readback. */
export interface MicroBatchResult {
  /** f32 [1]: mean cross-entropy (nats per byte). */
  readonly loss_1: Tensor;
  readonly layers: readonly MoeStats[];
}

interface BlockSaved {
  readonly x_NH: Tensor;
  readonly h_NH: Tensor;
  readonly rinv_N: Tensor;
  readonly moe: MoeForward;
}

export class MoeModel {
  readonly specs: readonly ParamSpec[];
  readonly params = new Map<string, Tensor>();
  readonly grads = new Map<string, Tensor>();

  constructor(readonly gpu: Gpu, readonly dims: ModelDims) {
    this.specs = modelParamSpecs(dims);
  }

  /** Uploads freshly initialised parameters (same seed, same values) and allocates gradients. */
  static create(gpu: Gpu, dims: ModelDims, seed: number): MoeModel {
    const m = new MoeModel(gpu, dims);
    for (const s of m.specs) m.params.set(s.name, gpu.upload(initParam(s, seed), s.shape, s.name));
    for (const s of m.specs) m.grads.set(s.name, gpu.zeros(s.shape, 'f32', `${s.name}.grad`));
    return m;
  }

  param(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`model has no parameter '${name}'`);
    return t;
  }

  grad(name: string): Tensor {
    const t = this.grads.get(name);
    if (!t) throw new Error(`model has no gradient for '${name}'`);
    return t;
  }

  zeroGrads(): void {
    for (const g of this.grads.values()) this.gpu.clear(g);
  }

  private moeWeights(l: number): MoeWeights {
    const p = `layers.${l}.moe`;
    return { router_HE: this.param(`${p}.router`), wGate_EHF: this.param(`${p}.w_gate`), wUp_EHF: this.param(`${p}.w_up`), wDown_EFH: this.param(`${p}.w_down`) };
  }

  private moeOptions(l: number, w: LossWeights): MoeOptions {
    const d = this.dims;
    return { K: d.topK, capacityFactor: d.capacityFactor, dropTokens: d.dropTokens, zLossWeight: w.zLoss, auxLossWeight: w.auxLoss, label: `layers.${l}.moe` };
  }

  /**
   * Forward and backward of one micro-batch; gradients are added to `grads`.
   * `gradScale` (1 / micro-batches) scales every loss term's gradient.
   */
  forwardBackward(ids_N: Tensor, targets_N: Tensor, w: LossWeights, gradScale: number): MicroBatchResult {
    const gpu = this.gpu;
    const scaled = { zLoss: w.zLoss * gradScale, auxLoss: w.auxLoss * gradScale };
    const { x_NH, blocks, hf_NH, rinvF_N } = this.trunk(ids_N, scaled);
    const logits_NV = matmul(gpu, hf_NH, this.param('lm_head'), {}, 'logits_NV');
    const ce = crossEntropy(gpu, logits_NV, targets_N, { gradScale });
    gpu.release(logits_NV, ce.loss, ce.validCount);
    const dlogits = ce.dlogits!;
    // LM head and final norm.
    matmulInto(gpu, this.grad('lm_head'), hf_NH, dlogits, { transA: true, accumulate: true });
    const dhf_NH = matmul(gpu, dlogits, this.param('lm_head'), { transB: true }, 'dhf_NH');
    gpu.release(dlogits, hf_NH);
    const dx_NH = gpu.zeros(x_NH.shape, 'f32', 'dx_NH');
    rmsnormBackwardInto(gpu, dx_NH, this.grad('final_norm.gain'), dhf_NH, x_NH, this.param('final_norm.gain'), rinvF_N, { accumulateDx: true, accumulateDg: true });
    gpu.release(dhf_NH, rinvF_N, x_NH);
    // Blocks in reverse: x_{l+1} = x_l + MoE(norm(x_l)), so dx_l = dx_{l+1} + norm'(MoE'(dx_{l+1})).
    const layers: MoeStats[] = [];
    for (let l = blocks.length - 1; l >= 0; l--) {
      const b = blocks[l];
      const opts = this.moeOptions(l, scaled);
      const { dx_NH: dh_NH, grads } = moeBackward(gpu, b.moe, this.moeWeights(l), dx_NH, opts);
      const p = `layers.${l}.moe`;
      axpby(gpu, this.grad(`${p}.router`), grads.router_HE);
      axpby(gpu, this.grad(`${p}.w_gate`), grads.wGate_EHF);
      axpby(gpu, this.grad(`${p}.w_up`), grads.wUp_EHF);
      axpby(gpu, this.grad(`${p}.w_down`), grads.wDown_EFH);
      gpu.release(grads.router_HE, grads.wGate_EHF, grads.wUp_EHF, grads.wDown_EFH);
      const dmix_NH = this.mixBackward(l, dh_NH);
      rmsnormBackwardInto(gpu, dx_NH, this.grad(`layers.${l}.norm.gain`), dmix_NH, b.x_NH, this.param(`layers.${l}.norm.gain`), b.rinv_N, { accumulateDx: true, accumulateDg: true });
      gpu.release(dmix_NH);
      layers.unshift(moeStats(b.moe));
      releaseMoeForward(gpu, b.moe);
      gpu.release(b.moe.out_NH, b.h_NH, b.rinv_N, b.x_NH);
    }
    embeddingBackwardInto(gpu, this.grad('embed.table'), dx_NH, ids_N, { accumulate: true });
    gpu.release(dx_NH);
    return { loss_1: ce.meanLoss, layers };
  }

  /** Mean cross-entropy of a batch, no gradients (validation). */
  evaluate(ids_N: Tensor, targets_N: Tensor): MicroBatchResult {
    const gpu = this.gpu;
    const { hf_NH, rinvF_N, x_NH, blocks } = this.trunk(ids_N, { zLoss: 0, auxLoss: 0 });
    const logits_NV = matmul(gpu, hf_NH, this.param('lm_head'), {}, 'logits_NV');
    const ce = crossEntropy(gpu, logits_NV, targets_N, { computeGrad: false });
    gpu.release(logits_NV, ce.loss, ce.validCount, hf_NH, rinvF_N, x_NH);
    const layers = blocks.map((b) => {
      const s = moeStats(b.moe);
      releaseMoeForward(gpu, b.moe);
      gpu.release(b.moe.out_NH, b.h_NH, b.rinv_N, b.x_NH);
      return s;
    });
    return { loss_1: ce.meanLoss, layers };
  }

  /** Logits [N, V] for sampling. */
  logits(ids_N: Tensor): Tensor {
    const gpu = this.gpu;
    const { hf_NH, rinvF_N, x_NH, blocks } = this.trunk(ids_N, { zLoss: 0, auxLoss: 0 });
    const logits_NV = matmul(gpu, hf_NH, this.param('lm_head'), {}, 'logits_NV');
    gpu.release(hf_NH, rinvF_N, x_NH);
    for (const b of blocks) {
      releaseMoeForward(gpu, b.moe);
      gpu.release(b.moe.out_NH, b.h_NH, b.rinv_N, b.x_NH, b.moe.router.counts_E, b.moe.slots.dropped, b.moe.router.zLoss_1, b.moe.router.auxLoss_1);
    }
    return logits_NV;
  }

  /** Embedding, blocks and final norm; keeps what backward needs. */
  private trunk(ids_N: Tensor, w: LossWeights): { x_NH: Tensor; blocks: BlockSaved[]; hf_NH: Tensor; rinvF_N: Tensor } {
    const gpu = this.gpu;
    let x_NH = embeddingForward(gpu, this.param('embed.table'), ids_N, 'x0_NH');
    const blocks: BlockSaved[] = [];
    for (let l = 0; l < this.dims.layers; l++) {
      const { y: n_NH, rinv: rinv_N } = rmsnormForward(gpu, x_NH, this.param(`layers.${l}.norm.gain`), this.dims.rmsEps);
      const h_NH = this.mixForward(l, n_NH);
      const moe = moeForward(gpu, h_NH, this.moeWeights(l), this.moeOptions(l, w));
      const next = add(gpu, x_NH, moe.out_NH, 1, 1, `x${l + 1}_NH`);
      blocks.push({ x_NH, h_NH, rinv_N, moe });
      x_NH = next;
    }
    const { y: hf_NH, rinv: rinvF_N } = rmsnormForward(gpu, x_NH, this.param('final_norm.gain'), this.dims.rmsEps);
    return { x_NH, blocks, hf_NH, rinvF_N };
  }

  /** The block's token-mixing layer (causal attention goes here); identity for now. */
  private mixForward(_layer: number, n_NH: Tensor): Tensor {
    return n_NH;
  }

  private mixBackward(_layer: number, dh_NH: Tensor): Tensor {
    return dh_NH;
  }
}
