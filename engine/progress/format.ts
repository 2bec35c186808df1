/**
 * Pure formatting of training progress: the in-place bar for terminals,
 * the plain line for logs, and the end-of-run summary. Losses are nats
 * per byte; they are shown with bits per byte (nats / ln 2), the unit the
 * targets are stated in.
 */

export interface ProgressState {
  /** Optimizer steps completed. */
  readonly step: number;
  readonly totalSteps: number;
  /** Step this session started from (0, or the resumed step): ETA uses only this session's pace. */
  readonly startStep: number;
  /** Wall time of this session so far. */
  readonly elapsedMs: number;
  /** Latest training loss (nats), or null before the first. */
  readonly loss: number | null;
  readonly tokensPerSecond: number | null;
  /** Latest validation bits per byte, when one was measured. */
  readonly valBpb?: number | null;
}

export interface RunSummary {
  readonly steps: number;
  readonly tokens: number;
  readonly wallMs: number;
  /** Final training loss (nats), or null when none was measured. */
  readonly trainLoss: number | null;
  readonly valLoss: number | null;
  /** Files the run wrote, e.g. { label: 'telemetry', path: 'runs/x.jsonl' }. */
  readonly outputs: readonly { readonly label: string; readonly path: string }[];
}

const bpb = (nats: number) => nats / Math.LN2;

/** '42s', '4m 05s', '1h 02m'; '--' when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '--';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Three significant digits with a k/M/G/T suffix: 950, 1.23k, 12.3k, 123k, 4.56M. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '--';
  const units = ['', 'k', 'M', 'G', 'T'];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 999.5 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  const sign = n < 0 ? '-' : '';
  if (u === 0) return `${sign}${Number.isInteger(n) || v >= 100 ? Math.round(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}`;
  return `${sign}${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${units[u]}`;
}

/** Time left at this session's pace, or null before any step of it completed. */
export function etaMs(state: ProgressState): number | null {
  const done = state.step - state.startStep;
  if (done <= 0 || state.elapsedMs <= 0) return null;
  return (state.elapsedMs / done) * Math.max(0, state.totalSteps - state.step);
}

/** `[#####-----]` with `width` cells inside the brackets. */
export function formatBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function percent(state: ProgressState): string {
  return `${Math.floor((100 * state.step) / Math.max(1, state.totalSteps))}%`;
}

function lossText(loss: number | null, digits: number): string {
  return loss === null ? 'loss --' : `loss ${loss.toFixed(digits)} (${bpb(loss).toFixed(digits - 1)} bpb)`;
}

function rateText(tokensPerSecond: number | null): string {
  return `${tokensPerSecond === null ? '--' : formatCount(tokensPerSecond)} tok/s`;
}

/**
 * The terminal line, fitted to `columns` (the bar shrinks, then goes, then
 * only step, percent, loss and ETA remain):
 * `step 120/400 [######----------] 30%  loss 2.345 (3.38 bpb)  1.23k tok/s  ETA 4m 12s`
 */
export function formatProgressLine(state: ProgressState, columns = 80): string {
  const head = `step ${state.step}/${state.totalSteps}`;
  const eta = `ETA ${formatDuration(etaMs(state))}`;
  const full = [
    percent(state),
    ` ${lossText(state.loss, 3)}`,
    ...(state.valBpb != null ? [` val ${state.valBpb.toFixed(2)} bpb`] : []),
    ` ${rateText(state.tokensPerSecond)}`,
    ` ${eta}`,
  ].join(' ');
  const compact = `${head} ${percent(state)} ${state.loss === null ? 'loss --' : `loss ${state.loss.toFixed(3)}`} ${eta}`;
  // Leave the last column free: writing into it wraps some terminals and breaks the in-place redraw.
  const max = columns - 1;
  const room = max - head.length - full.length - 4;
  if (room >= 10) return `${head} ${formatBar(state.step / Math.max(1, state.totalSteps), Math.min(30, room))} ${full}`;
  if (head.length + 1 + full.length <= max) return `${head} ${full}`;
  return compact.length <= max ? compact : compact.slice(0, Math.max(0, max));
}

/** The log line (stdout not a terminal): fixed fields, no control characters. */
export function formatLogLine(state: ProgressState): string {
  const parts = [
    `step ${state.step}/${state.totalSteps} (${percent(state)})`,
    lossText(state.loss, 4),
    ...(state.valBpb != null ? [`val ${state.valBpb.toFixed(3)} bpb`] : []),
    rateText(state.tokensPerSecond),
    `elapsed ${formatDuration(state.elapsedMs)}`,
    `ETA ${formatDuration(etaMs(state))}`,
  ];
  return parts.join('  ');
}

/** The end-of-run report. */
export function formatSummary(s: RunSummary): string {
  const rate = s.wallMs > 0 ? ` (${formatCount((s.tokens * 1000) / s.wallMs)} tokens/s overall, evaluation and shader compiles included)` : '';
  const metric = (loss: number | null) => (loss === null ? 'n/a' : `${bpb(loss).toFixed(3)} bits/byte (loss ${loss.toFixed(4)} nats)`);
  const rows: [string, string][] = [
    ['train', metric(s.trainLoss)],
    ['validation', metric(s.valLoss)],
    ...s.outputs.map((o): [string, string] => [o.label, o.path]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return [
    `Training finished: ${s.steps} steps, ${formatCount(s.tokens)} tokens in ${formatDuration(s.wallMs)}${rate}`,
    ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}  ${v}`),
  ].join('\n');
}
