/**
 * Training FLOPs of the MoE model and model FLOP utilisation (MFU).
 *
 * FLOPs per token = 6 x (matmul parameters a token passes through) + attention:
 * 2 for the forward multiply-add and 4 for the two backward products. A
 * token passes through the router (H x E), K of the E experts (3 x H x F
 * each: gate, up, down) in every layer, and the LM head (H x V); with
 * attention also its 4 H x H projections, plus the score and value
 * products, 12 x L x H x S (PaLM's convention, not halved for the causal
 * mask). Embedding lookups and norms do no matmul work and are left out.
 * Capacity drops are ignored: MFU counts the model's work, not the
 * engine's.
 */
import type { ModelConfig } from '../config/types.ts';

export interface ParamCounts {
  /** Every parameter: embedding, norms, routers, all experts, attention, LM head. */
  readonly total: number;
  /** Matmul parameters one token passes through (router, K experts, attention, LM head). */
  readonly activePerToken: number;
}

type ModelShape = Pick<ModelConfig, 'hidden_dim' | 'num_layers' | 'num_experts' | 'top_k' | 'ffn_dim' | 'vocab_size' | 'sequence_length' | 'attention'>;

export function paramCounts(model: ModelShape): ParamCounts {
  const { hidden_dim: H, num_layers: L, num_experts: E, top_k: K, ffn_dim: F, vocab_size: V } = model;
  const expert = 3 * H * F;
  const router = H * E;
  const attention = model.attention === 'none' ? 0 : 4 * H * H;
  const norms = (L * (model.attention === 'none' ? 1 : 2) + 1) * H;
  return {
    total: V * H + L * (router + E * expert + attention) + norms + H * V,
    activePerToken: L * (router + K * expert + attention) + H * V,
  };
}

/** Training FLOPs (forward + backward) per token for the config's model. */
export function flopsPerToken(config: { readonly model: ModelShape }): number {
  const m = config.model;
  const attentionScores = m.attention === 'none' ? 0 : 12 * m.num_layers * m.hidden_dim * m.sequence_length;
  return 6 * paramCounts(m).activePerToken + attentionScores;
}

/** Achieved FLOP/s over the peak: flopsPerToken x tokens/s / (peak TFLOP/s x 1e12). */
export function modelFlopsUtilization(flopsPerTokenValue: number, tokensPerSecond: number, peakTflops: number): number {
  if (!(peakTflops > 0)) throw new RangeError(`modelFlopsUtilization: peak must be > 0 TFLOP/s, got ${peakTflops} (hint: telemetry.peak_tflops)`);
  return (flopsPerTokenValue * tokensPerSecond) / (peakTflops * 1e12);
}
