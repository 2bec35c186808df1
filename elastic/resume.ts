/**
 * Choosing where to resume: the newest step whose manifest verifies, i.e.
 * MANIFEST.json parses and names every shard present with the recorded
 * byte size and sha256. A step that fails is skipped with a warning naming
 * the file and the reason; a verified step trained with another model
 * shape is refused (CheckpointMismatchError), never silently loaded.
 */
import { sha256Hex } from '../engine/config/sha256.ts';
import { decodeShard, MANIFEST_NAME, manifestPath, parseManifest, parseStepDir, stepDir, type CheckpointManifest } from './format.ts';
import { mergeShards } from './sharding.ts';
import { NotFoundError, UnreadableError, type CheckpointStore } from './store.ts';
import type { TrainingSnapshot } from './trainer-state.ts';

export class CheckpointMismatchError extends Error {
  override name = 'CheckpointMismatchError';
}

export type StepCheck =
  | { readonly step: number; readonly ok: true; readonly manifest: CheckpointManifest; readonly shards: ReadonlyMap<string, Uint8Array> }
  | { readonly step: number; readonly ok: false; readonly reason: string };

/** Step numbers of the `step=<N>` directories in the store, newest first. */
export async function listSteps(store: CheckpointStore): Promise<number[]> {
  return (await store.list(''))
    .map(parseStepDir)
    .filter((s): s is number => s !== null)
    .sort((a, b) => b - a);
}

/** Reads and checks one step; never throws for a missing, torn or corrupt file (that is the `reason`). */
export async function verifyStep(store: CheckpointStore, step: number, sha256: (b: Uint8Array) => string = sha256Hex): Promise<StepCheck> {
  const where = (name: string) => `${store.where}/${stepDir(step)}/${name}`;
  let manifest: CheckpointManifest;
  try {
    manifest = parseManifest(await store.read(manifestPath(step)), where(MANIFEST_NAME));
  } catch (e) {
    if (e instanceof NotFoundError) return { step, ok: false, reason: `${where(MANIFEST_NAME)} is missing (save never committed)` };
    return { step, ok: false, reason: (e as Error).message };
  }
  if (manifest.step !== step) return { step, ok: false, reason: `${where(MANIFEST_NAME)} records step ${manifest.step}, not ${step}` };
  const shards = new Map<string, Uint8Array>();
  for (const s of manifest.shards) {
    let bytes: Uint8Array;
    try {
      bytes = await store.read(`${stepDir(step)}/${s.name}`);
    } catch (e) {
      if (e instanceof NotFoundError) return { step, ok: false, reason: `shard ${where(s.name)} is missing` };
      // A directory or an unreadable file in the shard's place: this step is unusable, an older one may be fine.
      if (e instanceof UnreadableError) return { step, ok: false, reason: `shard ${e.message}` };
      throw e;
    }
    if (bytes.length !== s.bytes) return { step, ok: false, reason: `shard ${where(s.name)} is ${bytes.length} bytes, the manifest records ${s.bytes} (truncated?)` };
    const digest = sha256(bytes);
    if (digest !== s.sha256) return { step, ok: false, reason: `shard ${where(s.name)} has sha256 ${digest.slice(0, 12)}…, the manifest records ${s.sha256.slice(0, 12)}… (corrupt)` };
    shards.set(s.name, bytes);
  }
  return { step, ok: true, manifest, shards };
}

export interface ResumePoint {
  readonly manifest: CheckpointManifest;
  /** The whole state (every rank's shard merged), ready for restoreTrainer. */
  readonly snapshot: TrainingSnapshot;
  /** Steps skipped on the way, with their reasons. */
  readonly skipped: readonly { step: number; reason: string }[];
}

export interface FindOptions {
  readonly modelHash: string;
  /** The config's expert count: a step whose placement covers another number is skipped. */
  readonly numExperts?: number;
  readonly sha256?: (b: Uint8Array) => string;
  readonly warn?: (message: string) => void;
}

/** The newest verified step, or null when none verifies (a fresh start). */
export async function findResumePoint(store: CheckpointStore, o: FindOptions): Promise<ResumePoint | null> {
  const skipped: { step: number; reason: string }[] = [];
  for (const step of await listSteps(store)) {
    const check = await verifyStep(store, step, o.sha256);
    if (!check.ok) {
      skipped.push({ step, reason: check.reason });
      o.warn?.(`checkpoint ${stepDir(step)} skipped: ${check.reason}`);
      continue;
    }
    const m = check.manifest;
    const owned = m.expert_placement.reduce((a, p) => a + p.experts.length, 0);
    if (o.numExperts !== undefined && owned !== o.numExperts) {
      const reason = `${store.where}/${stepDir(step)}/${MANIFEST_NAME} places ${owned} expert(s), the model has ${o.numExperts}`;
      skipped.push({ step, reason });
      o.warn?.(`checkpoint ${stepDir(step)} skipped: ${reason}`);
      continue;
    }
    if (m.model_hash !== o.modelHash) {
      throw new CheckpointMismatchError(
        `checkpoint ${store.where}/${stepDir(step)} was trained with another model shape (model hash ${m.model_hash.slice(0, 12)}…, ` +
          `the config gives ${o.modelHash.slice(0, 12)}…); hint: use the config it was trained with, or another checkpoint.dir`,
      );
    }
    // Every rank's shard, merged back into the whole state (one worker resumes a W-worker checkpoint).
    const sources = m.shards.map((s) => `${store.where}/${stepDir(step)}/${s.name}`);
    const shards = m.shards.map((s, i) => decodeShard(check.shards.get(s.name)!, sources[i]));
    const numExperts = m.expert_placement.reduce((a, p) => a + p.experts.length, 0);
    const tensors = mergeShards(shards, m.expert_placement, numExperts, sources);
    return { manifest: m, snapshot: { step: m.step, tensors, sampler: m.sampler }, skipped };
  }
  return null;
}
