/**
 * Writes progress to a stream: on a terminal the bar is redrawn in place
 * (carriage return + clear line), at most every `minRedrawMs`; elsewhere
 * (CI logs, pipes) a plain line every `logEvery` steps and at the last step.
 * All text comes from ./format.ts; this class only decides when and how.
 */
import { formatLogLine, formatProgressLine, formatSummary, type ProgressState, type RunSummary } from './format.ts';

/** process.stdout fits this; so does a test double. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ReporterOptions {
  readonly totalSteps: number;
  /** First step of this session (resume); default 0. */
  readonly startStep?: number;
  /** Plain-line interval when the output is not a terminal (training.log_every). */
  readonly logEvery: number;
  /** Smallest interval between terminal redraws; default 100 ms. */
  readonly minRedrawMs?: number;
  /** Clock in ms; default performance.now. */
  readonly now?: () => number;
}

export interface StepProgress {
  readonly step: number;
  readonly loss: number | null;
  readonly tokensPerSecond: number | null;
  readonly valBpb?: number | null;
}

const CLEAR_LINE = '\r\x1b[2K';

export class ProgressReporter {
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private barShown = '';
  private last: ProgressState | null = null;

  constructor(
    private readonly out: ProgressOutput,
    private readonly options: ReporterOptions,
  ) {
    if (!(options.logEvery >= 1)) throw new RangeError(`ProgressReporter: logEvery must be >= 1, got ${options.logEvery}`);
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  get isTerminal(): boolean {
    return this.out.isTTY === true;
  }

  update(p: StepProgress): void {
    const t = this.now();
    const state: ProgressState = {
      step: p.step,
      totalSteps: this.options.totalSteps,
      startStep: this.options.startStep ?? 0,
      elapsedMs: t - this.started,
      loss: p.loss,
      tokensPerSecond: p.tokensPerSecond,
      valBpb: p.valBpb ?? this.last?.valBpb ?? null,
    };
    this.last = state;
    const final = p.step >= this.options.totalSteps;
    if (this.isTerminal) {
      if (!final && t - this.lastDraw < (this.options.minRedrawMs ?? 100)) return;
      this.lastDraw = t;
      this.barShown = formatProgressLine(state, this.out.columns ?? 80);
      this.out.write(`${CLEAR_LINE}${this.barShown}`);
    } else if (final || p.step % this.options.logEvery === 0) {
      this.out.write(`${formatLogLine(state)}\n`);
    }
  }

  /** A message line (eval result, checkpoint saved) above the bar; the bar is redrawn below it. */
  log(message: string): void {
    if (this.isTerminal && this.barShown) this.out.write(`${CLEAR_LINE}${message}\n${this.barShown}`);
    else this.out.write(`${message}\n`);
  }

  /** Ends the bar's line and prints the summary when given. */
  finish(summary?: RunSummary): void {
    if (this.isTerminal && this.barShown) this.out.write('\n');
    this.barShown = '';
    if (summary) this.out.write(`${formatSummary(summary)}\n`);
  }
}
