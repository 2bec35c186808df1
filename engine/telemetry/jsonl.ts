/**
 * JSONL: one JSON object per line. The writer hands each line to a sink
 * as soon as it is written (the Node file sink appends it with one write
 * call, so a crash loses at most the line being written); the browser
 * demo uses a memory sink and plots from it.
 */
import type { TelemetryRecord } from './records.ts';

export interface LineSink {
  /** Append one line (without its newline). */
  append(line: string): void;
  close(): void;
}

export class JsonlWriter<R extends object = TelemetryRecord> {
  private closed = false;

  constructor(
    private readonly sink: LineSink,
    /** Names the destination in errors. */
    readonly label = 'telemetry',
  ) {}

  write(record: R): void {
    if (this.closed) throw new Error(`JsonlWriter(${this.label}): write after close`);
    this.sink.append(toJsonLine(record));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close();
  }
}

/** One line of JSON; NaN and +-Infinity become null (JSON has no such numbers). */
export function toJsonLine(record: object): string {
  return JSON.stringify(record);
}

/** Records of a JSONL text; blank lines are skipped, a malformed line is an error naming its number. */
export function parseJsonl(text: string): unknown[] {
  const out: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      throw new SyntaxError(`parseJsonl: line ${i + 1} is not JSON (${(e as Error).message}): ${line.slice(0, 80)}`);
    }
  });
  return out;
}

/** Keeps lines in memory (browser demo, tests). */
export class MemorySink implements LineSink {
  readonly lines: string[] = [];
  closed = false;
  append(line: string): void {
    this.lines.push(line);
  }
  close(): void {
    this.closed = true;
  }
}
