/**
 * What the kernel benchmark measures: the operations, the shapes, the work
 * each one counts, and the seeded inputs every implementation receives.
 *
 * Legend: N tokens, H hidden, E experts, K top-k, F expert FFN dim (2H).
 *
 *   matmul           C_NF = x_NH · w_HF                       2·N·H·F FLOP
 *   router_fwd       logits = x·Wg, softmax, top-k, renormalise  (N tokens)
 *   router_fwd_bwd   the above, then dx_NH and dWg_HE for an upstream
 *                    gradient dWeight_NK of the combine weights   (N tokens)
 *   experts_fwd      out_t = Σ_k weight[t,k] · FFN_idx[t,k](x_t) with
 *                    FFN_e(v) = (silu(v·Wgate_e) ⊙ (v·Wup_e))·Wdown_e,
 *                    routing (idx_NK, weight_NK) given; includes the
 *                    gather by expert and the weighted combine   6·N·K·H·F FLOP
 *   experts_fwd_bwd  the above, then dx, dWeight, dWgate, dWup, dWdown for
 *                    an upstream gradient dOut_NH               18·N·K·H·F FLOP
 *
 * FLOP counts are the useful work of the routed computation: an
 * implementation that computes every expert for every token (dense masking)
 * does E/K times more arithmetic but is credited with the same count.
 */
export type OpName = 'matmul' | 'router_fwd' | 'router_fwd_bwd' | 'experts_fwd' | 'experts_fwd_bwd';
export const OPS: readonly OpName[] = ['matmul', 'router_fwd', 'router_fwd_bwd', 'experts_fwd', 'experts_fwd_bwd'];

export interface Shape {
  readonly N: number;
  readonly H: number;
  readonly E: number;
  readonly K: number;
  readonly F: number;
}

/** The four shapes, F = 2H. */
export const SHAPES: readonly Shape[] = [
  { N: 512, H: 256, E: 16, K: 2, F: 512 },
  { N: 1024, H: 512, E: 32, K: 2, F: 1024 },
  { N: 2048, H: 1024, E: 64, K: 2, F: 2048 },
  { N: 4096, H: 2048, E: 64, K: 4, F: 4096 },
];

/** Small enough for the float64 reference to check every output of every op. */
export const VALIDATION_SHAPE: Shape = { N: 48, H: 40, E: 8, K: 2, F: 24 };

export function shapeLabel(s: Shape): string {
  return `N=${s.N} H=${s.H} E=${s.E} K=${s.K} F=${s.F}`;
}

export type Unit = 'GFLOP/s' | 'Mtok/s';

export function unitOf(op: OpName): Unit {
  return op.startsWith('router') ? 'Mtok/s' : 'GFLOP/s';
}

/** The work one run of `op` does, in the unit's numerator: FLOP or tokens. */
export function workOf(op: OpName, s: Shape): number {
  switch (op) {
    case 'matmul':
      return 2 * s.N * s.H * s.F;
    case 'router_fwd':
    case 'router_fwd_bwd':
      return s.N;
    case 'experts_fwd':
      return 6 * s.N * s.K * s.H * s.F;
    case 'experts_fwd_bwd':
      return 18 * s.N * s.K * s.H * s.F;
  }
}

/**
 * The arithmetic a variant performs, for estimating its run time at one shape
 * from its rate at another: a dense variant of the experts computes every
 * expert for every token, E/K times the routed work, so its time grows with
 * E/K too. (Throughput is still reported against workOf.)
 */
export function computedWork(op: OpName, s: Shape, variant: string): number {
  return workOf(op, s) * (op.startsWith('experts') && variant === 'dense' ? s.E / s.K : 1);
}

/**
 * The largest tensor `op` binds at shape `s` (inputs, outputs and the
 * engine's intermediates), for the check against the adapter's
 * maxStorageBufferBindingSize: name, shape and bytes (f32).
 */
