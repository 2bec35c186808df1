/**
 * `moe train` children with checkpoint.remote_uri on a real S3-compatible
 * server (s3rver on 127.0.0.1): every local commit is mirrored, remote
 * retention holds, the local copy is deleted and training resumes from S3
 * (falling back past a corrupt remote shard with a warning naming it) with
 * the uninterrupted run's losses; `moe ckpt ls|verify --remote` read the
 * remote tier; then everything the runs wrote (stdout,
 * stderr, telemetry, weights, local and remote checkpoints) is scanned for
 * the credential values set in their environment.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardPath } from '../../elastic/format.ts';
import { s3ConfigFromEnv } from '../../elastic/s3-config.ts';
import { S3Store } from '../../elastic/s3-store.ts';
import { type S3rverHandle, startS3rver, testCredentials } from '../helpers/s3rver.ts';
import { removeTempDirs, tempDir } from './fixtures.ts';

const BUCKET = 'train-ckpt';
const URI = `s3://${BUCKET}/runs/smoke/`;
const { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } = testCredentials();

let server: S3rverHandle;

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET], accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
});

afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function train(dir: string, steps: number, extra: Record<string, string | undefined> = {}): Promise<Run> {
  return moe(['train', '--config', 'configs/smoke.yaml', '--no-sample'], dir, steps, extra);
}

function moe(args: readonly string[], dir: string, steps: number, extra: Record<string, string | undefined> = {}): Promise<Run> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    MOE_TRAINING__MAX_STEPS: String(steps),
    MOE_TRAINING__EVAL_EVERY: '1000',
    MOE_CHECKPOINT__EVERY: '2',
    // Each local save commits before training goes on, so the remote tier sees
    // every one of steps 2, 4, 6: in the background, a save that a busy disk
    // has not started by the next one is (correctly) superseded.
    MOE_CHECKPOINT__ASYNC: 'false',
    MOE_CHECKPOINT__RETENTION: '1',
    MOE_CHECKPOINT__REMOTE_URI: URI,
    MOE_CHECKPOINT__REMOTE_RETENTION: '2',
    MOE_CHECKPOINT__DIR: join(dir, 'ckpt'),
    MOE_TELEMETRY__PATH: join(dir, 'telemetry.jsonl'),
    S3_ENDPOINT_URL: server.endpoint,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET,
    ...extra,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/moe.mjs', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function records(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'telemetry.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Loss per step (telemetry counts from 0: the step record of optimizer step k is k-1) of one or more runs (a resumed run appends). */
function lossByStep(dir: string): Map<number, number> {
  return new Map(records(dir).filter((r) => r.type === 'step').map((r) => [r.step as number, r.loss as number]));
}

function remote(): S3Store {
  return S3Store.fromUri(URI, { config: s3ConfigFromEnv({ S3_ENDPOINT_URL: server.endpoint, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET }) });
}

