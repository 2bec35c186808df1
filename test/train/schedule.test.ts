import { describe, expect, it } from 'vitest';
import { learningRate } from '../../engine/train/schedule.ts';

const s = { peak: 1e-3, min: 1e-4, warmupSteps: 10, maxSteps: 110 };

describe('learning-rate schedule', () => {
  it('warms up linearly, reaching the peak at the last warm-up step', () => {
    expect(learningRate(0, s)).toBeCloseTo(1e-4, 12);
    expect(learningRate(4, s)).toBeCloseTo(5e-4, 12);
    expect(learningRate(9, s)).toBeCloseTo(1e-3, 12);
  });
  it('decays by a cosine: peak, midpoint average, min at the end', () => {
    expect(learningRate(10, s)).toBeCloseTo(1e-3, 12);
    expect(learningRate(60, s)).toBeCloseTo((1e-3 + 1e-4) / 2, 12);
    expect(learningRate(110, s)).toBeCloseTo(1e-4, 12);
    expect(learningRate(500, s)).toBe(1e-4);
  });
  it('is monotone non-increasing after warm-up', () => {
    for (let t = 10; t < 110; t++) expect(learningRate(t + 1, s)).toBeLessThanOrEqual(learningRate(t, s));
  });
});
