/**
 * Timing with a real sync and a time box (after the caller's warm-up run). Each sample is one
 * complete run that returns only when the device is done (implementations
 * read back or await queue completion). Samples of several implementations
 * are interleaved round by round, so a change in machine load (the machine
 * may be shared) falls on all of them alike. The median is reported; the
 * process CPU time per run (all threads: SwiftShader runs on CPU threads) is
 * kept too, because it moves less than wall time when the machine is busy.
 *
 * With more than one implementation, each timed sample is preceded by an
 * untimed run of the same implementation, so that no sample directly
 * follows another implementation's run: on the 2-core machine the engine's
 * experts forward at N=512 H=256 E=16 took a median of 162 ms when it
 * followed jax-js in the round and 176-191 ms when it followed the CPU
 * implementation (jax-js's gather variant: 503-519 ms in every order; cause
 * not found, bench/README.md). The pairs keep the interleaving, so load
 * changes still fall on all alike.
 *
 * Every run is awaited through the same GpuWait for every implementation:
 * the peers drive the same Dawn instance, whose Node bindings spin a core
 * while GPU work is pending (engine/gpu/gpu-wait.ts), so how the run is
 * awaited decides how much CPU SwiftShader gets, for all of them alike.
 */
import { plainWait, type GpuWait } from '../../engine/gpu/gpu-wait.ts';
import type { Prepared } from './ops.ts';

export interface TimingOptions {
  /** Stop sampling an implementation once its samples add up to this many seconds (after minReps). */
  readonly budgetS: number;
  readonly minReps: number;
  readonly maxReps: number;
  /** How each run is awaited (default: plain await). */
  readonly wait?: GpuWait;
}

export interface Timing {
  readonly medianS: number;
  readonly minS: number;
  readonly cpuMedianS: number;
  readonly reps: number;
}

export async function timeOnce(p: Prepared, wait: GpuWait = plainWait): Promise<{ wallS: number; cpuS: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await wait(p.run());
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wallS, cpuS: (c.user + c.system) / 1e6 };
}

/** Times several prepared implementations round-robin. Warm them up first (compile, first allocations). */
export async function timeInterleaved(entries: readonly Prepared[], o: TimingOptions): Promise<Timing[]> {
  const wall: number[][] = entries.map(() => []);
  const cpu: number[][] = entries.map(() => []);
  const wants = (i: number) => {
    const n = wall[i].length;
    return n < o.minReps || (n < o.maxReps && sum(wall[i]) < o.budgetS);
  };
  while (entries.some((_, i) => wants(i))) {
    for (let i = 0; i < entries.length; i++) {
      if (!wants(i)) continue;
      // An untimed run first, so that every timed sample follows a run of its own implementation.
      if (entries.length > 1) await timeOnce(entries[i], o.wait);
      const t = await timeOnce(entries[i], o.wait);
      wall[i].push(t.wallS);
      cpu[i].push(t.cpuS);
    }
  }
  return entries.map((_, i) => ({
    medianS: median(wall[i]),
    minS: Math.min(...wall[i]),
    cpuMedianS: median(cpu[i]),
    reps: wall[i].length,
  }));
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
