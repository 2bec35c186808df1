/**
 * The run header record. Config values reach telemetry only through this
 * whitelist of numeric fields: paths, URIs, corpus locations and any
 * string are never written, so a telemetry file cannot leak a secret even
 * if one slipped into a config.
 */
import { modelConfigHash } from '../config/hash.ts';
import type { MoeConfig } from '../config/types.ts';
import { flopsPerToken, paramCounts } from './flops.ts';
import type { RunRecord } from './records.ts';

export const TELEMETRY_CONFIG_FIELDS = {
  model: ['hidden_dim', 'num_layers', 'num_experts', 'top_k', 'capacity_factor', 'ffn_dim', 'vocab_size', 'sequence_length'],
  training: [
    'seed',
    'max_steps',
    'global_batch_size',
    'micro_batch_size',
    'learning_rate',
    'min_learning_rate',
    'warmup_steps',
    'weight_decay',
    'beta1',
    'beta2',
    'eps',
    'grad_clip',
    'z_loss_weight',
    'aux_loss_weight',
    'eval_every',
    'eval_batches',
  ],
  parallelism: ['world_size', 'expert_parallel', 'data_parallel'],
  telemetry: ['peak_tflops'],
} as const satisfies { readonly [S in keyof MoeConfig]?: readonly (keyof MoeConfig[S])[] };

export function runRecord(config: MoeConfig, startedAt: Date): RunRecord {
  const picked: Record<string, Record<string, number>> = {};
  for (const [section, keys] of Object.entries(TELEMETRY_CONFIG_FIELDS)) {
    const values = config[section as keyof MoeConfig] as unknown as Record<string, unknown>;
    const out: Record<string, number> = {};
    for (const key of keys) {
      const v = values[key];
      // Defence in depth: a non-number in the whitelist is a programming error, never written.
      if (typeof v !== 'number') throw new TypeError(`runRecord: ${section}.${key} is not numeric (${typeof v}); only numbers may enter telemetry`);
      out[key] = v;
    }
    picked[section] = out;
  }
  const counts = paramCounts(config.model);
  return {
    type: 'run',
    started_at: startedAt.toISOString(),
    config_hash: modelConfigHash(config),
    flops_per_token: flopsPerToken(config),
    active_params_per_token: counts.activePerToken,
    total_params: counts.total,
    config: picked,
  };
}
