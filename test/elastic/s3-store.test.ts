// The S3 tier against a real S3-compatible server (s3rver on 127.0.0.1),
// with credentials set in process.env the way a training job gets them.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ConfigFromEnv } from '../../elastic/s3-config.ts';
import { type LocalFile, S3Store } from '../../elastic/s3-store.ts';
import { NotFoundError } from '../../elastic/store.ts';
import { type S3rverHandle, startS3rver, testCredentials } from '../helpers/s3rver.ts';

const BUCKET = 'ckpt-test';
// Distinctive values so that a leak is unambiguous in the scan below.
const { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } = testCredentials();
const ENV_NAMES = ['S3_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_SESSION_TOKEN'];

let server: S3rverHandle;
let scratch: string;
const savedEnv = new Map<string, string | undefined>();
/** Every log line and error message any store produced, for the secret scan. */
const produced: string[] = [];

function store(prefix: string, options: { multipartThresholdBytes?: number; partSizeBytes?: number; listPageSize?: number } = {}): S3Store {
  return S3Store.fromUri(`s3://${BUCKET}/${prefix}`, { ...options, log: (line) => produced.push(line) });
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const message = (err as Error).message;
    produced.push(message);
    return message;
  }
  throw new Error('expected the operation to fail');
}

async function localFile(name: string, bytes: Uint8Array): Promise<LocalFile> {
  const localPath = join(scratch, `${randomBytes(4).toString('hex')}-${name}`);
  await writeFile(localPath, bytes);
  return { name, localPath };
}

