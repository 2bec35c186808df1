/**
 * The config schema: every field once, with its type, default, range and a
 * line of documentation. Field-level rules live here; rules that relate two
 * fields live in ./rules.ts. The mapped types tie the schema to ./types.ts,
 * so a field added to one and not the other fails the type check.
 */
import { uriCredentialProblem } from './credentials.ts';
import type { MoeConfig } from './types.ts';

interface BaseSpec<T> {
  readonly default: T;
  readonly doc: string;
  /** Extra rule beyond type and range: the rule text when `value` breaks it, else null. */
  readonly check?: (value: T) => string | null;
}

export interface IntSpec extends BaseSpec<number> {
  readonly type: 'int';
  readonly min: number;
  readonly max: number;
}

export interface NumberSpec extends BaseSpec<number> {
  readonly type: 'number';
  /** Inclusive bounds unless the matching `...Exclusive` flag is set. */
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

export interface BoolSpec extends BaseSpec<boolean> {
  readonly type: 'bool';
}

/** A non-empty string. */
export interface StringSpec extends BaseSpec<string> {
  readonly type: 'string';
}

/** A non-empty string, or null (YAML `null`, `~`, or an empty value) for "none". */
export interface NullableStringSpec extends BaseSpec<string | null> {
  readonly type: 'string?';
}

export interface EnumSpec<T extends string> extends BaseSpec<T> {
  readonly type: 'enum';
  /** Every value the type names, implemented or not. */
  readonly values: readonly T[];
  /** The values the engine implements today. */
  readonly supported: readonly T[];
}

export type FieldSpec = IntSpec | NumberSpec | BoolSpec | StringSpec | NullableStringSpec | EnumSpec<string>;

type SpecFor<T> = [T] extends [boolean]
  ? BoolSpec
  : [T] extends [number]
    ? IntSpec | NumberSpec
    : [T] extends [string]
      ? string extends T
        ? StringSpec
        : EnumSpec<T & string>
      : [T] extends [string | null]
        ? NullableStringSpec
        : never;

export type SectionSchema<S> = { readonly [K in keyof S]-?: SpecFor<S[K]> };
export type ConfigSchema = { readonly [S in keyof MoeConfig]: SectionSchema<MoeConfig[S]> };

const U32_MAX = 0xffffffff;

export const CONFIG_SCHEMA: ConfigSchema = {
  model: {
    hidden_dim: { type: 'int', min: 1, max: 65536, default: 64, doc: 'model (residual) width H' },
    num_layers: { type: 'int', min: 1, max: 1024, default: 2, doc: 'MoE layers L' },
    num_experts: { type: 'int', min: 1, max: 4096, default: 4, doc: 'experts per layer E' },
    top_k: { type: 'int', min: 1, max: 4096, default: 2, doc: 'experts chosen per token K' },
    capacity_factor: { type: 'number', min: 0, minExclusive: true, max: 1024, default: 1.25, doc: 'expert capacity C = ceil(factor * N * K / E)' },
    drop_tokens: { type: 'bool', default: true, doc: 'drop slots beyond capacity (the residual carries them)' },
    ffn_dim: { type: 'int', min: 1, max: 262144, default: 128, doc: 'expert FFN width F' },
    vocab_size: {
      type: 'int',
      min: 1,
      max: 1 << 20,
      default: 256,
      doc: 'byte-level vocabulary',
      check: (v) => (v === 256 ? null : 'must be 256: tokens are bytes (byte-level model)'),
    },
    sequence_length: { type: 'int', min: 1, max: 1 << 20, default: 64, doc: 'tokens per sequence S' },
    dtype: { type: 'enum', values: ['float32', 'float16', 'bfloat16'], supported: ['float32'], default: 'float32', doc: 'element type' },
    attention: { type: 'enum', values: ['none', 'causal'], supported: ['none'], default: 'none', doc: 'token mixing between positions' },
    router_bias_balancing: { type: 'bool', default: false, doc: 'loss-free balancing with a per-expert router bias' },
  },
  training: {
    seed: { type: 'int', min: 0, max: U32_MAX, default: 1234, doc: 'seed of initialisation and data sampling' },
    max_steps: { type: 'int', min: 1, max: 1e9, default: 400, doc: 'optimizer steps' },
    global_batch_size: { type: 'int', min: 1, max: 1 << 24, default: 16, doc: 'sequences per optimizer step, all workers' },
    micro_batch_size: { type: 'int', min: 1, max: 1 << 24, default: 16, doc: 'sequences per forward/backward pass' },
    learning_rate: { type: 'number', min: 0, minExclusive: true, max: 10, default: 3e-3, doc: 'peak AdamW learning rate' },
    min_learning_rate: { type: 'number', min: 0, max: 10, default: 3e-4, doc: 'floor of the cosine decay' },
    warmup_steps: { type: 'int', min: 0, max: 1e9, default: 20, doc: 'linear warm-up steps' },
    weight_decay: { type: 'number', min: 0, max: 10, default: 0.1, doc: 'AdamW decoupled weight decay' },
    beta1: { type: 'number', min: 0, max: 1, maxExclusive: true, default: 0.9, doc: 'AdamW first-moment decay' },
    beta2: { type: 'number', min: 0, max: 1, maxExclusive: true, default: 0.95, doc: 'AdamW second-moment decay' },
    eps: { type: 'number', min: 0, minExclusive: true, max: 1, default: 1e-8, doc: 'AdamW denominator epsilon' },
    grad_clip: { type: 'number', min: 0, max: 1e6, default: 1, doc: 'global gradient-norm clip (0 = off)' },
    z_loss_weight: { type: 'number', min: 0, max: 1e3, default: 1e-3, doc: 'router z-loss weight' },
    aux_loss_weight: { type: 'number', min: 0, max: 1e3, default: 1e-2, doc: 'load-balancing auxiliary loss weight' },
    eval_every: { type: 'int', min: 1, max: 1e9, default: 50, doc: 'steps between validation passes' },
    eval_batches: { type: 'int', min: 1, max: 1e6, default: 8, doc: 'micro-batches per validation pass' },
    log_every: { type: 'int', min: 1, max: 1e9, default: 10, doc: 'steps between progress lines when stdout is not a terminal' },
    corpus: { type: 'string', default: 'brown', doc: "'brown' (bundled Brown corpus) or a path to a UTF-8 text file or folder" },
  },
  parallelism: {
    world_size: { type: 'int', min: 1, max: 65536, default: 1, doc: 'workers (one GPU each)' },
    expert_parallel: { type: 'int', min: 1, max: 65536, default: 1, doc: 'workers the experts of a layer are spread over' },
    data_parallel: { type: 'int', min: 1, max: 65536, default: 1, doc: 'workers that each take a different slice of the batch' },
  },
  checkpoint: {
    dir: { type: 'string', default: 'checkpoints', doc: 'local checkpoint directory' },
    every: { type: 'int', min: 0, max: 1e9, default: 100, doc: 'steps between saves (0 = only at the end)' },
    retention: { type: 'int', min: 1, max: 1e6, default: 3, doc: 'committed steps kept locally' },
    remote_uri: {
      type: 'string?',
      default: null,
      doc: 's3://bucket/prefix (or file:///path) mirror; credentials only from the environment',
      check: (v) => (v === null ? null : (uriCredentialProblem(v) ?? remoteUriProblem(v))),
    },
    remote_retention: { type: 'int', min: 1, max: 1e6, default: 3, doc: 'committed steps kept in remote_uri (the newest is never deleted)' },
    async: { type: 'bool', default: true, doc: 'save in the background while training continues' },
  },
  elastic: {
    min_workers: { type: 'int', min: 1, max: 65536, default: 1, doc: 'fewest workers a run continues with' },
    max_workers: { type: 'int', min: 1, max: 65536, default: 1, doc: 'most workers a run admits' },
    heartbeat_ms: { type: 'int', min: 1, max: 3_600_000, default: 1000, doc: 'interval of worker heartbeats' },
    timeout_ms: { type: 'int', min: 1, max: 86_400_000, default: 10_000, doc: 'silence after which a worker is declared lost' },
    rendezvous: {
      type: 'string',
      default: 'ws://127.0.0.1:29400',
      doc: 'ws:// or wss:// address of the rendezvous server; the join secret comes from MOE_RENDEZVOUS_SECRET',
      check: (v) => uriCredentialProblem(v) ?? rendezvousProblem(v),
    },
  },
  telemetry: {
    path: { type: 'string', default: 'runs/telemetry.jsonl', doc: 'JSONL file of step and eval records' },
    profile: { type: 'bool', default: false, doc: 'per-kernel GPU timings in step records' },
    peak_tflops: { type: 'number', min: 0, minExclusive: true, max: 1e6, default: 0.006, doc: 'device peak TFLOP/s for MFU (default: SwiftShader on 2 cores)' },
  },
};

export const SECTION_NAMES = Object.keys(CONFIG_SCHEMA) as (keyof MoeConfig)[];

/** The spec of `section.key`, or undefined when there is no such field. */
export function fieldSpec(section: string, key: string): FieldSpec | undefined {
  if (!Object.hasOwn(CONFIG_SCHEMA, section)) return undefined;
  const fields = CONFIG_SCHEMA[section as keyof MoeConfig] as unknown as Record<string, FieldSpec>;
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

export function sectionKeys(section: keyof MoeConfig): string[] {
  return Object.keys(CONFIG_SCHEMA[section]);
}

function remoteUriProblem(v: string): string | null {
  if (/[?#]/.test(v)) return 'must not have a query string or fragment (a signature or token does not belong in a config)';
  return /^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/\/.+)$/.test(v)
    ? null
    : 'must be s3://bucket[/prefix] (bucket: 3-63 lowercase letters, digits, dots, hyphens) or file:///absolute/path';
}

function rendezvousProblem(v: string): string | null {
  return /^wss?:\/\/[^\s/]+(\/\S*)?$/.test(v) ? null : 'must be a ws:// or wss:// address, e.g. ws://127.0.0.1:29400';
}
