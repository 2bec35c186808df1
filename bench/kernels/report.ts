/**
 * The benchmark's results: rows as bench/results/kernels.json stores them,
 * and the printed table (one line per op and shape, each implementation's
 * throughput, then moe-engine's ratio to each other implementation).
 */
import type { Impl, OpName, Shape, Unit } from './ops.ts';

export interface Row {
  readonly op: OpName;
  readonly shape: Shape;
  readonly impl: Impl;
  readonly unit: Unit;
  /** Throughput of the fastest variant, from the median wall time of its runs. */
  readonly value: number;
  readonly variant: string;
  /** Every variant's throughput (same unit), when the implementation has several. */
  readonly variants?: Readonly<Record<string, number>>;
  readonly medianMs: number;
  readonly minMs: number;
  /** Process CPU time per run (all threads), median. */
  readonly cpuMs: number;
  readonly reps: number;
  /** The first run at this shape (compiles shaders and reads outputs back). */
  readonly firstRunMs: number;
  /** What was checked against the float64 reference before timing. */
  readonly validated: string;
}

export interface Skipped {
  readonly op: OpName;
  readonly shape: Shape;
  readonly impl: Impl;
  readonly variant: string;
  readonly reason: string;
}

/** A shape measured smaller than requested (software adapter), and why. */
export interface Shrunk {
  readonly requested: Shape;
  readonly measured: Shape;
  readonly reason: string;
}

const IMPL_ORDER: readonly Impl[] = ['moe-engine', 'jax-js', 'tfjs', 'cpu'];

function fmt(v: number | undefined): string {
  if (v === undefined) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

function shapeKey(s: Shape): string {
  return `${s.N}/${s.H}/${s.E}/${s.K}/${s.F}`;
}

/**
 * The table: op, shape (N/H/E/K/F), unit, one column per implementation, then
 * moe-engine ÷ each other and ÷ the faster peer. A shape measured smaller than
 * requested is marked * and a note under the table names the requested one.
 */
export function formatTable(rows: readonly Row[], impls: readonly Impl[], shrunk: readonly Shrunk[] = []): string {
  const cut = new Map(shrunk.map((c) => [shapeKey(c.measured), c]));
  const cols = IMPL_ORDER.filter((i) => impls.includes(i));
  const others = cols.filter((i) => i !== 'moe-engine');
  const peers = others.filter((i) => i !== 'cpu');
  const ratios = cols.includes('moe-engine') ? [...others.map((o) => `engine÷${o}`), ...(peers.length > 1 ? ['engine÷best peer'] : [])] : [];
  const header = ['op', 'N/H/E/K/F', 'unit', ...cols, ...ratios];
  const lines: string[][] = [header];
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.op}|${shapeKey(r.shape)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const group of groups.values()) {
    const by = new Map(group.map((r) => [r.impl, r]));
    const engine = by.get('moe-engine');
    const key = shapeKey(group[0].shape);
    const line = [group[0].op, cut.has(key) ? `${key}*` : key, group[0].unit, ...cols.map((i) => fmt(by.get(i)?.value))];
    const ratio = (v: number | undefined) => (engine && v ? `${(engine.value / v).toFixed(2)}x` : '—');
    if (cols.includes('moe-engine')) {
      for (const o of others) line.push(ratio(by.get(o)?.value));
      if (peers.length > 1) {
        const best = Math.max(...peers.map((o) => by.get(o)?.value ?? 0));
        line.push(ratio(best > 0 ? best : undefined));
      }
    }
    lines.push(line);
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  const notes = [...cut.entries()].map(([key, c]) => `* ${key}: requested ${shapeKey(c.requested)}; ${c.reason}`);
  return [...lines.map((l) => l.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')), ...notes].join('\n');
}
