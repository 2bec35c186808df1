import { describe, expect, it } from 'vitest';
import { assertRouting, RoutingInvariantError } from '../../kernels/router/assert-routing.ts';

// N = 3 tokens, K = 2, E = 4: a valid routing to break one invariant at a time.
const N = 3;
const K = 2;
const E = 4;
const valid = () => ({
  idx: Uint32Array.from([0, 2, 3, 0, 1, 2]),
  weight: Float32Array.from([0.75, 0.25, 0.5, 0.5, 0.9, 0.1]),
  counts: Uint32Array.from([2, 1, 2, 1]),
});

function check(r: ReturnType<typeof valid>, layer = 'layer4.router'): void {
  assertRouting(r.idx, r.weight, r.counts, N, K, E, layer);
}

describe('assertRouting', () => {
  it('accepts a valid routing, weights within 1e-4 of summing to 1', () => {
    expect(() => check(valid())).not.toThrow();
    const r = valid();
    r.weight[0] += 5e-5;
    expect(() => check(r)).not.toThrow();
  });

  it('rejects sum(counts) != N·K, naming the layer', () => {
    const r = valid();
    r.counts[3] = 2;
    expect(() => check(r)).toThrow(RoutingInvariantError);
    expect(() => check(r)).toThrow(/'layer4\.router'.*sum\(counts\) = 7, expected N·K = 3·2 = 6/);
  });

  it('rejects counts that disagree with idx even when the total is right', () => {
    const r = valid();
    r.counts.set([3, 0, 2, 1]);
    expect(() => check(r)).toThrow(/counts\[0\] = 3 but 2 slots/);
  });

  it('rejects an index outside [0, E)', () => {
    const r = valid();
    r.idx[3] = 4;
    expect(() => check(r)).toThrow(/token 1: idx\[1, 1\] = 4 is outside \[0, 4\)/);
    r.idx[3] = 0xffffffff;
    expect(() => check(r)).toThrow(/outside/);
  });

  it('rejects an expert chosen twice by one token', () => {
    const r = valid();
    r.idx[1] = 0;
    expect(() => check(r)).toThrow(/token 0: expert 0 chosen twice/);
  });

  it('rejects weights that do not sum to 1 within 1e-4', () => {
    const r = valid();
    r.weight[5] = 0.1003;
    expect(() => check(r, 'L1')).toThrow(/'L1'.*token 2: combine weights sum to 1\.000/);
  });

  it('rejects NaN and Inf weights', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const r = valid();
      r.weight[2] = bad;
      expect(() => check(r)).toThrow(new RegExp(`token 1: weight\\[1, 0\\] = ${String(bad)} is not finite`));
    }
  });

  it('rejects arrays of the wrong length', () => {
    const r = valid();
    expect(() => assertRouting(r.idx.slice(1), r.weight, r.counts, N, K, E, 'L0')).toThrow(/N·K = 3·2.*got 5, 6, 4/);
  });
});
