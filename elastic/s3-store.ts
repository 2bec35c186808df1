// The S3 checkpoint tier: a CheckpointStore under `s3://bucket/prefix/`
// (keys are prefix + path; '/' separates directories as in the local tier)
// plus the mirroring rules the checkpointer needs:
// shards first and the manifest LAST, retention that never deletes the newest
// committed step (manifest deleted first, so a half-pruned step never looks
// committed), and download of a committed step into a local directory.
//
// Single objects are atomic on S3: a PutObject or a completed multipart
// upload becomes visible whole or not at all; a failed multipart upload is
// aborted so no parts linger. Every message this store produces (logs and
// errors, including the SDK's) passes through the config's redact().

import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { TEMP_MARKER } from './local-store.ts';
import { createS3Client, type S3Config, s3ConfigFromEnv } from './s3-config.ts';
import { type CheckpointStore, NotFoundError } from './store.ts';
import { groupSteps, MANIFEST_NAME, planPrune, type PrunePlan, type RemoteStep, stepDir } from './s3-retention.ts';
import { formatS3Uri, parseS3Uri, type S3Location } from './s3-uri.ts';
import { ensureDir } from '../engine/node/dirs.ts';

const MiB = 1024 * 1024;
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 8 * MiB;
/** AWS requires parts of at least 5 MiB (except the last); 8 MiB is the SDK's usual choice. */
export const DEFAULT_PART_SIZE_BYTES = 8 * MiB;
export const DEFAULT_LIST_PAGE_SIZE = 1000;

/** Makes download temporaries unique within the process. */
let downloads = 0;

export interface S3StoreOptions {
  readonly location: S3Location;
  /** Defaults to s3ConfigFromEnv(process.env). */
  readonly config?: S3Config;
  /** Objects strictly larger than this go up as multipart uploads. */
  readonly multipartThresholdBytes?: number;
  readonly partSizeBytes?: number;
  /** MaxKeys per ListObjectsV2 page. */
  readonly listPageSize?: number;
  /** Receives one line per upload, prune and download (already redacted). */
  readonly log?: (line: string) => void;
  /** A request whose socket stays silent this long fails (a hung server must not hang training's exit). */
  readonly socketTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
  /** Tries per request, the first included (the SDK's retry with backoff). */
  readonly maxAttempts?: number;
}

export const DEFAULT_SOCKET_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 3;

/** A local file to mirror: `name` is its file name inside the remote step directory. */
export interface LocalFile {
  readonly name: string;
  readonly localPath: string;
}

