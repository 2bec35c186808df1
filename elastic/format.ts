/**
 * The checkpoint format, runtime-neutral. One step is a directory
 * `step=<N>/` holding one safetensors shard per worker, `rank=<R>.safetensors`
 * (tensors `param/<name>`, `adam_m/<name>`, `adam_v/<name>`), and a
 * `MANIFEST.json` written LAST as the commit marker: a step counts only when
 * its manifest parses and every shard it names has the recorded size and
 * sha256. Pure functions on bytes and JSON; storage lives in ./store.ts.
 */
import type { SamplerState } from '../engine/data/index.ts';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../engine/model/safetensors.ts';

export const SCHEMA_VERSION = 1;
export const MANIFEST_NAME = 'MANIFEST.json';
/** The format string stored in every shard's safetensors metadata. */
export const SHARD_FORMAT = 'moe-engine checkpoint shard';

export const stepDir = (step: number): string => `step=${step}`;
export const shardName = (rank: number): string => `rank=${rank}.safetensors`;
export const manifestPath = (step: number): string => `${stepDir(step)}/${MANIFEST_NAME}`;
export const shardPath = (step: number, rank: number): string => `${stepDir(step)}/${shardName(rank)}`;

/** The step of a directory name `step=<N>`, or null for anything else. */
export function parseStepDir(name: string): number | null {
  const m = /^step=(0|[1-9][0-9]*)$/.exec(name);
  return m && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : null;
}

export interface ShardEntry {
  /** File name inside the step directory, e.g. `rank=0.safetensors`. */
  readonly name: string;
  readonly bytes: number;
  /** 64 lower-case hex digits. */
  readonly sha256: string;
}

export interface ExpertPlacement {
  readonly rank: number;
  /** Expert ids this rank owns, ascending. */
  readonly experts: readonly number[];
}

export interface CheckpointManifest {
  readonly schema_version: number;
  /** Optimizer steps taken when the checkpoint was made (the next step's index). */
  readonly step: number;
  readonly world_size: number;
  /** Which rank owns which experts; every expert exactly once. */
  readonly expert_placement: readonly ExpertPlacement[];
  readonly shards: readonly ShardEntry[];
  /** modelConfigHash of the config that trained it; resume refuses another. */
  readonly model_hash: string;
  /** Data position and the data PRNG, the only random stream training draws from. */
  readonly sampler: SamplerState;
  readonly engine_version: string;
  /** ISO 8601. */
  readonly time: string;
  readonly host: string;
}

/** Host copies of one worker's training state: parameters and AdamW moments by parameter name. */
export interface ShardTensors {
  readonly params: readonly NamedTensor[];
  readonly m: readonly NamedTensor[];
  readonly v: readonly NamedTensor[];
}

const PREFIX = { params: 'param/', m: 'adam_m/', v: 'adam_v/' } as const;

export function encodeShard(t: ShardTensors, metadata: Readonly<Record<string, string>>): Uint8Array {
  const named = (prefix: string, list: readonly NamedTensor[]) => list.map((x) => ({ ...x, name: `${prefix}${x.name}` }));
  return encodeSafetensors([...named(PREFIX.params, t.params), ...named(PREFIX.m, t.m), ...named(PREFIX.v, t.v)], { format: SHARD_FORMAT, ...metadata });
}

/** Splits a shard back into parameters and moments; every tensor must carry one of the three prefixes. */
export function decodeShard(bytes: Uint8Array, source: string): ShardTensors & { metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const out = { params: [] as NamedTensor[], m: [] as NamedTensor[], v: [] as NamedTensor[] };
  for (const [name, t] of tensors) {
    const kind = (Object.keys(PREFIX) as (keyof typeof PREFIX)[]).find((k) => name.startsWith(PREFIX[k]));
    if (!kind) throw new Error(`${source}: tensor '${name}' has none of the prefixes param/, adam_m/, adam_v/; hint: not a moe-engine checkpoint shard`);
    out[kind].push({ ...t, name: name.slice(PREFIX[kind].length) });
  }
  return { ...out, metadata };
}

/** Contiguous expert ranges per rank; world 1 owns all. */
export function contiguousPlacement(numExperts: number, worldSize: number): ExpertPlacement[] {
  if (!Number.isInteger(worldSize) || worldSize < 1 || numExperts % worldSize !== 0) {
    throw new RangeError(`contiguousPlacement: num_experts (${numExperts}) must be divisible by world_size (${worldSize})`);
  }
  const per = numExperts / worldSize;
  return Array.from({ length: worldSize }, (_, rank) => ({ rank, experts: Array.from({ length: per }, (_, i) => rank * per + i) }));
}

