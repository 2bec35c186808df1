/**
 * A stable hash of the model-shaping config: the fields that decide which
 * tensors a checkpoint holds and what they mean. A checkpoint records it;
 * resume refuses a checkpoint whose hash differs. Routing knobs that leave
 * the tensors valid (top_k, capacity_factor, drop_tokens) and everything
 * outside `model` are left out, so they may change across a resume.
 * The hash is SHA-256 over canonical JSON (sorted keys), prefixed with a
 * schema version so a change of this list changes every hash.
 */
import { sha256Hex } from './sha256.ts';
import type { ModelConfig } from './types.ts';

export const MODEL_SHAPE_FIELDS = [
  'hidden_dim',
  'num_layers',
  'num_experts',
  'ffn_dim',
  'vocab_size',
  'sequence_length',
  'dtype',
  'attention',
  'router_bias_balancing',
] as const satisfies readonly (keyof ModelConfig)[];

const HASH_VERSION = 'moe-model-shape/v1';

/** 64 hex digits; equal for configs whose model-shaping fields are equal. */
export function modelConfigHash(config: { readonly model: ModelConfig }): string {
  const fields = [...MODEL_SHAPE_FIELDS].sort();
  const canonical = `${HASH_VERSION}\n{${fields.map((f) => `${JSON.stringify(f)}:${JSON.stringify(config.model[f])}`).join(',')}}`;
  return sha256Hex(new TextEncoder().encode(canonical));
}