beforeAll(async () => {
  for (const name of ENV_NAMES) savedEnv.set(name, process.env[name]);
  server = await startS3rver({ buckets: [BUCKET], accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
  scratch = await mkdtemp(join(tmpdir(), 's3-store-test-'));
  for (const name of ENV_NAMES) delete process.env[name];
  process.env.S3_ENDPOINT_URL = server.endpoint;
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
});

afterAll(async () => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('S3Store against s3rver', () => {
  it('round-trips a small object through a single PutObject under the prefix', async () => {
    const s3 = store('runs/small/');
    const bytes = randomBytes(1000);
    const before = (await server.settle()).length;
    await s3.writeAtomic('step=1/rank=0.safetensors', bytes);
    expect(Buffer.from(await s3.read('step=1/rank=0.safetensors')).equals(bytes)).toBe(true);
    const puts = (await server.settle()).slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => [r.path, r.status, 'partNumber' in r.query])).toEqual([[`/${BUCKET}/runs/small/step=1/rank=0.safetensors`, 200, false]]);
    expect((await server.settle()).slice(before).some((r) => 'uploads' in r.query)).toBe(false);
    expect(await s3.listPaths()).toEqual(['step=1/rank=0.safetensors']);
    expect(await s3.list('')).toEqual(['step=1']);
    expect(await s3.list('step=1')).toEqual(['rank=0.safetensors']);
    expect(await s3.list('step=2')).toEqual([]);
    expect(s3.where).toBe(`s3://${BUCKET}/runs/small`);
    s3.close();
  });

  it('uploads above the threshold as a multipart upload with uneven parts', async () => {
    const s3 = store('runs/multi/', { multipartThresholdBytes: 1024, partSizeBytes: 1000 });
    const bytes = randomBytes(4500); // parts of 1000,1000,1000,1000,500
    const before = (await server.settle()).length;
    await s3.writeAtomic('big.bin', bytes);
    const requests = (await server.settle()).slice(before);
    expect(requests.filter((r) => r.method === 'POST' && 'uploads' in r.query)).toHaveLength(1);
    const parts = requests.filter((r) => r.method === 'PUT' && 'partNumber' in r.query);
    expect(parts.map((r) => Number(r.query.partNumber))).toEqual([1, 2, 3, 4, 5]);
    expect(requests.filter((r) => r.method === 'POST' && 'uploadId' in r.query)).toHaveLength(1);
    expect(Buffer.from(await s3.read('big.bin')).equals(bytes)).toBe(true);

    // The same bytes from a file, read part by part.
    const file = await localFile('big-file.bin', bytes);
    await s3.uploadFile('big-file.bin', file.localPath);
    expect(Buffer.from(await s3.read('big-file.bin')).equals(bytes)).toBe(true);
    s3.close();
  });

  it('aborts a multipart upload whose part fails, leaving no object', async () => {
    const s3 = store('runs/abort/', { multipartThresholdBytes: 1024, partSizeBytes: 1000 });
    let slices = 0;
    // Fails while producing the third part, as a read error would.
    class FailingBytes extends Uint8Array {
      override subarray(begin?: number, end?: number): Uint8Array<ArrayBuffer> {
        if (++slices === 3) throw new Error('disk read failed');
        return new Uint8Array(this.buffer, this.byteOffset + (begin ?? 0), (end ?? this.length) - (begin ?? 0));
      }
    }
    const bytes = new FailingBytes(randomBytes(4500));
    const before = (await server.settle()).length;
    expect(await failure(s3.writeAtomic('broken.bin', bytes))).toMatch(/disk read failed/);
    const requests = (await server.settle()).slice(before);
    expect(requests.filter((r) => r.method === 'PUT' && 'partNumber' in r.query)).toHaveLength(2);
    expect(requests.filter((r) => r.method === 'DELETE' && 'uploadId' in r.query)).toHaveLength(1);
    expect(requests.filter((r) => r.method === 'POST' && 'uploadId' in r.query)).toHaveLength(0);
    const missing = s3.read('broken.bin');
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    expect(await failure(missing)).toBe('s3://ckpt-test/runs/abort/broken.bin does not exist (S3 GetObject: NoSuchKey)');
    expect(await s3.listPaths()).toEqual([]);
    s3.close();
  });

  it('lists across several ListObjectsV2 pages, recursively and one level deep', async () => {
    const s3 = store('runs/paged/', { listPageSize: 2 });
    const names = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'b/1', 'b/c/1', 'top'];
    for (const name of names) await s3.writeAtomic(name, new Uint8Array([name.length]));
    const listings = async (list: () => Promise<string[]>) => {
      const before = (await server.settle()).length;
      const result = await list();
      const pages = (await server.settle()).slice(before).filter((r) => r.method === 'GET' && r.query['list-type'] === '2');
      return { result, pages: pages.length, continued: pages.filter((r) => 'continuation-token' in r.query).length, maxKeys: new Set(pages.map((r) => r.query['max-keys'])) };
    };
    expect(await listings(() => s3.listPaths('a/'))).toEqual({ result: ['a/1', 'a/2', 'a/3', 'a/4', 'a/5'], pages: 3, continued: 2, maxKeys: new Set(['2']) });
    expect(await listings(() => s3.list('a'))).toEqual({ result: ['1', '2', '3', '4', '5'], pages: 3, continued: 2, maxKeys: new Set(['2']) });
    expect((await listings(() => s3.list(''))).result).toEqual(['a', 'b', 'top']);
    expect((await listings(() => s3.list('b'))).result).toEqual(['1', 'c']);
    s3.close();
  });

  it('removes a file, or a directory with everything under it, and tolerates absent paths', async () => {
    const s3 = store('runs/remove/');
    for (const name of ['step=1/rank=0.safetensors', 'step=1/MANIFEST.json', 'step=10/rank=0.safetensors', 'step=2/x']) {
      await s3.writeAtomic(name, new Uint8Array([1]));
    }
    await s3.remove('step=2/x');
    await s3.remove('step=2/does-not-exist');
    expect(await s3.listPaths()).toEqual(['step=1/MANIFEST.json', 'step=1/rank=0.safetensors', 'step=10/rank=0.safetensors']);
    const before = (await server.settle()).length;
    await s3.remove('step=1');
    const deletes = (await server.settle()).slice(before).filter((r) => r.method === 'DELETE').map((r) => r.path.replace(`/${BUCKET}/runs/remove/`, ''));
    // The object named exactly 'step=1' (absent) first, then the manifest before the shard; step=10 untouched.
    expect(deletes).toEqual(['step=1', 'step=1/MANIFEST.json', 'step=1/rank=0.safetensors']);
    expect(await s3.listPaths()).toEqual(['step=10/rank=0.safetensors']);
    expect(await failure(s3.remove(''))).toMatch(/refusing to remove everything under s3:\/\/ckpt-test\/runs\/remove\./);
    s3.close();
  });

  it('mirrors a step with every shard before the manifest, and without the manifest when a shard fails', async () => {
    const s3 = store('runs/mirror/', { multipartThresholdBytes: 1024, partSizeBytes: 1024 });
    const shards = [await localFile('rank=0.safetensors', randomBytes(3000)), await localFile('rank=1.safetensors', randomBytes(500)), await localFile('rank=2.safetensors', randomBytes(2100))];
    const manifest = await localFile('MANIFEST.json', new TextEncoder().encode('{"step":7}'));
    const before = (await server.settle()).length;
    const uploaded = await s3.mirrorStep(7, shards, manifest);
    expect(uploaded).toEqual(['step=7/rank=0.safetensors', 'step=7/rank=1.safetensors', 'step=7/rank=2.safetensors', 'step=7/MANIFEST.json']);
    // Server-side completion order: an existing manifest is deleted first, and the manifest's PUT
    // starts after all shard uploads completed.
    const all = (await server.settle()).slice(before);
    expect(all.filter((r) => r.method !== 'GET')[0]).toMatchObject({ method: 'DELETE', path: `/${BUCKET}/runs/mirror/step=7/MANIFEST.json` });
    const writes = all.filter((r) => r.method !== 'GET' && r.method !== 'DELETE');
    const manifestIndex = writes.findIndex((r) => r.path.endsWith('/MANIFEST.json'));
    expect(manifestIndex).toBe(writes.length - 1);
    const completedShards = writes.slice(0, manifestIndex).filter((r) => (r.method === 'PUT' && !('partNumber' in r.query)) || (r.method === 'POST' && 'uploadId' in r.query));
    expect(completedShards.map((r) => r.path.split('/').pop())).toEqual(['rank=0.safetensors', 'rank=1.safetensors', 'rank=2.safetensors']);
    for (const shard of shards) {
      expect(Buffer.from(await s3.read(`step=7/${shard.name}`)).equals(await readFile(shard.localPath))).toBe(true);
    }
    expect(await s3.newestCommittedStep()).toBe(7);

    const missing = { name: 'rank=1.safetensors', localPath: join(scratch, 'no-such-file') };
    expect(await failure(s3.mirrorStep(8, [shards[0], missing], manifest))).toMatch(/no-such-file/);
    expect(await s3.listPaths('step=8/')).toEqual(['step=8/rank=0.safetensors']);
    expect(await s3.newestCommittedStep()).toBe(7);
    s3.close();
  });

  it('prunes old steps, never the newest committed one, manifest first; downloads a committed step', async () => {
    const s3 = store('runs/prune/');
    const files = new Map<number, Buffer>();
    for (const step of [1, 2, 3]) {
      const shard = randomBytes(64 + step);
      files.set(step, shard);
      await s3.mirrorStep(step, [await localFile('rank=0.safetensors', shard)], await localFile('MANIFEST.json', Buffer.from(`{"step":${step}}`)));
    }
    await s3.writeAtomic('step=0/rank=0.safetensors', randomBytes(8)); // an abandoned upload
    await s3.writeAtomic('step=4/rank=0.safetensors', randomBytes(8)); // being written
    const before = (await server.settle()).length;
    expect(await s3.pruneSteps(2)).toEqual({ kept: [2, 3], deleted: [0, 1] });
    const deletes = (await server.settle()).slice(before).filter((r) => r.method === 'DELETE').map((r) => r.path.replace(`/${BUCKET}/runs/prune/`, ''));
    expect(deletes).toEqual(['step=0/rank=0.safetensors', 'step=1/MANIFEST.json', 'step=1/rank=0.safetensors']);
    expect((await s3.listSteps()).map((s) => [s.step, s.committed])).toEqual([[2, true], [3, true], [4, false]]);

    // keep=1 still keeps the newest committed step (3); 4 is newer and uncommitted.
    expect(await s3.pruneSteps(1)).toEqual({ kept: [3], deleted: [2] });
    expect((await s3.listSteps()).map((s) => [s.step, s.committed])).toEqual([[3, true], [4, false]]);
    expect(await failure(s3.pruneSteps(0))).toMatch(/keep must be an integer >= 1/);

    const local = join(scratch, 'restore');
    const written = await s3.downloadStep(3, local);
    expect(written).toEqual([join(local, 'step=3/rank=0.safetensors'), join(local, 'step=3/MANIFEST.json')]);
    expect((await readFile(join(local, 'step=3/rank=0.safetensors'))).equals(files.get(3)!)).toBe(true);
    expect(await readFile(join(local, 'step=3/MANIFEST.json'), 'utf8')).toBe('{"step":3}');
    expect((await readdir(join(local, 'step=3'))).sort()).toEqual(['MANIFEST.json', 'rank=0.safetensors']);
    expect(await failure(s3.downloadStep(4, local))).toMatch(/step 4 is not committed .*no MANIFEST.json/);
    s3.close();
  });

  it('names the missing credential variable', async () => {
    const secret = process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      expect(() => store('runs/x/')).toThrow(/AWS_SECRET_ACCESS_KEY is not set/);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = secret;
    }
  });

  it('reports an unknown access key and a missing bucket without revealing credentials', async () => {
    // s3rver checks the access key id but not SigV4 signatures, so the
    // rejected credential here is the key id.
    const wrongKeyId = `${ACCESS_KEY_ID}X`;
    const config = s3ConfigFromEnv({ ...process.env, AWS_ACCESS_KEY_ID: wrongKeyId });
    const stranger = new S3Store({ location: { bucket: BUCKET, prefix: 'runs/bad/' }, config, log: (line) => produced.push(line) });
    const message = await failure(stranger.writeAtomic('x', new Uint8Array([1])));
    expect(message).toMatch(/S3 PutObject s3:\/\/ckpt-test\/runs\/bad\/x failed: InvalidAccessKeyId.*Hint: check AWS_ACCESS_KEY_ID/);
    expect(message).not.toContain(wrongKeyId);
    stranger.close();
    const noBucket = S3Store.fromUri('s3://no-such-bucket/p/', { log: (line) => produced.push(line) });
    expect(await failure(noBucket.list(''))).toMatch(/NoSuchBucket.*Hint: create the bucket/);
    produced.push(noBucket.describe());
    noBucket.close();
  });

  it('gives up on a server that stops answering (socket timeout, then retries) instead of hanging, and works again once it answers', async () => {
    const hung = S3Store.fromUri(`s3://${BUCKET}/runs/hung/`, { socketTimeoutMs: 500, maxAttempts: 2, log: (line) => produced.push(line) });
    server.pause();
    try {
      const started = performance.now();
      const message = await failure(hung.writeAtomic('x', new Uint8Array([1, 2, 3])));
      expect(message).toMatch(/S3 PutObject s3:\/\/ckpt-test\/runs\/hung\/x failed: TimeoutError: .*timed out after 500 ms of inactivity/);
      // Two attempts of 0.5 s plus the SDK's backoff: seconds, not forever.
      expect(performance.now() - started).toBeLessThan(20_000);
    } finally {
      server.resume();
    }
    await hung.writeAtomic('x', new Uint8Array([1, 2, 3]));
    expect(Array.from(await hung.read('x'))).toEqual([1, 2, 3]);
    hung.close();
  }, 60_000);

  it('never puts a credential value into a log line or error message', () => {
    expect(produced.length).toBeGreaterThan(10);
    expect(produced.some((line) => line.includes('s3 mirror: step 7 committed'))).toBe(true);
    for (const line of produced) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(ACCESS_KEY_ID);
    }
  });
});
