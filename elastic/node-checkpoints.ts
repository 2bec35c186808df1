/**
 * The local checkpoint tier wired for a Node training run: open the
 * store named by checkpoint.dir (cleaning temporaries a killed run left),
 * resume a Trainer from the newest verified step, and a Checkpointer that
 * hashes with node:crypto. Used by `moe train` and `moe ckpt`.
 */
import { readFileSync } from 'node:fs';
import { modelConfigHash, type MoeConfig } from '../engine/config/index.ts';
import type { Trainer } from '../engine/train/trainer.ts';
import { Checkpointer } from './checkpointer.ts';
import { LocalStore, localHost } from './local-store.ts';
import { nodeSha256 } from './node-sha256.ts';
import { findResumePoint, type ResumePoint } from './resume.ts';
import { captureTrainer, restoreTrainer } from './trainer-state.ts';

/** The engine version recorded in manifests (package.json's version). */
export function engineVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The local store for checkpoint.dir, with temporaries from killed writers removed. */
export function openLocalStore(config: MoeConfig, warn: (m: string) => void): LocalStore {
  const store = new LocalStore(config.checkpoint.dir);
  const removed = store.cleanTemporaries();
  if (removed.length > 0) warn(`checkpoint: removed ${removed.length} temporary file(s) left by an interrupted save in ${store.root}`);
  return store;
}

/**
 * Loads the newest verified step into the trainer; null (and the trainer
 * untouched) when there is none. Throws CheckpointMismatchError for a
 * checkpoint of another model shape.
 */
export async function resumeFromStore(trainer: Trainer, store: LocalStore, warn: (m: string) => void): Promise<ResumePoint | null> {
  const point = await findResumePoint(store, { modelHash: modelConfigHash(trainer.config), sha256: nodeSha256, warn });
  if (point) restoreTrainer(trainer, point.snapshot, `${store.root}/step=${point.snapshot.step}`);
  return point;
}

export function createCheckpointer(config: MoeConfig, store: LocalStore, warn: (m: string) => void): Checkpointer {
  return new Checkpointer({
    store,
    retention: config.checkpoint.retention,
    depth: 2,
    modelHash: modelConfigHash(config),
    numExperts: config.model.num_experts,
    engineVersion: engineVersion(),
    host: localHost(),
    sha256: nodeSha256,
    warn,
  });
}

/**
 * One save from the training loop: the GPU->host copy here, the rest in the
 * background; `wait` (checkpoint.async: false) commits before returning.
 */
export async function saveTrainer(checkpointer: Checkpointer, trainer: Trainer, wait: boolean): Promise<void> {
  await checkpointer.save(await captureTrainer(trainer));
  if (wait) await checkpointer.flush();
}

/** Telemetry line written after each save is queued. */
export interface CheckpointRecord {
  readonly type: 'checkpoint';
  readonly step: number;
  /** Saves queued or being written. */
  readonly queue_depth: number;
  /** How long the last committed save took, queue to manifest; null before the first commit. */
  readonly last_commit_ms: number | null;
  readonly last_committed_step: number | null;
}

export function checkpointRecord(step: number, c: Checkpointer): CheckpointRecord {
  return { type: 'checkpoint', step, queue_depth: c.queueDepth, last_commit_ms: c.lastCommitMs, last_committed_step: c.lastCommittedStep };
}
