/**
 * Where checkpoint files live: a tiny interface so that the checkpointer
 * and resume logic do not care whether bytes go to a local disk, a second
 * local tier or object storage. Paths are relative, '/'-separated
 * (`step=12/rank=0.safetensors`).
 */
export interface CheckpointStore {
  /** Writes `bytes` so that a reader sees either nothing or the whole file under `path`, never a part. */
  writeAtomic(path: string, bytes: Uint8Array): Promise<void>;
  /** The whole file; rejects with a NotFoundError when absent. */
  read(path: string): Promise<Uint8Array>;
  /** Names directly under `dir` ('' for the root), files and directories, temporaries left out; [] when absent. */
  list(dir: string): Promise<string[]>;
  /** Removes a file or a whole directory; absent is fine. */
  remove(path: string): Promise<void>;
  /** Human-readable location for messages, e.g. the directory path. */
  readonly where: string;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/**
 * The file exists but cannot be read as a file: a directory in its place,
 * no permission, an I/O error. Resume skips such a step (naming the file)
 * rather than stopping, as it does for a missing or corrupt one.
 */
export class UnreadableError extends Error {
  override name = 'UnreadableError';
}
