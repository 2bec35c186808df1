/**
 * Rules that relate fields to each other. Each names the field it blames
 * and quotes the other field's value (and, when it came from the
 * environment, the variable), e.g.
 *   model.top_k: must be <= model.num_experts (8), got 9
 * A rule runs only when every field it reads passed its own checks.
 *
 * Parallelism: every worker takes its own slice of the data
 * (data_parallel) and the experts of a layer are spread over
 * expert_parallel workers; both must divide world_size. Whether they must
 * multiply to it is the scheduler's choice, so it is not fixed here.
 */

export interface RuleContext {
  /** The validated value of a field. */
  value(path: string): number | boolean | string | null;
  /** `path (value)` or `path (value, from MOE_...)`, for quoting another field. */
  ref(path: string): string;
}

export interface CrossRule {
  /** Fields read; the first is the one blamed. */
  readonly paths: readonly string[];
  /** The broken rule and the value got, or null. */
  check(ctx: RuleContext): string | null;
}

const num = (ctx: RuleContext, path: string) => ctx.value(path) as number;

export const CROSS_RULES: readonly CrossRule[] = [
  {
    paths: ['model.top_k', 'model.num_experts'],
    check: (c) => (num(c, 'model.top_k') <= num(c, 'model.num_experts') ? null : `must be <= ${c.ref('model.num_experts')}, got ${num(c, 'model.top_k')}`),
  },
  {
    paths: ['training.warmup_steps', 'training.max_steps'],
    check: (c) =>
      num(c, 'training.warmup_steps') < num(c, 'training.max_steps') ? null : `must be < ${c.ref('training.max_steps')}, got ${num(c, 'training.warmup_steps')}`,
  },
  {
    paths: ['training.min_learning_rate', 'training.learning_rate'],
    check: (c) =>
      num(c, 'training.min_learning_rate') <= num(c, 'training.learning_rate')
        ? null
        : `must be <= ${c.ref('training.learning_rate')}, got ${num(c, 'training.min_learning_rate')}`,
  },
  {
    paths: ['training.micro_batch_size', 'training.global_batch_size'],
    check: (c) =>
      num(c, 'training.micro_batch_size') <= num(c, 'training.global_batch_size')
        ? null
        : `must be <= ${c.ref('training.global_batch_size')}, got ${num(c, 'training.micro_batch_size')}`,
  },
  {
    paths: ['training.global_batch_size', 'training.micro_batch_size', 'parallelism.data_parallel'],
    check: (c) => {
      const micro = num(c, 'training.micro_batch_size');
      const dp = num(c, 'parallelism.data_parallel');
      const global = num(c, 'training.global_batch_size');
      if (global % (micro * dp) === 0) return null;
      return (
        `must be a multiple of training.micro_batch_size x parallelism.data_parallel (${micro} x ${dp} = ${micro * dp}), got ${global}` +
        ` (gradient accumulation needs whole micro-batches on every worker)`
      );
    },
  },
  {
    paths: ['parallelism.expert_parallel', 'parallelism.world_size'],
    check: (c) =>
      num(c, 'parallelism.world_size') % num(c, 'parallelism.expert_parallel') === 0
        ? null
        : `must divide ${c.ref('parallelism.world_size')}, got ${num(c, 'parallelism.expert_parallel')}`,
  },
  {
    paths: ['parallelism.data_parallel', 'parallelism.world_size'],
    check: (c) =>
      num(c, 'parallelism.world_size') % num(c, 'parallelism.data_parallel') === 0
        ? null
        : `must divide ${c.ref('parallelism.world_size')}, got ${num(c, 'parallelism.data_parallel')}`,
  },
  {
    paths: ['parallelism.expert_parallel', 'model.num_experts'],
    check: (c) =>
      num(c, 'model.num_experts') % num(c, 'parallelism.expert_parallel') === 0
        ? null
        : `must divide ${c.ref('model.num_experts')} so every worker owns the same number of experts, got ${num(c, 'parallelism.expert_parallel')}`,
  },
  {
    paths: ['elastic.max_workers', 'elastic.min_workers'],
    check: (c) =>
      num(c, 'elastic.max_workers') >= num(c, 'elastic.min_workers') ? null : `must be >= ${c.ref('elastic.min_workers')}, got ${num(c, 'elastic.max_workers')}`,
  },
  {
    paths: ['parallelism.world_size', 'elastic.min_workers', 'elastic.max_workers'],
    check: (c) => {
      const w = num(c, 'parallelism.world_size');
      const lo = num(c, 'elastic.min_workers');
      const hi = num(c, 'elastic.max_workers');
      return w >= lo && w <= hi ? null : `must be within [${c.ref('elastic.min_workers')}, ${c.ref('elastic.max_workers')}], got ${w}`;
    },
  },
  {
    paths: ['elastic.timeout_ms', 'elastic.heartbeat_ms'],
    check: (c) =>
      num(c, 'elastic.timeout_ms') > num(c, 'elastic.heartbeat_ms')
        ? null
        : `must be > ${c.ref('elastic.heartbeat_ms')} (a worker needs time to miss a heartbeat), got ${num(c, 'elastic.timeout_ms')}`,
  },
];