/** Reads `length` bytes at `offset` of the object being uploaded. */
type ByteSource = (offset: number, length: number) => Promise<Uint8Array>;

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`S3Store: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function checkedPath(path: string, operation: string): string {
  if (path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`S3Store.${operation}: path ${JSON.stringify(path)} must be relative without . or .. segments`);
  }
  return path;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export class S3Store implements CheckpointStore {
  readonly location: S3Location;
  private readonly config: S3Config;
  private readonly client: S3Client;
  private readonly multipartThresholdBytes: number;
  private readonly partSizeBytes: number;
  private readonly listPageSize: number;
  private readonly logSink: (line: string) => void;

  constructor(options: S3StoreOptions) {
    this.location = options.location;
    this.config = options.config ?? s3ConfigFromEnv();
    this.client = createS3Client(this.config, {
      socketTimeoutMs: positiveInteger(options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS, 'socketTimeoutMs'),
      connectionTimeoutMs: positiveInteger(options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS, 'connectionTimeoutMs'),
      maxAttempts: positiveInteger(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 'maxAttempts'),
    });
    this.multipartThresholdBytes = positiveInteger(options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES, 'multipartThresholdBytes');
    this.partSizeBytes = positiveInteger(options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES, 'partSizeBytes');
    this.listPageSize = positiveInteger(options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE, 'listPageSize');
    this.logSink = options.log ?? (() => {});
  }

  /** `s3://bucket/prefix/` with endpoint and credentials from the environment. */
  static fromUri(uri: string, options: Omit<S3StoreOptions, 'location'> = {}): S3Store {
    return new S3Store({ ...options, location: parseS3Uri(uri) });
  }

  /** The location for messages, without a trailing '/' (callers append `/path`); no endpoint, no credentials. */
  get where(): string {
    return formatS3Uri(this.location).replace(/\/$/, '');
  }

  /** A log-safe description of where this store writes and how it connects. */
  describe(): string {
    return `${formatS3Uri(this.location)} (${this.config.describe()})`;
  }

  close(): void {
    this.client.destroy();
  }

  // ---- objects -------------------------------------------------------------

  async writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
    checkedPath(path, 'writeAtomic');
    await this.upload(path, bytes.byteLength, async (offset, length) => bytes.subarray(offset, offset + length));
  }

  /** Uploads a local file, reading at most one part at a time into memory. */
  async uploadFile(path: string, localPath: string): Promise<void> {
    checkedPath(path, 'uploadFile');
    const { size } = await stat(localPath);
    const handle = await open(localPath, 'r');
    try {
      await this.upload(path, size, async (offset, length) => {
        const buffer = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) throw new Error(`S3Store.uploadFile: ${localPath} shrank while uploading (expected ${size} bytes)`);
          filled += bytesRead;
        }
        return buffer;
      });
    } finally {
      await handle.close();
    }
  }

  /** The whole object; rejects with a NotFoundError when it is absent. */
  async read(path: string): Promise<Uint8Array> {
    checkedPath(path, 'read');
    const key = this.key(path);
    const response = await this.call('GetObject', path, () => this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key })));
    if (!response.Body) throw this.error('GetObject', path, 'the response has no body', 'check the server');
    return response.Body.transformToByteArray();
  }

  /**
   * Names directly under directory `dir` ('' for the root): objects by file
   * name and sub-directories without the trailing '/', sorted; [] when absent.
   * The CheckpointStore view; listPaths() lists recursively.
   */
  async list(dir: string): Promise<string[]> {
    const prefix = dir === '' || dir.endsWith('/') ? dir : `${dir}/`;
    const names: string[] = [];
    await this.listPages(prefix, '/', (keys, directories) => {
      for (const key of keys) names.push(key.slice(prefix.length));
      for (const directory of directories) names.push(directory.slice(prefix.length, -1));
    });
    return names.sort();
  }

  /** Every path (relative to the store prefix) starting with `prefix`, sorted; pages through ListObjectsV2. */
  async listPaths(prefix = ''): Promise<string[]> {
    const paths: string[] = [];
    await this.listPages(prefix, undefined, (keys) => paths.push(...keys));
    return paths.sort();
  }

  /**
   * Deletes the object `path` and, as the local tier does for a directory,
   * every object under `path/` (a manifest among them first, so a step being
   * removed never looks committed with shards missing). Absent is fine.
   */
  async remove(path: string): Promise<void> {
    checkedPath(path, 'remove');
    if (path === '' || path === '/') {
      throw new Error(`S3Store.remove: refusing to remove everything under ${this.where}. Hint: name a step directory or a file`);
    }
    const below = path === '' || path.endsWith('/') ? path : `${path}/`;
    const children = await this.listPaths(below);
    const manifests = children.filter((p) => p.endsWith(`/${MANIFEST_NAME}`) || p === MANIFEST_NAME);
    const ordered = [...manifests, ...children.filter((p) => !manifests.includes(p))];
    if (!path.endsWith('/')) ordered.unshift(path);
    for (const target of ordered) await this.removeObject(target);
  }

  // ---- checkpoint steps ----------------------------------------------------

  /**
   * Mirrors one locally committed step: every shard first, then the manifest,
   * only after all shards are stored. If a shard fails, the manifest is not
   * uploaded and the remote step stays uncommitted. Returns the uploaded paths
   * in upload order.
   */
  async mirrorStep(step: number, shards: readonly LocalFile[], manifest: LocalFile): Promise<string[]> {
    const dir = stepDir(step);
    if (manifest.name !== MANIFEST_NAME) {
      throw new Error(`S3Store.mirrorStep: the manifest must be named ${MANIFEST_NAME}, got ${JSON.stringify(manifest.name)}`);
    }
    const uploaded: string[] = [];
    // Mirroring a step again (a run that resumed from an older step) un-commits it first: while the
    // shards are replaced, no manifest may describe the old ones.
    await this.removeObject(dir + MANIFEST_NAME);
    for (const shard of shards) {
      if (shard.name === MANIFEST_NAME || shard.name.includes('/')) {
        throw new Error(`S3Store.mirrorStep: shard name ${JSON.stringify(shard.name)} must be a plain file name other than ${MANIFEST_NAME}`);
      }
      await this.uploadFile(dir + shard.name, shard.localPath);
      uploaded.push(dir + shard.name);
    }
    await this.uploadFile(dir + MANIFEST_NAME, manifest.localPath);
    uploaded.push(dir + MANIFEST_NAME);
    this.log(`s3 mirror: step ${step} committed at ${formatS3Uri(this.location, dir)} (${shards.length} shard(s), manifest last)`);
    return uploaded;
  }

  /** Every remote step, ascending, with whether its manifest exists. */
  async listSteps(): Promise<RemoteStep[]> {
    return groupSteps(await this.listPaths('step='));
  }

  /** The newest committed step, or undefined when there is none. */
  async newestCommittedStep(): Promise<number | undefined> {
    const committed = (await this.listSteps()).filter((s) => s.committed);
    return committed.length > 0 ? committed[committed.length - 1].step : undefined;
  }

  /**
   * Remote retention (see planPrune): keeps the newest `keep` committed steps.
   * In each deleted step the manifest goes first, so an interrupted prune
   * leaves an uncommitted step, never a committed one with missing shards.
   */
  async pruneSteps(keep: number, protect: readonly number[] = []): Promise<PrunePlan> {
    const steps = await this.listSteps();
    const plan = planPrune(steps, keep, protect);
    const deleted = new Set(plan.deleted);
    for (const step of steps) {
      if (!deleted.has(step.step)) continue;
      const manifest = stepDir(step.step) + MANIFEST_NAME;
      const ordered = step.paths.includes(manifest) ? [manifest, ...step.paths.filter((p) => p !== manifest)] : step.paths;
      for (const path of ordered) await this.removeObject(path);
      this.log(`s3 retention: removed step ${step.step}${step.committed ? '' : ' (uncommitted)'} from ${formatS3Uri(this.location)}`);
    }
    return plan;
  }

  /**
   * Downloads committed step `step` into `<localRoot>/step=<N>/`, each file
   * through a temporary name and a rename, the manifest last, so the local
   * tier never sees a manifest before its shards. Verifying the shards
   * against the manifest is the resume's job. Returns the local paths.
   */
  async downloadStep(step: number, localRoot: string): Promise<string[]> {
    const dir = stepDir(step);
    const paths = await this.listPaths(dir);
    const manifest = dir + MANIFEST_NAME;
    if (!paths.includes(manifest)) {
      throw new Error(
        `S3Store.downloadStep: step ${step} is not committed at ${formatS3Uri(this.location, dir)} (no ${MANIFEST_NAME}). Hint: pick a step from listSteps() with committed=true`,
      );
    }
    const ordered = [...paths.filter((p) => p !== manifest), manifest];
    const written: string[] = [];
    for (const path of ordered) {
      const target = join(localRoot, path);
      await this.downloadFile(path, target);
      written.push(target);
    }
    this.log(`s3 download: step ${step} from ${formatS3Uri(this.location, dir)} to ${join(localRoot, dir)} (${ordered.length} file(s))`);
    return written;
  }

  // ---- internals -----------------------------------------------------------

  private key(path: string): string {
    return this.location.prefix + path;
  }

  /** Deletes one object; a missing object is not an error (S3 semantics). */
  private async removeObject(path: string): Promise<void> {
    const key = this.key(path);
    await this.call('DeleteObject', path, () => this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key })));
  }

  /** Pages through ListObjectsV2 under `prefix`, handing each page's keys and common prefixes (relative paths) to `take`. */
  private async listPages(prefix: string, delimiter: string | undefined, take: (keys: string[], directories: string[]) => void): Promise<void> {
    const strip = (key: string) => key.slice(this.location.prefix.length);
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.location.bucket,
            Prefix: this.key(prefix),
            Delimiter: delimiter,
            MaxKeys: this.listPageSize,
            ContinuationToken: token,
          }),
        ),
      );
      take(
        (page.Contents ?? []).flatMap((o) => (o.Key !== undefined ? [strip(o.Key)] : [])),
        (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix !== undefined ? [strip(p.Prefix)] : [])),
      );
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && token === undefined) {
        throw this.error('ListObjectsV2', prefix, 'the listing is truncated but has no continuation token', 'the server does not support paged listing');
      }
    } while (token !== undefined);
  }

  private log(line: string): void {
    this.logSink(this.config.redact(line));
  }

  private error(operation: string, path: string, why: string, hint: string): Error {
    return new Error(this.config.redact(`S3 ${operation} ${formatS3Uri(this.location, path)} failed: ${why}. Hint: ${hint}`));
  }

  /** Runs one SDK call, turning its failure into a redacted error that names the operation and object. */
  private async call<T>(operation: string, path: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'NoSuchKey') {
        throw new NotFoundError(this.config.redact(`${formatS3Uri(this.location, path)} does not exist (S3 ${operation}: NoSuchKey)`));
      }
      const hint =
        name === 'NoSuchBucket' ? 'create the bucket or fix checkpoint.remote_uri'
        : name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied' ? 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY'
        : `check S3_ENDPOINT_URL and the network (${this.config.describe()})`;
      throw this.error(operation, path, errorText(err), hint);
    }
  }

  private async upload(path: string, size: number, source: ByteSource): Promise<void> {
    const key = this.key(path);
    const bucket = this.location.bucket;
    if (size <= this.multipartThresholdBytes) {
      const body = await source(0, size);
      await this.call('PutObject', path, () => this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size })));
      return;
    }
    const created = await this.call('CreateMultipartUpload', path, () => this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })));
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw this.error('CreateMultipartUpload', path, 'the response has no UploadId', 'check the server');
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let offset = 0, partNumber = 1; offset < size; offset += this.partSizeBytes, partNumber++) {
        const body = await source(offset, Math.min(this.partSizeBytes, size - offset));
        const part = await this.call(`UploadPart ${partNumber}`, path, () =>
          this.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.byteLength })),
        );
        if (part.ETag === undefined) throw this.error(`UploadPart ${partNumber}`, path, 'the response has no ETag', 'check the server');
        parts.push({ ETag: part.ETag, PartNumber: partNumber });
      }
      await this.call('CompleteMultipartUpload', path, () =>
        this.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
      );
      this.log(`s3 upload: ${formatS3Uri(this.location, path)} in ${parts.length} parts (${size} bytes)`);
    } catch (err) {
      // Abort so that the parts do not linger (and cost) on the server; a
      // failed abort is logged but the original error is what the caller sees.
      try {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      } catch (abortErr) {
        this.log(`s3 upload: abort of the multipart upload of ${formatS3Uri(this.location, path)} failed too: ${errorText(abortErr)}`);
      }
      throw err;
    }
  }

  private async downloadFile(path: string, target: string): Promise<void> {
    const key = this.key(path);
    const response = await this.call('GetObject', path, () => this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key })));
    if (!(response.Body instanceof Readable)) throw this.error('GetObject', path, 'the body is not a Node stream', 'run the S3 tier under Node or Deno');
    await ensureDir(dirname(target));
    // Named like the local tier's temporaries, so that its listing hides them
    // and its clean-up removes them if this process is killed mid-download.
    const temporary = join(dirname(target), `${TEMP_MARKER}${process.pid}-${downloads++}-${basename(target)}`);
    try {
      await pipeline(response.Body, createWriteStream(temporary));
      const handle = await open(temporary, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, target);
      // The rename is durable only once the directory entry is on disk.
      const directory = await open(dirname(target), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    } catch (err) {
      await rm(temporary, { force: true });
      throw new Error(this.config.redact(`S3 download ${formatS3Uri(this.location, path)} -> ${target} failed: ${errorText(err)}. Hint: check free disk space and permissions`));
    }
  }
}

