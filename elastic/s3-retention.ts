// Remote step layout and the retention decision, as pure functions.
//
// Layout under the store prefix (the same as the local tier):
//   step=<N>/rank=<R>.safetensors   shards, uploaded first
//   step=<N>/MANIFEST.json          the commit marker, uploaded last
// A step counts as committed only when its manifest exists.

import { MANIFEST_NAME, stepDir as formatStepDir } from './format.ts';

export { MANIFEST_NAME };

/** `step=<N>/`: the key prefix of one step (the format's step directory plus '/'). */
export function stepDir(step: number): string {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new Error(`stepDir: step must be a non-negative integer, got ${step}`);
  }
  return `${formatStepDir(step)}/`;
}

export interface RemoteStep {
  readonly step: number;
  readonly committed: boolean;
  /** Paths relative to the store prefix, sorted. */
  readonly paths: readonly string[];
}

const STEP_PATH = /^step=(\d+)\/(.+)$/;

/** Groups store paths into steps, ascending; paths outside `step=<N>/` are ignored. */
export function groupSteps(paths: readonly string[]): RemoteStep[] {
  const byStep = new Map<number, string[]>();
  for (const path of paths) {
    const match = STEP_PATH.exec(path);
    if (!match) continue;
    const step = Number(match[1]);
    const list = byStep.get(step) ?? [];
    list.push(path);
    byStep.set(step, list);
  }
  return [...byStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, list]) => {
      const sorted = [...list].sort();
      return { step, committed: sorted.includes(stepDir(step) + MANIFEST_NAME), paths: sorted };
    });
}

export interface PrunePlan {
  /** Committed steps kept, ascending (the newest `keep`). */
  readonly kept: readonly number[];
  /** Steps to delete, ascending: older committed steps and abandoned uploads. */
  readonly deleted: readonly number[];
}

/**
 * Keeps the newest `keep` committed steps. Deletes older committed steps and
 * uncommitted steps older than the oldest kept one (uploads that were
 * abandoned, since mirroring goes in step order). Uncommitted steps newer than
 * that may still be being written and are left alone. The newest committed
 * step is never deleted, because keep >= 1, nor any step in `protect` (the
 * step just copied, when the remote holds newer ones from elsewhere).
 */
export function planPrune(steps: readonly RemoteStep[], keep: number, protect: readonly number[] = []): PrunePlan {
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new Error(`pruneSteps: keep must be an integer >= 1 (the newest committed step is never deleted), got ${keep}`);
  }
  const committed = steps.filter((s) => s.committed).map((s) => s.step).sort((a, b) => a - b);
  const kept = committed.slice(Math.max(0, committed.length - keep));
  if (kept.length === 0) return { kept, deleted: [] };
  const oldestKept = kept[0];
  const deleted = steps
    .filter((s) => s.step < oldestKept && !protect.includes(s.step))
    .map((s) => s.step)
    .sort((a, b) => a - b);
  return { kept, deleted };
}
