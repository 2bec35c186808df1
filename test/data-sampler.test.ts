import { describe, expect, it } from 'vitest';
import { Prng, WindowSampler, validationBatchCount, validationBatches, validationWindowCount } from '../engine/data/index.ts';

const bytesOf = (s: string) => new TextEncoder().encode(s);
const str = (a: Uint32Array) => String.fromCharCode(...a);

describe('Prng (xoshiro128**)', () => {
  it('matches the reference output for state [1, 2, 3, 4]', () => {
    // First outputs of the reference C implementation (prng.di.unimi.it) from s = {1, 2, 3, 4}.
    const p = Prng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3, 4] });
    expect(Array.from({ length: 6 }, () => p.nextU32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('below(n) stays in range and covers it evenly', () => {
    const p = Prng.fromSeed(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) counts[p.below(10)]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200); // ~4.7 sigma
    expect(() => p.below(0)).toThrow(/n must be an integer in \[1, 2\^32\], got 0/);
  });

  it('rejects malformed saved state', () => {
    expect(() => Prng.fromState({ algorithm: 'xoshiro128**', words: [0, 0, 0, 0] })).toThrow(/all-zero state/);
    expect(() => Prng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3] } as never)).toThrow(/four u32/);
  });
});

describe('WindowSampler', () => {
  const data = bytesOf('The quick brown fox jumps over the lazy dog. '.repeat(20));

  it('targets are the inputs shifted by one byte', () => {
    const s = new WindowSampler(bytesOf('abcdefgh'), 3, 1);
    const b = s.gather([2, 0, 4]);
    expect(str(b.inputs_BS)).toBe('cde' + 'abc' + 'efg');
    expect(str(b.targets_BS)).toBe('def' + 'bcd' + 'fgh');
    expect([b.batchSize, b.sequenceLength]).toEqual([3, 3]);
    expect(() => s.gather([5])).toThrow(/window 0 at offset 5 needs bytes \[5, 9\) but the split has 8/);
  });

  it('the same seed draws the same windows; another seed draws others; offsets cover the valid range', () => {
    const a = new WindowSampler(data, 16, 42);
    const b = new WindowSampler(data, 16, 42);
    const c = new WindowSampler(data, 16, 43);
    const offA = a.nextOffsets(2000);
    expect(b.nextOffsets(2000)).toEqual(offA);
    expect(c.nextOffsets(2000)).not.toEqual(offA);
    const max = data.length - 17;
    expect(Math.min(...offA)).toBe(0);
    expect(Math.max(...offA)).toBe(max);
    expect(a.windowCount).toBe(max + 1);
  });

  it('saved state restores the exact continuation, through JSON', () => {
    const s = new WindowSampler(data, 8, 5);
    s.nextBatch(4);
    s.nextBatch(4);
    const saved = JSON.parse(JSON.stringify(s.state()));
    expect(saved.windowsDrawn).toBe(8);
    const expected = [s.nextBatch(4), s.nextBatch(3)];

    const resumed = new WindowSampler(data, 8, 999); // a different seed: the state decides
    resumed.restore(saved);
    const got = [resumed.nextBatch(4), resumed.nextBatch(3)];
    expect(got.map((g) => g.offsets)).toEqual(expected.map((e) => e.offsets));
    expect(got[1].inputs_BS).toEqual(expected[1].inputs_BS);
    expect(resumed.windowsDrawn).toBe(15);
  });

  it('a worker slice of the global offsets equals the same rows of the whole batch', () => {
    const s = new WindowSampler(data, 8, 3);
    const offsets = s.nextOffsets(8);
    const whole = s.gather(offsets);
    const rank1 = s.gather(offsets.slice(4, 8));
    expect(rank1.inputs_BS).toEqual(whole.inputs_BS.subarray(4 * 8, 8 * 8));
  });

  it('a split shorter than one window is an error naming it', () => {
    expect(() => new WindowSampler(bytesOf('abc'), 3, 1, 'validation')).toThrow(/the validation split has 3 bytes, shorter than one window of sequence_length \+ 1 = 4 bytes/);
  });
});

describe('validation batches', () => {
  const data = bytesOf('abcdefghijklmnopqrstu'); // 21 bytes

  it('non-overlapping windows (stride S), full batches only, the same on every call', () => {
    expect(validationWindowCount(data, 4)).toBe(5); // starts 0, 4, 8, 12, 16
    const batches = [...validationBatches(data, 4, 2)];
    expect(batches.map((b) => b.offsets)).toEqual([
      [0, 4],
      [8, 12],
    ]);
    expect(str(batches[1].inputs_BS)).toBe('ijkl' + 'mnop');
    expect(str(batches[1].targets_BS)).toBe('jklm' + 'nopq');
    expect([...validationBatches(data, 4, 2)].map((b) => b.offsets)).toEqual(batches.map((b) => b.offsets));
    expect([...validationBatches(data, 4, 1, 3)]).toHaveLength(3);
    // The last window ends exactly at the last byte.
    expect(str([...validationBatches(data, 4, 5)][0].targets_BS).slice(-4)).toBe('rstu');
  });

  it('too few windows for one batch is an error', () => {
    expect(() => validationBatchCount(data, 4, 6)).toThrow(/validation split has 5 windows of 5 bytes \(21 bytes\), fewer than one batch of 6/);
  });
});
