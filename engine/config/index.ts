/** Config: types, schema, validation, environment overrides, model hash. Browser-safe (file loading is in ./node.ts). */
export type { AttentionKind, CheckpointConfig, DTypeName, ElasticConfig, ModelConfig, MoeConfig, ParallelismConfig, SectionName, TelemetryConfig, TrainingConfig } from './types.ts';
export { CONFIG_SCHEMA, SECTION_NAMES, fieldSpec, type FieldSpec } from './schema.ts';
export { ConfigError, formatIssue, formatIssues, type ConfigIssue, type ValueSource } from './errors.ts';
export { envVariableFor, type Env } from './env.ts';
export { checkConfig, type ConfigCheck, type ConfigInput } from './validate.ts';
export { checkConfigText, configFromObject, parseConfigText, type ParseOptions } from './parse.ts';
export { MODEL_SHAPE_FIELDS, modelConfigHash } from './hash.ts';
export { defaultConfig, gradientAccumulationSteps } from './derived.ts';
