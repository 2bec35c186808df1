import { describe, expect, it } from 'vitest';
import { groupSteps, planPrune, stepDir } from '../../elastic/s3-retention.ts';

const committed = (step: number) => [`step=${step}/rank=0.safetensors`, `step=${step}/MANIFEST.json`];

describe('groupSteps', () => {
  it('groups by numeric step, marks manifests, ignores foreign keys', () => {
    const steps = groupSteps([...committed(10), 'step=9/rank=0.safetensors', ...committed(2), 'notes.txt', 'step=x/a']);
    expect(steps.map((s) => [s.step, s.committed])).toEqual([[2, true], [9, false], [10, true]]);
    expect(steps[2].paths).toEqual(['step=10/MANIFEST.json', 'step=10/rank=0.safetensors']);
  });
});

describe('planPrune', () => {
  it('keeps the newest committed steps, drops older ones and abandoned uploads, spares newer uncommitted ones', () => {
    const steps = groupSteps([
      'step=1/rank=0.safetensors', // abandoned
      ...committed(2),
      ...committed(3),
      ...committed(5),
      'step=4/rank=0.safetensors', // between kept steps: may still be written
      'step=6/rank=0.safetensors', // newer than every commit: being written
    ]);
    expect(planPrune(steps, 2)).toEqual({ kept: [3, 5], deleted: [1, 2] });
    expect(planPrune(steps, 1)).toEqual({ kept: [5], deleted: [1, 2, 3, 4] });
    expect(planPrune(steps, 10)).toEqual({ kept: [2, 3, 5], deleted: [1] });
  });

  it('deletes nothing when no step is committed', () => {
    expect(planPrune(groupSteps(['step=1/rank=0.safetensors']), 1)).toEqual({ kept: [], deleted: [] });
  });

  it('refuses keep < 1, which would delete the newest committed step', () => {
    expect(() => planPrune([], 0)).toThrow(/keep must be an integer >= 1/);
    expect(() => planPrune([], 1.5)).toThrow(/keep must be an integer >= 1/);
  });

  it('formats step directories and refuses negative steps', () => {
    expect(stepDir(42)).toBe('step=42/');
    expect(() => stepDir(-1)).toThrow(/non-negative integer/);
  });
});
