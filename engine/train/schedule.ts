/**
 * Learning rate at a step: linear warm-up from 0 to `peak` over
 * `warmupSteps`, then cosine decay to `min` at `maxSteps`. Pure, so a
 * resumed run recomputes exactly the rate it would have had.
 */
export interface LrSchedule {
  readonly peak: number;
  readonly min: number;
  readonly warmupSteps: number;
  readonly maxSteps: number;
}

export function learningRate(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.peak * (step + 1)) / s.warmupSteps;
  if (step >= s.maxSteps) return s.min;
  const span = Math.max(1, s.maxSteps - s.warmupSteps);
  const progress = (step - s.warmupSteps) / span;
  return s.min + 0.5 * (s.peak - s.min) * (1 + Math.cos(Math.PI * progress));
}
