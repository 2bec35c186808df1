/**
 * Background checkpoint saves. save() takes a host snapshot (the training
 * loop already paid the GPU->host copy) and returns as soon as it is
 * queued; serialisation, hashing and writing happen afterwards, one save at
 * a time, the shards (one per rank) first and MANIFEST.json last. The queue is bounded: with
 * `depth` saves pending, a new save replaces the newest one not yet started
 * (bounded memory when storage is slow, and training never waits on it).
 * After each commit, retention keeps the newest `retention` committed steps
 * and never touches the newest committed step or one still being written.
 */
import { sha256Hex } from '../engine/config/sha256.ts';
import {
  contiguousPlacement, encodeManifest, encodeShard, manifestPath, MANIFEST_NAME, parseStepDir, SCHEMA_VERSION, shardName, shardPath, stepDir,
  type CheckpointManifest, type ExpertPlacement, type ShardEntry,
} from './format.ts';
import { splitForWorld } from './sharding.ts';
import type { CheckpointStore } from './store.ts';
import type { TrainingSnapshot } from './trainer-state.ts';

export interface CheckpointerOptions {
  readonly store: CheckpointStore;
  /** Committed steps to keep (at least 1: the newest is always kept). */
  readonly retention: number;
  /** Most saves pending at once (queued or being written); default 2. */
  readonly depth?: number;
  readonly modelHash: string;
  readonly numExperts: number;
  /**
   * Workers the state is sharded over, one shard per rank with the experts
   * of a contiguous placement (default 1: one shard holds everything).
   */
  readonly worldSize?: number;
  /** Names the per-expert tensors (leading dimension = expert); required when worldSize > 1. */
  readonly isExpertTensor?: (name: string) => boolean;
  readonly engineVersion: string;
  readonly host: string;
  /** Hex SHA-256; defaults to the portable one, Node passes node:crypto's (much faster). */
  readonly sha256?: (bytes: Uint8Array) => string;
  /** Warnings (failed saves, failed deletions); default: ignored. */
  readonly warn?: (message: string) => void;
  readonly now?: () => Date;
  /** Called after each local commit, before retention runs (the remote mirror schedules its copy here). */
  readonly onCommit?: (step: number) => void;
  /** Committed steps retention must keep for now besides the newest `retention` (steps being mirrored). */
  readonly pinned?: () => readonly number[];
}

/** A background save failed; later saves and flush() rethrow it. */
export class CheckpointSaveError extends Error {
  override name = 'CheckpointSaveError';
}

export class Checkpointer {
  readonly depth: number;
  /** Saves queued and not started, oldest first. */
  private readonly waiting: { readonly snap: TrainingSnapshot; readonly queuedAt: number }[] = [];
  /** The step being written, if any. */
  private writing: number | null = null;
  /** Every write and retention pass runs in this one chain, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private readonly waiters: (() => void)[] = [];
  private failure: CheckpointSaveError | null = null;
  /** Milliseconds the last committed save took from save() to its manifest on disk; null before the first. */
  lastCommitMs: number | null = null;
  lastCommittedStep: number | null = null;
  /** Saves replaced by a newer one before they started, because storage was slower than training. */
  supersededSaves = 0;

  constructor(private readonly o: CheckpointerOptions) {
    this.depth = o.depth ?? 2;
    if (!Number.isInteger(this.depth) || this.depth < 1) throw new RangeError(`Checkpointer: depth must be a positive integer, got ${o.depth}`);
    if (!Number.isInteger(o.retention) || o.retention < 1) throw new RangeError(`Checkpointer: retention must be a positive integer, got ${o.retention}`);
    this.placement = contiguousPlacement(o.numExperts, o.worldSize ?? 1);
    if (this.placement.length > 1 && !o.isExpertTensor) throw new RangeError('Checkpointer: worldSize > 1 needs isExpertTensor to know which tensors to split by expert');
  }

  private readonly placement: ExpertPlacement[];

