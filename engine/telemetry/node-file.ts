/** A JSONL file sink for Node: creates the directory, appends each line with one write call. Node-only. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { JsonlWriter, type LineSink } from './jsonl.ts';
import type { TelemetryRecord } from './records.ts';
import { ensureDirSync } from '../node/dirs.ts';

export function fileLineSink(path: string): LineSink {
  let fd: number;
  try {
    ensureDirSync(dirname(path));
    fd = openSync(path, 'a');
  } catch (e) {
    throw new Error(`telemetry: cannot open '${path}' for appending: ${(e as Error).message} (hint: telemetry.path must be a writable file path)`);
  }
  let open = true;
  return {
    append(line) {
      // One write per line, straight to the file descriptor: no user-space buffer to lose.
      writeSync(fd, `${line}\n`);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** A telemetry writer appending to `path` (the directory is created). */
export function openTelemetryFile<R extends object = TelemetryRecord>(path: string): JsonlWriter<R> {
  return new JsonlWriter<R>(fileLineSink(path), path);
}
