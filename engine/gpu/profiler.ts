/**
 * Per-kernel GPU time. With the `timestamp-query` feature every compute pass
 * writes a begin and end timestamp; without it the profiler falls back to
 * wall-clock time per submit (attributed to the kernels in that submit,
 * evenly) and says so in `mode`.
 */
import { plainWait, type GpuWait } from './gpu-wait.ts';

export interface KernelTiming {
  readonly kernel: string;
  readonly calls: number;
  readonly totalMs: number;
}

export type ProfilerMode = 'timestamp-query' | 'wall-clock';

const MAX_PASSES = 2048;

export class Profiler {
  readonly mode: ProfilerMode;
  private readonly totals = new Map<string, { calls: number; ns: number }>();
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuffer: GPUBuffer | null;
  private names: string[] = [];
  private pending: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly wait: GpuWait = plainWait,
  ) {
    const has = device.features.has('timestamp-query');
    this.mode = has ? 'timestamp-query' : 'wall-clock';
    this.querySet = has ? device.createQuerySet({ label: 'profiler', type: 'timestamp', count: MAX_PASSES * 2 }) : null;
    this.resolveBuffer = has
      ? device.createBuffer({ label: 'profiler-resolve', size: MAX_PASSES * 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC })
      : null;
  }

  /** True when the encoder must be submitted before another pass can be timed. */
  get full(): boolean {
    return this.names.length >= MAX_PASSES;
  }

  /** timestampWrites for the next pass, or undefined in wall-clock mode. */
  passWrites(kernel: string): GPUComputePassTimestampWrites | undefined {
    const i = this.names.length;
    this.names.push(kernel);
    if (!this.querySet) return undefined;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Called with the encoder just before submit: resolves this batch's timestamps. */
  beforeSubmit(encoder: GPUCommandEncoder): (() => void) | null {
    const names = this.names;
    this.names = [];
    if (names.length === 0) return null;
    if (!this.querySet || !this.resolveBuffer) {
      const t0 = performance.now();
      return () => {
        this.pending.push(
          this.device.queue.onSubmittedWorkDone().then(() => {
            const ns = ((performance.now() - t0) * 1e6) / names.length;
            for (const n of names) this.add(n, ns);
          }),
        );
      };
    }
    const bytes = names.length * 16;
    encoder.resolveQuerySet(this.querySet, 0, names.length * 2, this.resolveBuffer, 0);
    const staging = this.device.createBuffer({ label: 'profiler-read', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, staging, 0, bytes);
    return () => {
      this.pending.push(
        staging.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigInt64Array(staging.getMappedRange().slice(0));
          staging.destroy();
          names.forEach((n, i) => {
            const ns = Number(t[2 * i + 1] - t[2 * i]);
            this.add(n, ns > 0 ? ns : 0);
          });
        }),
      );
    };
  }

  private add(kernel: string, ns: number): void {
    const e = this.totals.get(kernel) ?? { calls: 0, ns: 0 };
    e.calls++;
    e.ns += ns;
    this.totals.set(kernel, e);
  }

  /** Waits for outstanding timestamp reads and returns totals, slowest first. */
  async report(): Promise<KernelTiming[]> {
    await this.wait(Promise.all(this.pending));
    this.pending = [];
    return [...this.totals.entries()]
      .map(([kernel, e]) => ({ kernel, calls: e.calls, totalMs: e.ns / 1e6 }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  reset(): void {
    this.totals.clear();
  }
}