  /** Saves queued or being written (telemetry). */
  get queueDepth(): number {
    return this.waiting.length + (this.writing === null ? 0 : 1);
  }

  /** Steps queued or being written, which retention must not touch. */
  private get inFlight(): number[] {
    return [...this.waiting.map((w) => w.snap.step), ...(this.writing === null ? [] : [this.writing])];
  }

  /**
   * Queues a save and returns. At most `depth` saves are held: when storage
   * is slower than training and the queue is full, the newest save that has
   * not started is replaced by this one (it supersedes it: memory stays
   * bounded and the training loop never waits on storage). Only with
   * depth 1, where nothing waits, does save() wait for the write in progress.
   * Rethrows an earlier background failure.
   */
  async save(snap: TrainingSnapshot): Promise<void> {
    this.throwFailure();
    while (this.queueDepth >= this.depth && this.waiting.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const entry = { snap, queuedAt: performance.now() };
    if (this.queueDepth >= this.depth) {
      const replaced = this.waiting.pop()!;
      this.waiting.push(entry);
      this.supersededSaves++;
      this.warnSlow(replaced.snap.step, snap.step);
      return; // the replaced entry's turn in the chain writes this one
    }
    this.waiting.push(entry);
    this.chain = this.chain.then(() => this.writeNext());
  }

  /** When the last "slower than training" warning was given (performance.now()), and replacements since then. */
  private lastSlowWarning = -Infinity;
  private unwarnedSupersedes = 0;

  /**
   * Says that storage is behind, at most once a minute: with saves every
   * step on a slow disk a replacement can happen at nearly every step, and a
   * line each time would bury the progress output. The count goes to
   * telemetry (superseded_saves) either way.
   */
  private warnSlow(replaced: number, by: number): void {
    const now = performance.now();
    if (now - this.lastSlowWarning < SLOW_WARNING_INTERVAL_MS) {
      this.unwarnedSupersedes++;
      return;
    }
    const since = this.unwarnedSupersedes > 0 ? `; ${this.unwarnedSupersedes} other queued save(s) replaced since the last warning` : '';
    this.o.warn?.(
      `checkpoint storage ${this.o.store.where} is slower than training: the queued save of ${stepDir(replaced)} is replaced by ${stepDir(by)}${since} ` +
        '(telemetry superseded_saves counts them; this warning repeats at most once a minute)',
    );
    this.lastSlowWarning = now;
    this.unwarnedSupersedes = 0;
  }

  private async writeNext(): Promise<void> {
    const next = this.waiting.shift();
    if (!next) return;
    const { snap, queuedAt } = next;
    this.writing = snap.step;
    try {
      await this.write(snap);
      this.lastCommitMs = performance.now() - queuedAt;
      this.lastCommittedStep = snap.step;
      this.trusted.add(snap.step);
      this.o.onCommit?.(snap.step);
      await this.prune();
    } catch (e) {
      this.failure ??= new CheckpointSaveError(`checkpoint save of ${stepDir(snap.step)} to ${this.o.store.where} failed: ${(e as Error).message}`);
      this.o.warn?.(this.failure.message);
    } finally {
      this.writing = null;
      this.waiters.shift()?.();
    }
  }

  /** Waits until every queued save is committed and retention has run (exit, SIGTERM, SIGINT); throws if one failed. */
  async flush(): Promise<void> {
    for (let seen = null as Promise<void> | null; seen !== this.chain || this.queueDepth > 0; ) {
      seen = this.chain;
      await seen;
    }
    this.throwFailure();
  }

  /**
   * Runs retention again after the saves queued so far, e.g. once the remote
   * mirror has released a step it pinned. Failures only warn, as in a save.
   */
  retainNow(): Promise<void> {
    this.chain = this.chain.then(() => this.prune()).catch((e: unknown) => this.o.warn?.(`checkpoint retention in ${this.o.store.where} failed: ${(e as Error).message}`));
    return this.chain;
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure;
  }

  private async write(snap: TrainingSnapshot): Promise<void> {
    const { store } = this.o;
    const step = snap.step;
    // A step saved again (a leftover, or a re-run) is un-committed first: the manifest must never describe other shards.
    await store.remove(manifestPath(step));
    // Let the training loop run before the synchronous serialisation and hashing.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const parts = this.placement.length === 1 ? [snap.tensors] : splitForWorld(snap.tensors, this.placement, this.o.numExperts, this.o.isExpertTensor!);
    const shards: ShardEntry[] = [];
    for (const [rank, part] of parts.entries()) {
      const experts = this.placement[rank].experts.join(',');
      const bytes = encodeShard(part, { step: String(step), model_hash: this.o.modelHash, rank: String(rank), experts });
      shards.push({ name: shardName(rank), bytes: bytes.length, sha256: (this.o.sha256 ?? sha256Hex)(bytes) });
      await store.writeAtomic(shardPath(step, rank), bytes);
    }
    const manifest: CheckpointManifest = {
      schema_version: SCHEMA_VERSION,
      step,
      world_size: this.placement.length,
      expert_placement: this.placement,
      shards,
      model_hash: this.o.modelHash,
      sampler: snap.sampler,
      engine_version: this.o.engineVersion,
      time: (this.o.now?.() ?? new Date()).toISOString(),
      host: this.o.host,
    };
    await store.writeAtomic(manifestPath(step), encodeManifest(manifest));
  }

  /**
   * Marks a step found in the store as good (resume verified it), so that it
   * counts towards retention like the steps this checkpointer committed.
   */
  trust(step: number): void {
    this.trusted.add(step);
  }

  private readonly trusted = new Set<number>();

  /**
   * Keeps the newest `retention` steps known to be good (committed here, or
   * verified by resume) and deletes every step directory older than the
   * oldest of them. A step newer than that which is not known good (a
   * corrupt one, or one from elsewhere) is left alone: it neither counts
   * towards retention nor gets deleted. Deletion mirrors writing: the
   * manifest first (a half-deleted step is never taken for a committed one),
   * then the shards; a directory holding files the checkpointer did not
   * write is left in place with a warning.
   */
  private async prune(): Promise<void> {
    const { store } = this.o;
    const steps: { step: number; committed: boolean }[] = [];
    for (const name of await store.list('')) {
      const step = parseStepDir(name);
      if (step === null) continue;
      steps.push({ step, committed: (await store.list(name)).includes(MANIFEST_NAME) });
    }
    const kept = steps
      .filter((s) => s.committed && this.trusted.has(s.step))
      .map((s) => s.step)
      .sort((a, b) => b - a)
      .slice(0, this.o.retention);
    if (kept.length === 0) return;
    const oldestKept = kept[kept.length - 1];
    const pinned = this.o.pinned?.() ?? [];
    for (const s of steps) {
      if (s.step >= oldestKept || this.inFlight.includes(s.step) || pinned.includes(s.step)) continue;
      try {
        await store.remove(manifestPath(s.step));
        for (const name of await store.list(stepDir(s.step))) if (SHARD_FILE.test(name)) await store.remove(`${stepDir(s.step)}/${name}`);
        const foreign = await store.list(stepDir(s.step));
        if (foreign.length === 0) await store.remove(stepDir(s.step));
        else this.o.warn?.(`checkpoint retention: left ${stepDir(s.step)} in ${store.where}: it holds files moe-engine did not write (${foreign.join(', ')})`);
        this.trusted.delete(s.step);
      } catch (e) {
        // A failed deletion costs disk space, never correctness: say so and go on.
        this.o.warn?.(`checkpoint retention: could not delete ${stepDir(s.step)} in ${store.where}: ${(e as Error).message}`);
      }
    }
  }
}

/** Least time between two "storage is slower than training" warnings. */
const SLOW_WARNING_INTERVAL_MS = 60_000;

/** The files a step directory holds when the checkpointer wrote it. */
const SHARD_FILE = /^rank=(0|[1-9][0-9]*)\.safetensors$/;
