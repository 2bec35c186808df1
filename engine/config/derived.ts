/** Small values derived from a validated config, computed in one place. */
import { configFromObject } from './parse.ts';
import type { MoeConfig } from './types.ts';

/** Every field at its schema default. */
export function defaultConfig(): MoeConfig {
  return configFromObject({}, { origin: 'schema defaults' });
}

/** Micro-batches each worker accumulates per optimizer step: global / (micro * data_parallel). */
export function gradientAccumulationSteps(config: MoeConfig): number {
  return config.training.global_batch_size / (config.training.micro_batch_size * config.parallelism.data_parallel);
}