export function largestTensor(op: OpName, s: Shape): { name: string; shape: number[]; bytes: number } {
  const { N, H, E, K, F } = s;
  const candidates: Array<[string, number[]]> =
    op === 'matmul'
      ? [['x_NH', [N, H]], ['w_HF', [H, F]], ['c_NF', [N, F]]]
      : op.startsWith('router')
        ? [['x_NH', [N, H]], ['wg_HE', [H, E]], ['probs_NE', [N, E]]]
        : [['expert weights w_EHF', [E, H, F]], ['x_NH', [N, H]], ['hidden activations [N·K, F]', [N * K, F]]];
  const sized = candidates.map(([name, shape]) => ({ name, shape, bytes: 4 * shape.reduce((a, b) => a * b, 1) }));
  return sized.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/** Throughput in the op's unit from seconds per run. */
export function throughput(op: OpName, s: Shape, seconds: number): number {
  return workOf(op, s) / seconds / (unitOf(op) === 'Mtok/s' ? 1e6 : 1e9);
}

/**
 * Every input of every op, float32 as all implementations compute in it.
 * Weights are scaled by 1/sqrt(fan-in) so activations stay O(1).
 */
export interface Inputs {
  readonly shape: Shape;
  readonly x_NH: Float32Array;
  /** matmul's right operand. */
  readonly w_HF: Float32Array;
  readonly wg_HE: Float32Array;
  readonly dWeight_NK: Float32Array;
  /** Routing for the experts ops: K distinct experts per token, weights > 0 summing to 1. */
  readonly idx_NK: Uint32Array;
  readonly weight_NK: Float32Array;
  readonly wGate_EHF: Float32Array;
  readonly wUp_EHF: Float32Array;
  readonly wDown_EFH: Float32Array;
  readonly dOut_NH: Float32Array;
}

/** mulberry32: same seed, same inputs, in every run and every implementation. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(n: number, scale: number, r: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/**
 * `experts: false` leaves the expert weights empty (for shapes where no
 * experts op is measured: at the largest shape they are gigabytes); dOut_NH,
 * drawn after them, then differs, but only the experts ops read it.
 */
export function makeInputs(s: Shape, seed = 1, o: { experts?: boolean } = {}): Inputs {
  const { N, H, E, K, F } = s;
  if (K > E) throw new Error(`bench inputs: K=${K} exceeds E=${E}`);
  const r = rng(seed);
  const idx = new Uint32Array(N * K);
  const weight = new Float32Array(N * K);
  const experts = Array.from({ length: E }, (_, e) => e);
  for (let t = 0; t < N; t++) {
    // K distinct experts by a partial Fisher-Yates shuffle: near-uniform load, like a balanced router.
    for (let k = 0; k < K; k++) {
      const j = k + Math.floor(r() * (E - k));
      [experts[k], experts[j]] = [experts[j], experts[k]];
      idx[t * K + k] = experts[k];
    }
    let sum = 0;
    for (let k = 0; k < K; k++) sum += weight[t * K + k] = 0.05 + r();
    for (let k = 0; k < K; k++) weight[t * K + k] /= sum;
  }
  return {
    shape: s,
    x_NH: uniform(N * H, 1, r),
    w_HF: uniform(H * F, 1 / Math.sqrt(H), r),
    wg_HE: uniform(H * E, 1 / Math.sqrt(H), r),
    dWeight_NK: uniform(N * K, 1, r),
    idx_NK: idx,
    weight_NK: weight,
    wGate_EHF: o.experts === false ? new Float32Array(0) : uniform(E * H * F, 1 / Math.sqrt(H), r),
    wUp_EHF: o.experts === false ? new Float32Array(0) : uniform(E * H * F, 1 / Math.sqrt(H), r),
    wDown_EFH: o.experts === false ? new Float32Array(0) : uniform(E * F * H, 1 / Math.sqrt(F), r),
    dOut_NH: uniform(N * H, 1, r),
  };
}

/** What an implementation hands back for validation (fields by op; absent = not produced). */
export interface Outputs {
  readonly c_NF?: Float32Array;
  readonly idx_NK?: Uint32Array;
  readonly weight_NK?: Float32Array;
  readonly dx_NH?: Float32Array;
  readonly dWg_HE?: Float32Array;
  readonly out_NH?: Float32Array;
  readonly dWeight_NK?: Float32Array;
  readonly dWgate_EHF?: Float32Array;
  readonly dWup_EHF?: Float32Array;
  readonly dWdown_EFH?: Float32Array;
}

/** The outputs each op must produce (the validator checks all of them). */
export const OUTPUTS_OF: Readonly<Record<OpName, readonly (keyof Outputs)[]>> = {
  matmul: ['c_NF'],
  router_fwd: ['idx_NK', 'weight_NK'],
  router_fwd_bwd: ['idx_NK', 'weight_NK', 'dx_NH', 'dWg_HE'],
  experts_fwd: ['out_NH'],
  experts_fwd_bwd: ['out_NH', 'dx_NH', 'dWeight_NK', 'dWgate_EHF', 'dWup_EHF', 'dWdown_EFH'],
};

/**
 * One implementation of one op at one shape, ready to run: inputs are
 * already where the implementation keeps them (device memory for GPU
 * stacks), so runs time compute, not uploads.
 */
export interface Prepared {
  /** One complete execution, returning only when the device work is done. */
  run(): Promise<void>;
  /** Runs once more and reads the outputs back. */
  outputs(): Promise<Outputs>;
  dispose(): void;
}

export type Impl = 'moe-engine' | 'jax-js' | 'tfjs' | 'cpu';
export const IMPLS: readonly Impl[] = ['moe-engine', 'jax-js', 'tfjs', 'cpu'];

/** An implementation: which ops it has, and how to prepare one. */
export interface Backend {
  readonly impl: Impl;
  /** Variant names per op when the implementation has several (fastest is reported). */
  variants(op: OpName): readonly string[];
  /** Uploads the inputs and builds what one run needs; throws when `missing(op)` gives a reason. */
  prepare(op: OpName, inputs: Inputs, variant: string): Promise<Prepared>;
  /** Why an op is absent, or null when present. */
  missing(op: OpName): string | null;
}
