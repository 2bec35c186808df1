// The S3 round trip of the checkpoint issue, against a real s3rver: save
// with the local tier's Checkpointer, mirror each committed step, delete the
// local copy, restore from the remote tier and resume. Values are checked
// against the synthetic fixture's formula, not against the code under test.

import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { shardPath, stepDir } from '../../elastic/format.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { RemoteMirror } from '../../elastic/remote-mirror.ts';
import { openRemoteTier } from '../../elastic/remote-tier.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { s3ConfigFromEnv } from '../../elastic/s3-config.ts';
import { mirrorLocalStep, restoreNewestFromRemote } from '../../elastic/s3-mirror.ts';
import { S3Store } from '../../elastic/s3-store.ts';
import { type S3rverHandle, startS3rver, testCredentials } from '../helpers/s3rver.ts';
import { MODEL_HASH, syntheticSnapshot, tempDir, valueAt } from './fixtures.ts';

const BUCKET = 'mirror-test';
const { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } = testCredentials();

let server: S3rverHandle;
let scratch: string;
const produced: string[] = [];

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET], accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
  scratch = tempDir('s3-mirror');
});

afterAll(async () => {
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function remoteStore(prefix: string): S3Store {
  // An explicit environment instead of process.env: the same code path, no global state.
  const config = s3ConfigFromEnv({ S3_ENDPOINT_URL: server.endpoint, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET });
  return new S3Store({ location: { bucket: BUCKET, prefix }, config, log: (line) => produced.push(line) });
}

async function saveSteps(localRoot: string, steps: readonly number[]): Promise<void> {
  const checkpointer = new Checkpointer({
    store: new LocalStore(localRoot), retention: 10, modelHash: MODEL_HASH, numExperts: 4, engineVersion: 'test', host: 'test-host',
    warn: (message) => produced.push(message),
  });
  for (const step of steps) {
    await checkpointer.save(syntheticSnapshot(step));
    await checkpointer.flush();
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('S3 mirror and restore (local tier + s3rver)', () => {
  it('saves, mirrors, deletes the local copy, restores from S3 and resumes the newest step', async () => {
    const localRoot = join(scratch, 'run-a');
    await saveSteps(localRoot, [10, 20, 30]);
    const remote = remoteStore('runs/a/');
    for (const step of [10, 20, 30]) {
      expect(await mirrorLocalStep(remote, localRoot, step)).toEqual([`step=${step}/rank=0.safetensors`, `step=${step}/MANIFEST.json`]);
    }
    // Leftovers of a killed local writer are not mirrored.
    await writeFile(join(localRoot, stepDir(30), '.moe-tmp-1-0-rank=0.safetensors'), 'partial');
    await mirrorLocalStep(remote, localRoot, 30);
    expect(await remote.listPaths('step=30/')).toEqual(['step=30/MANIFEST.json', 'step=30/rank=0.safetensors']);

    await rm(localRoot, { recursive: true, force: true });
    const warnings: string[] = [];
    expect(await restoreNewestFromRemote(remote, localRoot, { warn: (w) => warnings.push(w) })).toBe(30);
    expect(warnings).toEqual([]);
    const resumed = await findResumePoint(new LocalStore(localRoot), { modelHash: MODEL_HASH });
    expect(resumed?.snapshot.step).toBe(30);
    const w1 = resumed!.snapshot.tensors.params[1];
    expect(w1.name).toBe('w1');
    expect(Array.from(w1.data.slice(0, 8))).toEqual(Array.from({ length: 8 }, (_, i) => valueAt(30, 1, i)));
    expect(resumed!.snapshot.sampler.windowsDrawn).toBe(30 * 4);

    // The S3 tier is itself a CheckpointStore: resume can read it directly too.
    expect((await findResumePoint(remote, { modelHash: MODEL_HASH }))?.snapshot.step).toBe(30);
    remote.close();
  });

  it('falls back to the previous remote step when the newest has a corrupt or missing shard, and says which file', async () => {
    const localRoot = join(scratch, 'run-b');
    await saveSteps(localRoot, [1, 2, 3]);
    const remote = remoteStore('runs/b/');
    for (const step of [1, 2, 3]) await mirrorLocalStep(remote, localRoot, step);

    const flipped = new Uint8Array(await readFile(join(localRoot, shardPath(3, 0))));
    flipped[flipped.length - 5] ^= 0x01;
    await remote.writeAtomic(shardPath(3, 0), flipped);
    await remote.remove(shardPath(2, 0));

    const restoreRoot = join(scratch, 'restore-b');
    const warnings: string[] = [];
    expect(await restoreNewestFromRemote(remote, restoreRoot, { warn: (w) => warnings.push(w) })).toBe(1);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/s3:\/\/mirror-test\/runs\/b\/step=3\/rank=0\.safetensors has sha256 .* \(corrupt\)/);
    expect(warnings[1]).toMatch(/s3:\/\/mirror-test\/runs\/b\/step=2\/rank=0\.safetensors is missing/);
    expect((await findResumePoint(new LocalStore(restoreRoot), { modelHash: MODEL_HASH }))?.snapshot.step).toBe(1);
    expect(await readdir(restoreRoot)).toEqual(['step=1']);
    remote.close();
  });

  it('returns null when no remote step verifies, and refuses to mirror an uncommitted local step', async () => {
    const remote = remoteStore('runs/empty/');
    expect(await restoreNewestFromRemote(remote, join(scratch, 'restore-empty'))).toBeNull();
    const localRoot = join(scratch, 'run-c');
    await saveSteps(localRoot, [5]);
    await rm(join(localRoot, 'step=5', 'MANIFEST.json'));
    await expect(mirrorLocalStep(remote, localRoot, 5)).rejects.toThrow(/has no MANIFEST\.json, so step 5 is not committed locally/);
    expect(await remote.listPaths()).toEqual([]);
    remote.close();
  });

  it('warns once while the S3 server is down, although each failed request names another step', async () => {
    // A server of its own, stopped mid-test; the shared one stays up for the other tests.
    const own = await startS3rver({ buckets: ['down-test'], accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
    const localRoot = join(scratch, 'down-local');
    const env = { S3_ENDPOINT_URL: own.endpoint, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET };
    const tier = openRemoteTier('s3://down-test/run/', localRoot, env);
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier, localRoot, retention: 5, warn: (m) => warnings.push(m) });
    const checkpointer = new Checkpointer({
      store: new LocalStore(localRoot), retention: 5, modelHash: MODEL_HASH, numExperts: 4, engineVersion: 'test', host: 'test-host',
      warn: (m) => warnings.push(m), onCommit: (step) => mirror.committed(step), pinned: () => mirror.pinned(),
    });
    const saveAndCopy = async (step: number) => {
      await checkpointer.save(syntheticSnapshot(step));
      await checkpointer.flush();
      return mirror.flush();
    };
    try {
      expect(await saveAndCopy(1)).toBe(true);
      await own.stop();
      for (const step of [2, 3, 4]) expect(await saveAndCopy(step)).toBe(false);
    } finally {
      tier.close();
    }
    expect(mirror.failures).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^copy of step=2 to s3:\/\/down-test\/run\/ failed: .*step=2\/MANIFEST\.json/);
    produced.push(...warnings);
  }, 60_000);

  it('leaves no credential value in anything written: checkpoints, restored files, logs, warnings', async () => {
    const needles = [SECRET, ACCESS_KEY_ID].map((s) => Buffer.from(s));
    const files = await filesUnder(scratch);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const needle of needles) expect(bytes.includes(needle), file).toBe(false);
    }
    expect(produced.length).toBeGreaterThan(3);
    for (const line of produced) for (const needle of needles) expect(line).not.toContain(needle.toString());
  });
});
