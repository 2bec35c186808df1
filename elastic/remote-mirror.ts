/**
 * Mirrors locally committed steps to the remote tier in the background.
 * The checkpointer calls committed(step) after each local commit; uploads
 * run one at a time and the newest pending step wins (when the remote is
 * slower than the saves, intermediate steps are skipped rather than queued,
 * so nothing grows without bound). The step being uploaded and the one
 * waiting are pinned: local retention must not delete them mid-copy.
 * A failed upload warns and leaves training alone (the local tier still
 * holds the step); the next commit tries again with the newer step.
 */
import type { RemoteTier } from './remote-tier.ts';

export interface RemoteMirrorOptions {
  readonly tier: RemoteTier;
  readonly localRoot: string;
  /** Committed steps kept remotely (the newest is never deleted). */
  readonly retention: number;
  readonly warn?: (message: string) => void;
}

export class RemoteMirror {
  private pending: number | null = null;
  private uploading: number | null = null;
  private worker: Promise<void> = Promise.resolve();
  /** Newest step whose copy (manifest included) finished. */
  lastMirroredStep: number | null = null;
  /** How long that copy took, local commit to remote manifest. */
  lastMirrorMs: number | null = null;
  /** Uploads that failed so far. */
  failures = 0;
  /** The reason of the latest failure, redacted; null once a later upload succeeds. */
  lastError: string | null = null;

  private lastReason: string | null = null;
  private readonly copiedListeners: ((step: number) => Promise<void> | void)[] = [];

  constructor(private readonly o: RemoteMirrorOptions) {
    if (!Number.isInteger(o.retention) || o.retention < 1) throw new RangeError(`RemoteMirror: retention must be a positive integer, got ${o.retention}`);
  }

  /**
   * Runs `listener` after each finished copy, inside the worker (flush waits
   * for it): local retention uses it to drop a step it had to keep while the
   * copy ran.
   */
  onCopied(listener: (step: number) => Promise<void> | void): void {
    this.copiedListeners.push(listener);
  }

  /** Steps local retention must keep for now. */
  pinned(): number[] {
    return [this.pending, this.uploading].filter((s): s is number => s !== null);
  }

  /** A step was committed locally: schedule its copy (replacing an older one still waiting). */
  committed(step: number): void {
    const idle = this.pending === null && this.uploading === null;
    this.pending = step;
    if (idle) this.worker = this.drain();
  }

  /** Steps waiting or being copied (telemetry). */
  get queueDepth(): number {
    return this.pinned().length;
  }

  /** Waits until every scheduled copy has finished or failed; true when the newest committed step is remote. */
  async flush(): Promise<boolean> {
    for (let seen: Promise<void> | null = null; seen !== this.worker || this.pending !== null || this.uploading !== null; ) {
      seen = this.worker;
      await seen;
    }
    return this.lastError === null;
  }

  private async drain(): Promise<void> {
    while (this.pending !== null) {
      const step = this.pending;
      this.pending = null;
      this.uploading = step;
      const started = performance.now();
      try {
        await this.o.tier.mirror(this.o.localRoot, step);
        this.lastMirroredStep = step;
        this.lastMirrorMs = performance.now() - started;
        if (this.lastError !== null) this.o.warn?.(`copies to ${this.o.tier.uri} work again: step=${step} copied`);
        this.lastError = null;
        this.lastReason = null;
        try {
          const newer = (await this.o.tier.committedSteps()).filter((s) => s > step).sort((a, b) => a - b);
          if (newer.length > 0) {
            this.o.warn?.(`${this.o.tier.uri} holds step(s) ${newer.join(', ')}, newer than step=${step} just copied, not written by this run; ` +
              `they count towards remote_retention, step=${step} is kept anyway (hint: give each run its own prefix)`);
          }
          await this.o.tier.prune(this.o.retention, [step]);
        } catch (e) {
          // Costs remote space, never correctness.
          this.o.warn?.(`remote retention at ${this.o.tier.uri} failed: ${this.redact((e as Error).message)}`);
        }
        this.uploading = null;
        for (const listener of this.copiedListeners) await listener(step);
      } catch (e) {
        this.failures++;
        const reason = this.redact((e as Error).message);
        // One warning per kind of failure, not one per checkpoint while the remote stays down. The reason
        // names the object that failed (…/step=15/MANIFEST.json), so steps are masked before comparing.
        const kind = reason.replace(/step=\d+/g, 'step=N');
        if (kind !== this.lastReason) this.o.warn?.(`copy of step=${step} to ${this.o.tier.uri} failed: ${reason} (the step is still on local disk; each later checkpoint retries)`);
        this.lastReason = kind;
        this.lastError = `copy of step=${step} to ${this.o.tier.uri} failed: ${reason}`;
      } finally {
        this.uploading = null;
      }
    }
  }

  /** S3 errors may quote request details: nothing leaves here without the tier's redaction. */
  private redact(text: string): string {
    return this.o.tier.redact(text);
  }
}
