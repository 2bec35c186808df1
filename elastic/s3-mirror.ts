// Glue between the local tier and the S3 tier, in the checkpoint layout:
// mirror a locally committed step (shards first, MANIFEST.json last), and
// restore the newest remote step that verifies into the local tier, so that
// resume then loads it from local disk like any other step.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_NAME, manifestPath, stepDir } from './format.ts';
import { isTemporary, LocalStore } from './local-store.ts';
import { CheckpointMismatchError, listSteps, verifyStep } from './resume.ts';
import type { LocalFile, S3Store } from './s3-store.ts';
import type { CheckpointStore } from './store.ts';

/**
 * Uploads step `step` from the local tier rooted at `localRoot` to `remote`:
 * every shard, then the manifest. Temporaries of killed writers are skipped;
 * a step without a local manifest is refused (it is not committed).
 */
export async function mirrorLocalStep(remote: S3Store, localRoot: string, step: number): Promise<string[]> {
  const dir = join(localRoot, stepDir(step));
  const names = (await readdir(dir)).filter((name) => !isTemporary(name)).sort();
  if (!names.includes(MANIFEST_NAME)) {
    throw new Error(`mirrorLocalStep: ${dir} has no ${MANIFEST_NAME}, so step ${step} is not committed locally. Hint: mirror only after the local commit`);
  }
  const file = (name: string): LocalFile => ({ name, localPath: join(dir, name) });
  const shards = names.filter((name) => name !== MANIFEST_NAME).map(file);
  return remote.mirrorStep(step, shards, file(MANIFEST_NAME));
}

export interface RestoreOptions {
  readonly sha256?: (bytes: Uint8Array) => string;
  /** One line per remote step skipped, naming the file and the reason. */
  readonly warn?: (message: string) => void;
  /** Only steps above this one are considered (the local tier already has it). */
  readonly newerThan?: number;
  /** When given, a verified step trained with another model shape is refused (CheckpointMismatchError) before anything is downloaded. */
  readonly modelHash?: string;
}

/**
 * Finds the newest remote step whose manifest verifies (every shard present
 * with the recorded size and sha256) and writes it into the local tier at
 * `localRoot`, shards first and manifest last, from the verified bytes.
 * Returns the step, or null when no remote step verifies.
 */
export async function restoreNewestFromRemote(remote: CheckpointStore, localRoot: string, options: RestoreOptions = {}): Promise<number | null> {
  const local = new LocalStore(localRoot);
  for (const step of await listSteps(remote)) {
    if (options.newerThan !== undefined && step <= options.newerThan) break;
    const check = await verifyStep(remote, step, options.sha256);
    if (!check.ok) {
      options.warn?.(`remote checkpoint ${remote.where}/${stepDir(step)} skipped: ${check.reason}`);
      continue;
    }
    if (options.modelHash !== undefined && check.manifest.model_hash !== options.modelHash) {
      throw new CheckpointMismatchError(
        `remote checkpoint ${remote.where}/${stepDir(step)} was trained with another model shape (model hash ${check.manifest.model_hash.slice(0, 12)}…, ` +
          `the config gives ${options.modelHash.slice(0, 12)}…); hint: use the config it was trained with, or another checkpoint.remote_uri`,
      );
    }
    for (const [name, bytes] of check.shards) await local.writeAtomic(`${stepDir(step)}/${name}`, bytes);
    // The manifest as stored (not re-encoded), committed last.
    await local.writeAtomic(manifestPath(step), await remote.read(manifestPath(step)));
    return step;
  }
  return null;
}
