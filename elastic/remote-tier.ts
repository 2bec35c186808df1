/**
 * The second checkpoint tier named by checkpoint.remote_uri: `s3://bucket/prefix/`
 * (endpoint and credentials from the environment only) or `file:///path` (a
 * second local directory, e.g. a network mount). Either way the layout is the
 * local tier's, a step is copied shards first and MANIFEST.json last, and
 * retention deletes the manifest first, so a reader of the remote tier never
 * takes a half-copied or half-deleted step for a committed one.
 */
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalPath, ensureDirSync } from '../engine/node/dirs.ts';
import { MANIFEST_NAME, manifestPath, parseStepDir, stepDir } from './format.ts';
import { isTemporary, LocalStore } from './local-store.ts';
import { s3ConfigFromEnv, type Environment, type S3Config } from './s3-config.ts';
import { mirrorLocalStep } from './s3-mirror.ts';
import { planPrune, type RemoteStep } from './s3-retention.ts';
import { S3Store } from './s3-store.ts';
import type { CheckpointStore } from './store.ts';

export interface RemoteTier {
  /** The URI as configured, for messages (holds no secret: the config rules refuse one). */
  readonly uri: string;
  /** Read side, for listing, verifying and restoring steps. */
  readonly store: CheckpointStore;
  /** Copies locally committed step `step` from `localRoot`: shards first, then the manifest. */
  mirror(localRoot: string, step: number): Promise<void>;
  /** Keeps the newest `keep` committed remote steps and every step in `protect`; returns the steps deleted. */
  prune(keep: number, protect?: readonly number[]): Promise<readonly number[]>;
  /** Steps with a manifest, newest first. */
  committedSteps(): Promise<number[]>;
  /** Removes every credential value from `text` (a last line of defence for messages). */
  redact(text: string): string;
  close(): void;
}

export class RemoteTierError extends Error {
  override name = 'RemoteTierError';
}

/**
 * Opens the tier for `uri`. Throws RemoteTierError naming what is wrong (a
 * missing credential variable, a file:// tier that is the local tier itself)
 * before anything is written.
 */
export function openRemoteTier(uri: string, localRoot: string, env: Environment, log: (line: string) => void = () => {}): RemoteTier {
  if (uri.startsWith('file://')) return fileTier(uri, localRoot);
  if (uri.startsWith('s3://')) return s3Tier(uri, env, log);
  throw new RemoteTierError(`checkpoint.remote_uri ${JSON.stringify(uri)}: expected s3://bucket/prefix/ or file:///absolute/path`);
}

function fileTier(uri: string, localRoot: string): RemoteTier {
  let root: string;
  try {
    root = fileURLToPath(uri);
  } catch (e) {
    throw new RemoteTierError(`checkpoint.remote_uri ${JSON.stringify(uri)}: ${(e as Error).message}; hint: write it as file:///absolute/path`);
  }
  if (!isAbsolute(root)) throw new RemoteTierError(`checkpoint.remote_uri ${JSON.stringify(uri)}: the path must be absolute (file:///...)`);
  // A second tier that is the first one (also through a symbolic link) would copy a step onto itself and delete it.
  const a = canonicalPath(root);
  const b = canonicalPath(localRoot);
  if (a === b || a.startsWith(b + sep) || b.startsWith(a + sep)) {
    throw new RemoteTierError(`checkpoint.remote_uri ${uri} overlaps checkpoint.dir ${localRoot} (${a} and ${b}); hint: the second tier must be another directory (another disk or a network mount)`);
  }
  const store = new LocalStore(root);
  try {
    ensureDirSync(root);
    // A copy killed mid-file leaves a recognisable temporary; nothing reads it, so sweep it now.
    store.cleanTemporaries();
  } catch (e) {
    throw new RemoteTierError(`checkpoint.remote_uri ${uri}: cannot use ${root}: ${(e as Error).message}`);
  }
  return {
    uri,
    store,
    async mirror(from, step) {
      const dir = join(from, stepDir(step));
      const names = (await readdir(dir)).filter((n) => !isTemporary(n)).sort();
      if (!names.includes(MANIFEST_NAME)) throw new Error(`${dir} has no ${MANIFEST_NAME}, so step ${step} is not committed locally`);
      // Re-mirroring a step un-commits it first: its manifest must never describe other shards.
      await store.remove(manifestPath(step));
      for (const name of names.filter((n) => n !== MANIFEST_NAME)) await store.writeAtomic(`${stepDir(step)}/${name}`, await readFile(join(dir, name)));
      await store.writeAtomic(manifestPath(step), await readFile(join(dir, MANIFEST_NAME)));
    },
    prune: (keep, protect) => pruneStore(store, keep, protect),
    committedSteps: () => committedSteps(store),
    redact: (text) => text,
    close() {},
  };
}

function s3Tier(uri: string, env: Environment, log: (line: string) => void): RemoteTier {
  let store: S3Store;
  let config: S3Config;
  try {
    config = s3ConfigFromEnv(env);
    store = S3Store.fromUri(uri, { config, log });
  } catch (e) {
    // The message without the internal function name it starts with.
    throw new RemoteTierError(`checkpoint.remote_uri ${uri}: ${(e as Error).message.replace(/^[a-zA-Z0-9]+: /, '')}`);
  }
  return {
    uri,
    store,
    async mirror(from, step) {
      await mirrorLocalStep(store, from, step);
    },
    async prune(keep, protect) {
      return (await store.pruneSteps(keep, protect)).deleted;
    },
    async committedSteps() {
      return (await store.listSteps()).filter((s) => s.committed).map((s) => s.step).sort((a, b) => b - a);
    },
    redact: (text) => config.redact(text),
    close: () => store.close(),
  };
}

async function stepsOf(store: CheckpointStore): Promise<RemoteStep[]> {
  const steps: RemoteStep[] = [];
  for (const name of await store.list('')) {
    const step = parseStepDir(name);
    if (step === null) continue;
    const paths = (await store.list(name)).map((n) => `${name}/${n}`).sort();
    steps.push({ step, committed: paths.includes(manifestPath(step)), paths });
  }
  return steps.sort((x, y) => x.step - y.step);
}

async function committedSteps(store: CheckpointStore): Promise<number[]> {
  return (await stepsOf(store)).filter((s) => s.committed).map((s) => s.step).sort((a, b) => b - a);
}

/** Retention for a store without a native prune: the same plan as S3's, manifest deleted first. */
export async function pruneStore(store: CheckpointStore, keep: number, protect: readonly number[] = []): Promise<readonly number[]> {
  const plan = planPrune(await stepsOf(store), keep, protect);
  for (const step of plan.deleted) {
    await store.remove(manifestPath(step));
    await store.remove(stepDir(step));
  }
  return plan.deleted;
}