describe('moe train with an S3 remote tier (s3rver on 127.0.0.1)', () => {
  it('refuses to start without credentials or with a missing bucket, naming the problem', async () => {
    const dir = tempDir('s3-refuse');
    const noKey = await train(dir, 2, { AWS_ACCESS_KEY_ID: undefined });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/moe train: checkpoint\.remote_uri s3:\/\/train-ckpt\/runs\/smoke\/: .*environment variable AWS_ACCESS_KEY_ID is not set/);
    const noBucket = await train(dir, 2, { MOE_CHECKPOINT__REMOTE_URI: 's3://no-such-bucket/x/' });
    expect(noBucket.code).toBe(1);
    expect(noBucket.stderr).toMatch(/moe train: checkpoint\.remote_uri s3:\/\/no-such-bucket\/x\/: cannot list it: .*NoSuchBucket/);
    for (const text of [noKey.stdout, noKey.stderr, noBucket.stdout, noBucket.stderr]) expect(text).not.toContain(SECRET);
  }, 120_000);

  it('mirrors, resumes from S3 after the local copy is lost, skips a corrupt remote shard, and writes no credential anywhere', async () => {
    const dir = tempDir('s3-train');
    const first = await train(dir, 6);
    expect(first.stderr).not.toMatch(/warning/);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`remote checkpoints: ${URI} (empty)`);
    expect(first.stdout).toContain(`remote checkpoints: step=6 copied to ${URI}`);
    const uninterrupted = lossByStep(dir);
    expect([...uninterrupted.keys()]).toEqual([0, 1, 2, 3, 4, 5]);
    const ck = records(dir).filter((r) => r.type === 'checkpoint');
    expect(ck.at(-1)).toMatchObject({ step: 6, remote_last_step: 6, remote_queue_depth: 0, remote_failures: 0 });
    const s3 = remote();
    // remote_retention 2 of the saves at 2, 4, 6; local retention 1.
    expect((await s3.listSteps()).map((s) => [s.step, s.committed])).toEqual([[4, true], [6, true]]);
    expect(readdirSync(join(dir, 'ckpt'))).toEqual(['step=6']);

    // The machine is gone (local copy deleted) and the newest remote shard is corrupt.
    rmSync(join(dir, 'ckpt'), { recursive: true });
    const shard = await s3.read(shardPath(6, 0));
    const flipped = new Uint8Array(shard);
    flipped[flipped.length - 3] ^= 0x10;
    await s3.writeAtomic(shardPath(6, 0), flipped);
    const second = await train(dir, 6);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/warning: remote checkpoint s3:\/\/train-ckpt\/runs\/smoke\/step=6 skipped: shard s3:\/\/train-ckpt\/runs\/smoke\/step=6\/rank=0\.safetensors has sha256 .*\(corrupt\)/);
    expect(second.stdout).toContain(`resumed from s3://train-ckpt/runs/smoke/step=4 (newer than any verified local step; downloaded into ${join(dir, 'ckpt')})`);
    const resumedLosses = records(dir).filter((r) => r.type === 'step').slice(6);
    expect(resumedLosses.map((r) => r.step)).toEqual([4, 5]);
    expect(resumedLosses.map((r) => r.loss)).toEqual([uninterrupted.get(4), uninterrupted.get(5)]);
    // Step 6 was mirrored again, replacing the corrupt copy.
    expect(Buffer.from(await s3.read(shardPath(6, 0))).equals(readFileSync(join(dir, 'ckpt', 'step=6', 'rank=0.safetensors')))).toBe(true);

    // A plain round trip: local copy gone again, the remote step 6 verifies and is the resume point.
    rmSync(join(dir, 'ckpt'), { recursive: true });
    const third = await train(dir, 6);
    expect(third.code).toBe(0);
    expect(third.stderr).not.toMatch(/warning/);
    expect(third.stdout).toContain('resumed from s3://train-ckpt/runs/smoke/step=6');
    expect(records(dir).filter((r) => r.type === 'step')).toHaveLength(8);

    // `moe ckpt ls|verify --remote` read the same tier.
    const ls = await moe(['ckpt', 'ls', '--remote', '--config', 'configs/smoke.yaml'], dir, 6);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/checkpoints in s3:\/\/train-ckpt\/runs\/smoke \(newest first\):\n {2}step=6 +committed {2}1 shard\(s\).*\n {2}step=4 +committed/);
    const verify = await moe(['ckpt', 'verify', '--remote', '--config', 'configs/smoke.yaml'], dir, 6);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('resume would load step=6');

    // Everything written: logs, telemetry, weights, local checkpoints, every remote object.
    const needles = [SECRET, ACCESS_KEY_ID];
    const written: [string, Buffer][] = [first, second, third, ls, verify].flatMap((r, i) => [
      [`run ${i + 1} stdout`, Buffer.from(r.stdout)] as [string, Buffer],
      [`run ${i + 1} stderr`, Buffer.from(r.stderr)] as [string, Buffer],
    ]);
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) written.push([join(entry.parentPath, entry.name), readFileSync(join(entry.parentPath, entry.name))]);
    }
    const objects = await s3.listPaths();
    expect(objects.length).toBeGreaterThanOrEqual(4);
    for (const key of objects) written.push([`${URI}${key}`, Buffer.from(await s3.read(key))]);
    expect(written.length).toBeGreaterThanOrEqual(10 + 3 + 4);
    for (const [where, bytes] of written) for (const needle of needles) expect(bytes.includes(needle), `${where} contains a credential`).toBe(false);
    s3.close();
  }, 400_000);
});
