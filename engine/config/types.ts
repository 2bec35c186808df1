/**
 * The validated configuration of a run. Field names follow the original
 * Python system (snake_case, the same in YAML, in environment overrides and
 * here), so a key in a config file is the key in code.
 */

/** Element type of parameters and activations; only float32 is implemented. */
export type DTypeName = 'float32' | 'float16' | 'bfloat16';

/** Token mixing inside a layer; only 'none' (a per-token MoE stack) is implemented. */
export type AttentionKind = 'none' | 'causal';

export interface ModelConfig {
  readonly hidden_dim: number;
  readonly num_layers: number;
  readonly num_experts: number;
  readonly top_k: number;
  /** Capacity per expert is ceil(capacity_factor * N * K / E) when drop_tokens is on. */
  readonly capacity_factor: number;
  readonly drop_tokens: boolean;
  /** Hidden size of each expert's SwiGLU FFN. */
  readonly ffn_dim: number;
  /** Byte-level tokens: always 256. */
  readonly vocab_size: number;
  readonly sequence_length: number;
  readonly dtype: DTypeName;
  readonly attention: AttentionKind;
  /** Loss-free balancing: a per-expert router bias nudged towards even load. */
  readonly router_bias_balancing: boolean;
}

export interface TrainingConfig {
  readonly seed: number;
  readonly max_steps: number;
  /** Sequences per optimizer step over all data-parallel workers. */
  readonly global_batch_size: number;
  /** Sequences per forward/backward; accumulation = global / (micro * data_parallel). */
  readonly micro_batch_size: number;
  readonly learning_rate: number;
  readonly min_learning_rate: number;
  readonly warmup_steps: number;
  readonly weight_decay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  readonly grad_clip: number;
  readonly z_loss_weight: number;
  readonly aux_loss_weight: number;
  readonly eval_every: number;
  readonly eval_batches: number;
  readonly log_every: number;
  /** 'brown' (the bundled Brown corpus) or a path to a UTF-8 text file or folder. */
  readonly corpus: string;
}

export interface ParallelismConfig {
  readonly world_size: number;
  readonly expert_parallel: number;
  readonly data_parallel: number;
}

export interface CheckpointConfig {
  readonly dir: string;
  /** Save every this many steps; 0 saves only at the end. */
  readonly every: number;
  /** Committed steps kept locally (the newest is never deleted). */
  readonly retention: number;
  /** s3://bucket/prefix or file:///path mirror, or null for local only. Credentials come from the environment. */
  readonly remote_uri: string | null;
  /** Committed steps kept in remote_uri (the newest is never deleted). */
  readonly remote_retention: number;
  readonly async: boolean;
}

export interface ElasticConfig {
  readonly min_workers: number;
  readonly max_workers: number;
  readonly heartbeat_ms: number;
  readonly timeout_ms: number;
  /** ws:// or wss:// address of the rendezvous server. The join secret comes from the environment. */
  readonly rendezvous: string;
}

export interface TelemetryConfig {
  /** JSONL file the run appends step and eval records to. */
  readonly path: string;
  /** Per-kernel GPU timings in step records (timestamp queries when available). */
  readonly profile: boolean;
  /** Peak of the device in TFLOP/s, the denominator of MFU. */
  readonly peak_tflops: number;
}

export interface MoeConfig {
  readonly model: ModelConfig;
  readonly training: TrainingConfig;
  readonly parallelism: ParallelismConfig;
  readonly checkpoint: CheckpointConfig;
  readonly elastic: ElasticConfig;
  readonly telemetry: TelemetryConfig;
}

export type SectionName = keyof MoeConfig;