export function encodeManifest(m: CheckpointManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(m, null, 2)}\n`);
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Parses and validates a manifest strictly; errors name the source and the field. */
export function parseManifest(bytes: Uint8Array | string, source = MANIFEST_NAME): CheckpointManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ManifestError(`${source}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')}); hint: a torn or foreign file`);
  }
  const fail = (field: string, want: string, got: unknown): never => {
    throw new ManifestError(`${source}: field '${field}' must be ${want}, got ${JSON.stringify(got)}`);
  };
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field, 'an object', v);
  const int = (v: unknown, field: string, min: number): number => (Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : fail(field, `an integer >= ${min} (at most 2^53 - 1)`, v));
  const str = (v: unknown, field: string): string => (typeof v === 'string' && v.length > 0 ? v : fail(field, 'a non-empty string', v));
  const hex64 = (v: unknown, field: string): string => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? v : fail(field, '64 lower-case hex digits', v));
  const arr = (v: unknown, field: string): unknown[] => (Array.isArray(v) ? v : fail(field, 'an array', v));

  const m = obj(raw, '(root)');
  const known = ['schema_version', 'step', 'world_size', 'expert_placement', 'shards', 'model_hash', 'sampler', 'engine_version', 'time', 'host'];
  for (const k of Object.keys(m)) if (!known.includes(k)) throw new ManifestError(`${source}: unknown field '${k}'; hint: written by a newer engine?`);
  if (m.schema_version !== SCHEMA_VERSION) fail('schema_version', String(SCHEMA_VERSION), m.schema_version);
  const step = int(m.step, 'step', 0);
  const worldSize = int(m.world_size, 'world_size', 1);
  const placement = arr(m.expert_placement, 'expert_placement').map((p, i) => {
    const o = obj(p, `expert_placement[${i}]`);
    return { rank: int(o.rank, `expert_placement[${i}].rank`, 0), experts: arr(o.experts, `expert_placement[${i}].experts`).map((e, j) => int(e, `expert_placement[${i}].experts[${j}]`, 0)) };
  });
  if (placement.length !== worldSize || placement.some((p, i) => p.rank !== i)) fail('expert_placement', `one entry per rank 0..${worldSize - 1} in order`, placement.map((p) => p.rank));
  const owned = placement.flatMap((p) => p.experts).sort((a, b) => a - b);
  if (owned.some((e, i) => e !== i)) fail('expert_placement', 'every expert 0..E-1 owned exactly once', owned);
  const shards = arr(m.shards, 'shards').map((s, i) => {
    const o = obj(s, `shards[${i}]`);
    const name = str(o.name, `shards[${i}].name`);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) fail(`shards[${i}].name`, 'a plain file name', name);
    return { name, bytes: int(o.bytes, `shards[${i}].bytes`, 8), sha256: hex64(o.sha256, `shards[${i}].sha256`) };
  });
  const expected = Array.from({ length: worldSize }, (_, r) => shardName(r));
  if (shards.length !== worldSize || shards.some((s, i) => s.name !== expected[i])) fail('shards', `[${expected.join(', ')}] (one per rank, in order)`, shards.map((s) => s.name));
  const sampler = obj(m.sampler, 'sampler');
  const prng = obj(sampler.prng, 'sampler.prng');
  if (prng.algorithm !== 'xoshiro128**') fail('sampler.prng.algorithm', "'xoshiro128**'", prng.algorithm);
  const words = arr(prng.words, 'sampler.prng.words');
  if (words.length !== 4 || words.some((w) => !Number.isInteger(w) || (w as number) < 0 || (w as number) > 0xffffffff)) fail('sampler.prng.words', 'four u32 values', words);
  if (words.every((w) => w === 0)) fail('sampler.prng.words', 'a state other than all zeros (invalid for xoshiro128**)', words);
  const time = str(m.time, 'time');
  if (Number.isNaN(Date.parse(time))) fail('time', 'an ISO 8601 time', time);
  return {
    schema_version: SCHEMA_VERSION,
    step,
    world_size: worldSize,
    expert_placement: placement,
    shards,
    model_hash: hex64(m.model_hash, 'model_hash'),
    sampler: {
      prng: { algorithm: 'xoshiro128**', words: words as unknown as readonly [number, number, number, number] },
      windowsDrawn: int(sampler.windowsDrawn, 'sampler.windowsDrawn', 0),
    },
    engine_version: str(m.engine_version, 'engine_version'),
    time,
    host: str(m.host, 'host'),
  };
}
