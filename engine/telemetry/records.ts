/**
 * Telemetry records, one JSON object per line of the run's JSONL file.
 * Losses are in nats per byte; bits per byte = nats / ln 2.
 *
 *   {"type":"run", ...}   once at the start: sizes and whitelisted numbers
 *   {"type":"step", ...}  every logged optimizer step
 *   {"type":"eval", ...}  every validation pass
 *
 * Non-finite numbers (a diverged loss) are written as null, which is what
 * JSON can express; readers treat null as "not a number".
 */

export interface RoutingTelemetry {
  /** Worst layer's max/mean of tokens per expert (1 = perfectly even). */
  readonly load_imbalance: number;
  readonly z_loss: number;
  readonly aux_loss: number;
  /** (layer, expert) pairs that received no token this step. */
  readonly dead_experts: number;
  /** Routed slots dropped for capacity / all routed slots (N*K per layer). */
  readonly dropped_fraction: number;
  /** [L][E] slots routed to each expert before capacity. */
  readonly counts_per_layer: number[][];
}

export interface StepRecord {
  readonly type: 'step';
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly tokens_per_s: number;
  readonly step_ms: number;
  readonly mfu: number;
  readonly grad_norm: number;
  readonly routing: RoutingTelemetry;
  /** Milliseconds per kernel label in this step, when profiling. */
  readonly kernel_ms?: Record<string, number>;
}

export interface EvalRecord {
  readonly type: 'eval';
  readonly step: number;
  readonly val_loss: number;
  readonly val_bpb: number;
}

export interface RunRecord {
  readonly type: 'run';
  /** ISO-8601 time the run started. */
  readonly started_at: string;
  readonly config_hash: string;
  readonly flops_per_token: number;
  readonly active_params_per_token: number;
  readonly total_params: number;
  /** Only whitelisted numeric config fields (see ./run-record.ts): no paths, URIs or anything that could carry a secret. */
  readonly config: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export type TelemetryRecord = RunRecord | StepRecord | EvalRecord;

export function bitsPerByte(lossNats: number): number {
  return lossNats / Math.LN2;
}

export function evalRecord(step: number, valLoss: number): EvalRecord {
  return { type: 'eval', step, val_loss: valLoss, val_bpb: bitsPerByte(valLoss) };
}

export interface RoutingInput {
  /** [L][E] slots routed per expert before capacity. */
  readonly countsPerLayer: readonly (readonly number[])[];
  readonly zLoss: number;
  readonly auxLoss: number;
  /** Slots dropped for capacity, summed over layers. */
  readonly droppedSlots: number;
}

/** The routing block of a step record, derived from per-layer expert counts. */
export function routingTelemetry(r: RoutingInput): RoutingTelemetry {
  let imbalance = 0;
  let dead = 0;
  let routed = 0;
  for (const counts of r.countsPerLayer) {
    const total = counts.reduce((a, b) => a + b, 0);
    routed += total;
    dead += counts.filter((c) => c === 0).length;
    if (total > 0) imbalance = Math.max(imbalance, Math.max(...counts) / (total / counts.length));
  }
  return {
    load_imbalance: imbalance,
    z_loss: r.zLoss,
    aux_loss: r.auxLoss,
    dead_experts: dead,
    dropped_fraction: routed > 0 ? r.droppedSlots / routed : 0,
    counts_per_layer: r.countsPerLayer.map((c) => [...c]),
  };
}
