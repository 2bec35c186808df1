/**
 * The checkpoint tiers wired for a Node training run: open the local store
 * named by checkpoint.dir (cleaning temporaries a killed run left) and the
 * remote tier of checkpoint.remote_uri, resume a Trainer from the newest
 * verified step (local first, else downloaded from the remote tier), and a
 * Checkpointer that hashes with node:crypto and hands each local commit to
 * the background remote mirror. Used by `moe train` and `moe ckpt`.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { ensureDirSync } from '../engine/node/dirs.ts';
import { modelConfigHash, type MoeConfig } from '../engine/config/index.ts';
import type { Trainer } from '../engine/train/trainer.ts';
import { Checkpointer } from './checkpointer.ts';
import { DirLockedError, lockDir, type DirLock } from './dir-lock.ts';
import { LocalStore, localHost } from './local-store.ts';
import { nodeSha256 } from './node-sha256.ts';
import { RemoteMirror } from './remote-mirror.ts';
import { openRemoteTier, RemoteTierError, type RemoteTier } from './remote-tier.ts';
import { findResumePoint, type ResumePoint } from './resume.ts';
import type { Environment } from './s3-config.ts';
import { restoreNewestFromRemote } from './s3-mirror.ts';
import { captureTrainer, restoreTrainer } from './trainer-state.ts';

/** The engine version recorded in manifests (package.json's version). */
export function engineVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export class CheckpointDirError extends Error {
  override name = 'CheckpointDirError';
}

/**
 * The local store for checkpoint.dir, created if needed, locked for this
 * process (see dir-lock.ts) and with temporaries from killed writers
 * removed. Throws CheckpointDirError when the directory cannot be created
 * or written, or another run on this machine is using it, before any
 * training. The caller releases the lock when the run ends.
 */
export async function openLocalStore(config: MoeConfig, warn: (m: string) => void): Promise<{ store: LocalStore; lock: DirLock }> {
  const dir = config.checkpoint.dir;
  try {
    ensureDirSync(dir);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new CheckpointDirError(`checkpoint.dir ${dir} cannot be used: ${(e as Error).message}`);
  }
  // Locked before the sweep below: the temporaries of a live run are not leftovers.
  let lock: DirLock;
  try {
    lock = await lockDir(dir, `checkpoint.dir ${dir}`, warn);
  } catch (e) {
    if (e instanceof DirLockedError) throw new CheckpointDirError(e.message);
    throw e;
  }
  const store = new LocalStore(dir);
  let removed: string[];
  try {
    removed = store.cleanTemporaries();
  } catch (e) {
    await lock.release();
    throw new CheckpointDirError(`checkpoint.dir ${dir} cannot be used: removing the temporaries of an interrupted save failed: ${(e as Error).message}`);
  }
  if (removed.length > 0) warn(`checkpoint: removed ${removed.length} temporary file(s) left by an interrupted save in ${store.root}`);
  return { store, lock };
}

/**
 * The tier of checkpoint.remote_uri, checked by listing it once (so a wrong
 * bucket, endpoint or key fails before training, not at the first save);
 * null without a remote_uri. Throws RemoteTierError with a redacted message.
 */
export async function openRemote(config: MoeConfig, env: Environment, log: (line: string) => void): Promise<{ tier: RemoteTier; steps: number[] } | null> {
  const uri = config.checkpoint.remote_uri;
  if (uri === null) return null;
  const tier = openRemoteTier(uri, config.checkpoint.dir, env, log);
  try {
    return { tier, steps: await tier.committedSteps() };
  } catch (e) {
    tier.close();
    throw new RemoteTierError(`checkpoint.remote_uri ${uri}: cannot list it: ${tier.redact((e as Error).message)}`);
  }
}

export interface ResumeResult {
  readonly point: ResumePoint;
  /** 'remote' when the step was first downloaded from the remote tier. */
  readonly from: 'local' | 'remote';
}

/**
 * Resume from the newest verified step of either tier: the local one, unless
 * the remote tier holds a newer step that verifies (a machine whose disk kept
 * an older copy); that step is first written into the local tier (shards,
 * then manifest) and loaded from there. Throws CheckpointMismatchError for a
 * checkpoint of another model shape.
 */
export async function resumeFromTiers(trainer: Trainer, store: LocalStore, remote: RemoteTier | null, warn: (m: string) => void): Promise<ResumeResult | null> {
  const modelHash = modelConfigHash(trainer.config);
  const local = await findResumePoint(store, { modelHash, sha256: nodeSha256, warn, numExperts: trainer.config.model.num_experts });
  const newer = remote
    ? await restoreNewestFromRemote(remote.store, store.root, { sha256: nodeSha256, warn, modelHash, newerThan: local?.snapshot.step ?? -1 })
    : null;
  const point = newer === null ? local : await findResumePoint(store, { modelHash, sha256: nodeSha256, warn, numExperts: trainer.config.model.num_experts });
  if (!point) return null;
  restoreTrainer(trainer, point.snapshot, `${store.root}/step=${point.snapshot.step}`);
  return { point, from: newer === null ? 'local' : 'remote' };
}

export function createRemoteMirror(config: MoeConfig, tier: RemoteTier, warn: (m: string) => void): RemoteMirror {
  return new RemoteMirror({ tier, localRoot: config.checkpoint.dir, retention: config.checkpoint.remote_retention, warn });
}

export function createCheckpointer(config: MoeConfig, store: LocalStore, warn: (m: string) => void, mirror?: RemoteMirror): Checkpointer {
  const checkpointer = new Checkpointer({
    ...(mirror ? { onCommit: (step: number) => mirror.committed(step), pinned: () => mirror.pinned() } : {}),
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
  // A step kept locally only because it was being copied can go once the copy is done.
  mirror?.onCopied(() => checkpointer.retainNow());
  return checkpointer;
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
  /** Saves replaced before they started because storage was slower than training. */
  readonly superseded_saves: number;
  /** Present with checkpoint.remote_uri: newest step copied there, steps waiting or being copied, failed copies so far. */
  readonly remote_last_step?: number | null;
  readonly remote_queue_depth?: number;
  readonly remote_failures?: number;
}

export function checkpointRecord(step: number, c: Checkpointer, mirror?: RemoteMirror): CheckpointRecord {
  const base = { type: 'checkpoint' as const, step, queue_depth: c.queueDepth, last_commit_ms: c.lastCommitMs, last_committed_step: c.lastCommittedStep, superseded_saves: c.supersededSaves };
  return mirror ? { ...base, remote_last_step: mirror.lastMirroredStep, remote_queue_depth: mirror.queueDepth, remote_failures: mirror.failures } : base;
}

export { RemoteTierError };
