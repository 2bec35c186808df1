import { describe, expect, it } from 'vitest';
import {
  ProgressReporter,
  etaMs,
  formatBar,
  formatCount,
  formatDuration,
  formatLogLine,
  formatProgressLine,
  formatSummary,
  type ProgressState,
} from '../engine/progress/index.ts';

// 120 of 400 steps in 65 s: 65/120 s per step x 280 steps left = 151.7 s -> "2m 32s".
const STATE: ProgressState = { step: 120, totalSteps: 400, startStep: 0, elapsedMs: 65_000, loss: 2.345, tokensPerSecond: 1234.5, valBpb: null };

describe('progress formatting', () => {
  it('durations and counts', () => {
    expect([0, 499, 42_000, 245_000, 3_723_000, Number.NaN, -1].map(formatDuration)).toEqual(['0s', '0s', '42s', '4m 05s', '1h 02m', '--', '--']);
    expect([950, 999.4, 999.6, 1234, 12_345, 123_456, 4_560_000, 0.5, 12.34, -2500].map(formatCount)).toEqual([
      '950',
      '999',
      '1.00k',
      '1.23k',
      '12.3k',
      '123k',
      '4.56M',
      '0.50',
      '12.3',
      '-2.50k',
    ]);
    expect(formatBar(0.3, 10)).toBe('[###-------]');
    expect(formatBar(2, 4)).toBe('[####]');
  });

  it('ETA uses only this session: a resumed run measures its own pace', () => {
    expect(etaMs(STATE)).toBeCloseTo((65_000 / 120) * 280, 6);
    // Resumed at step 100; 50 steps in 50 s; 50 steps left -> 50 s.
    expect(etaMs({ ...STATE, startStep: 100, step: 150, elapsedMs: 50_000, totalSteps: 200 })).toBe(50_000);
    expect(etaMs({ ...STATE, step: 0, elapsedMs: 0 })).toBeNull();
  });

  it('the terminal line fills the width with a bar, and degrades on narrow terminals', () => {
    // 80 columns: 79 usable; text around the bar takes 12 + 51 + 4, leaving a 12-cell bar, 30% -> 4 cells (3.6 rounded).
    expect(formatProgressLine(STATE, 80)).toBe('step 120/400 [####--------] 30%  loss 2.345 (3.38 bpb)  1.23k tok/s  ETA 2m 32s');
    expect(formatProgressLine(STATE, 50)).toBe('step 120/400 30% loss 2.345 ETA 2m 32s');
    // Short text (10 + 29 + 4) leaves 36 columns: the bar stops at its 30-cell maximum.
    expect(formatProgressLine({ ...STATE, loss: null, tokensPerSecond: null, step: 0, elapsedMs: 0 }, 80)).toBe(
      `step 0/400 [${'-'.repeat(30)}] 0%  loss --  -- tok/s  ETA --`,
    );
    for (let columns = 20; columns <= 200; columns += 7) {
      const line = formatProgressLine({ ...STATE, valBpb: 3.5 }, columns);
      expect(line.length, `columns ${columns}`).toBeLessThan(columns);
      expect(line).not.toMatch(/[\n\r\x1b]/);
    }
  });

  it('the log line has fixed fields and the validation result once known', () => {
    expect(formatLogLine({ ...STATE, valBpb: 3.6123 })).toBe(
      'step 120/400 (30%)  loss 2.3450 (3.383 bpb)  val 3.612 bpb  1.23k tok/s  elapsed 1m 05s  ETA 2m 32s',
    );
  });

  it('the summary reports steps, tokens, time, bits per byte and output paths', () => {
    const text = formatSummary({
      steps: 400,
      tokens: 409_600,
      wallMs: 451_000,
      trainLoss: 2.365,
      valLoss: 2.503,
      outputs: [
        { label: 'telemetry', path: 'runs/default/telemetry.jsonl' },
        { label: 'checkpoint', path: 'runs/default/checkpoints/step-400' },
      ],
    });
    // 2.365 / ln 2 = 3.4120; 2.503 / ln 2 = 3.6111; 409600 tokens / 451 s = 908.2 tokens/s.
    expect(text).toBe(
      [
        'Training finished: 400 steps, 410k tokens in 7m 31s (908 tokens/s overall, evaluation and shader compiles included)',
        '  train:       3.412 bits/byte (loss 2.3650 nats)',
        '  validation:  3.611 bits/byte (loss 2.5030 nats)',
        '  telemetry:   runs/default/telemetry.jsonl',
        '  checkpoint:  runs/default/checkpoints/step-400',
      ].join('\n'),
    );
    expect(formatSummary({ steps: 0, tokens: 0, wallMs: 0, trainLoss: null, valLoss: null, outputs: [] })).toBe(
      'Training finished: 0 steps, 0 tokens in 0s\n  train:       n/a\n  validation:  n/a',
    );
  });
});

/** A stream double and a hand-driven clock. */
function fakeOutput(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, columns: 80, write: (t: string) => writes.push(t) }, writes };
}

describe('ProgressReporter', () => {
  it('without a terminal: a plain line every logEvery steps and at the last step', () => {
    const { out, writes } = fakeOutput(false);
    let t = 0;
    const r = new ProgressReporter(out, { totalSteps: 12, logEvery: 5, now: () => t });
    for (let step = 1; step <= 12; step++) {
      t += 1000;
      r.update({ step, loss: 2, tokensPerSecond: 500 });
    }
    expect(writes.map((w) => w.split('  ')[0])).toEqual(['step 5/12 (41%)', 'step 10/12 (83%)', 'step 12/12 (100%)']);
    expect(writes[0]).toBe('step 5/12 (41%)  loss 2.0000 (2.885 bpb)  500 tok/s  elapsed 5s  ETA 7s\n');
    expect(writes.join('')).not.toMatch(/[\r\x1b]/);
    r.log('eval: 3.61 bpb');
    r.finish();
    expect(writes.slice(-1)).toEqual(['eval: 3.61 bpb\n']);
  });

  it('on a terminal: redraws in place, throttled, always draws the last step, logs above the bar', () => {
    const { out, writes } = fakeOutput(true);
    let t = 0;
    const r = new ProgressReporter(out, { totalSteps: 10, logEvery: 5, minRedrawMs: 100, now: () => t });
    for (let step = 1; step <= 10; step++) {
      t += 40; // a redraw at most every 100 ms: steps 1, 4, 7 and the final 10
      r.update({ step, loss: 1.5, tokensPerSecond: 2000 });
    }
    expect(writes).toHaveLength(4);
    for (const w of writes) expect(w.startsWith('\r\x1b[2K')).toBe(true);
    expect(writes.map((w) => /step (\d+)\/10/.exec(w)?.[1])).toEqual(['1', '4', '7', '10']);
    const bar = writes[3].slice('\r\x1b[2K'.length);
    r.log('checkpoint saved');
    expect(writes[4]).toBe(`\r\x1b[2Kcheckpoint saved\n${bar}`);
    r.finish({ steps: 10, tokens: 1000, wallMs: 400, trainLoss: null, valLoss: null, outputs: [] });
    expect(writes[5]).toBe('\n');
    expect(writes[6]).toMatch(/^Training finished: 10 steps, 1.00k tokens in 0s \(2.50k tokens\/s overall, evaluation and shader compiles included\)\n/);
  });
});
