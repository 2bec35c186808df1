/**
 * Kernel benchmark: moe-engine against jax-js, TensorFlow.js and plain
 * TypeScript on the CPU, same process, same WebGPU adapter. Validates every
 * implementation against the float64 reference, then times it; prints a
 * table with ratios and writes bench/results/kernels.json.
 *
 *   npm run bench:kernels -- [--quick] [--shapes 1,2|N:H:E:K[:F],…] [--impl a,b]
 *                            [--ops a,b] [--budget S] [--max-run S] [--full-size] [--spin-wait] [--out PATH]
 *
 * What is measured and how: bench/README.md.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { acquireGpu, canSleepThread, navigatorProvider, plainWait, sleepingWait, type GpuWait } from '../../engine/gpu/index.ts';
import { cpuBackend } from '../cpu.ts';
import { installNavigatorGpu } from '../peers/webgpu-env.ts';
import { checkReferenceGradients } from '../reference.ts';
import { engineBackend, loadEngineModules } from './engine.ts';
import {
  IMPLS, OPS, SHAPES, VALIDATION_SHAPE, computedWork, largestTensor, makeInputs, shapeLabel, throughput, unitOf,
  type Backend, type Impl, type Inputs, type OpName, type Prepared, type Shape,
} from './ops.ts';
import { formatTable, type Row, type Shrunk, type Skipped } from './report.ts';
import { timeInterleaved, timeOnce } from './timing.ts';
import { checkOutputs, expectedOutputs, sampleTokens } from './validate.ts';

const USAGE = `usage: npm run bench:kernels -- [options]
  --quick            the smallest shape only (N=512 H=256 E=16 K=2)
  --shapes LIST      1-based indices of the issue's shapes (1..${SHAPES.length}) or N:H:E:K[:F] specs, comma-separated
  --impl LIST        of ${IMPLS.join(', ')} (default: all)
  --ops LIST         of ${OPS.join(', ')} (default: all)
  --budget S         seconds of timed runs per implementation and op (default 5; at least one run)
  --max-reps N       at most N timed runs (default 7)
  --max-run S        skip a run estimated to take longer than S seconds (default 60)
  --full-size        keep the largest shapes whole on a software adapter (they take minutes there)
  --spin-wait        await runs plainly, letting Dawn's polling spin a core (default on a software
                     adapter: sleep between polls, as the engine does; bench/README.md)
  --out PATH         results file (default bench/results/kernels.json)`;

interface Options {
  shapes: Shape[];
  impls: Impl[];
  ops: OpName[];
  budgetS: number;
  maxReps: number;
  maxRunS: number;
  fullSize: boolean;
  spinWait: boolean;
  out: string;
}

function parseList<T extends string>(flag: string, v: string, allowed: readonly T[]): T[] {
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !allowed.includes(i as T));
  if (bad.length || !items.length) throw new Error(`${flag}: unknown ${bad.join(', ') || '(empty)'}; choose from ${allowed.join(', ')}`);
  return items as T[];
}

function parseShape(spec: string): Shape {
  if (/^\d+$/.test(spec)) {
    const s = SHAPES[Number(spec) - 1];
    if (!s) throw new Error(`--shapes: index ${spec} is not in 1..${SHAPES.length}`);
    return s;
  }
  const parts = spec.split(':').map(Number);
  if ((parts.length !== 4 && parts.length !== 5) || parts.some((p) => !Number.isInteger(p) || p < 1)) {
    throw new Error(`--shapes: '${spec}' is neither an index nor N:H:E:K[:F] with positive integers (e.g. 512:256:16:2)`);
  }
  const [N, H, E, K, F = 2 * H] = parts;
  if (K > E) throw new Error(`--shapes: '${spec}' has K=${K} > E=${E}`);
  return { N, H, E, K, F };
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { shapes: [...SHAPES], impls: [...IMPLS], ops: [...OPS], budgetS: 5, maxReps: 7, maxRunS: 60, fullSize: false, spinWait: false, out: 'bench/results/kernels.json' };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!v || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got '${v ?? ''}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--quick') o.shapes = [SHAPES[0]];
    else if (a === '--shapes') o.shapes = next().split(',').map(parseShape);
    else if (a === '--impl') o.impls = parseList(a, next(), IMPLS);
    else if (a === '--ops') o.ops = parseList(a, next(), OPS);
    else if (a === '--budget') o.budgetS = num(a, next());
    else if (a === '--max-reps') o.maxReps = Math.max(1, Math.floor(num(a, next())));
    else if (a === '--max-run') o.maxRunS = num(a, next());
    else if (a === '--full-size') o.fullSize = true;
    else if (a === '--spin-wait') o.spinWait = true;
    else if (a === '--out') o.out = next();
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  return o;
}

/**
 * On a software adapter the two largest shapes take minutes per run; their N
 * is cut so that N·H <= 2^20 (H, E, K, F unchanged) unless --full-size. The
 * record says what was cut and why.
 */
const SOFTWARE_MAX_NH = 1 << 20;
function shrinkForSoftware(s: Shape): Shrunk | null {
  if (s.N * s.H <= SOFTWARE_MAX_NH) return null;
  const measured = { ...s, N: Math.max(1, Math.floor(SOFTWARE_MAX_NH / s.H)) };
  return {
    requested: s,
    measured,
    reason: `software adapter: N·H = ${s.N * s.H} > 2^20 (such shapes take minutes per run there); N cut to ${measured.N}, H, E, K, F kept (--full-size keeps N)`,
  };
}

const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1);

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The commit measured, with '+dirty' when kernels/, engine/ or bench/ differ from it (taken at start: others may commit meanwhile). */
function gitCommit(): string {
  try {
    const git = (args: string) => execSync(`git ${args}`, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return `${git('rev-parse --short HEAD')}${git('status --porcelain -- kernels engine bench') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

const log = (m: string) => console.log(m);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const commit = gitCommit();
  installNavigatorGpu();
  const provider = navigatorProvider();
  if (!provider) throw new Error('bench: navigator.gpu is missing after installNavigatorGpu()');
  const gpu = await acquireGpu({ providers: [{ ...provider, name: 'dawn via navigator.gpu (shared with the peers)' }], notice: log });
  log(`adapter: ${gpu.adapter.description || gpu.adapter.architecture} (${gpu.adapter.vendor}, ${gpu.adapter.provider})${gpu.adapter.isFallback ? ' [software]' : ''}`);
  // One wait for every implementation's runs: the engine's own Gpu here awaits plainly (navigator provider).
  const sleeping = gpu.adapter.isFallback && !o.spinWait && canSleepThread();
  const wait: GpuWait = sleeping ? sleepingWait : plainWait;
  const waitMode = sleeping ? 'sleeping between polls (all implementations)' : 'plain await (Dawn polls on every event-loop turn)';
  log(`runs awaited: ${waitMode}`);

  const backends: Backend[] = [];
  const loadFailures: Skipped[] = [];
  for (const impl of o.impls) {
    try {
      if (impl === 'moe-engine') backends.push(engineBackend(gpu, await loadEngineModules()));
      else if (impl === 'jax-js') backends.push(await (await import('../peers/jax.ts')).jaxBackend());
      else if (impl === 'tfjs') backends.push(await (await import('../peers/tfjs.ts')).tfjsBackend());
      else backends.push(cpuBackend);
    } catch (e) {
      log(`${impl}: could not start: ${(e as Error).message}`);
      for (const op of o.ops) loadFailures.push({ op, shape: VALIDATION_SHAPE, impl, variant: '', reason: `could not start: ${(e as Error).message}` });
    }
  }

  // 1. The judge: hand-derived reference gradients against finite differences.
  const refCheck = checkReferenceGradients(makeInputs({ N: 6, H: 5, E: 4, K: 2, F: 3 }, 7));
  if (refCheck) throw new Error(`bench: the float64 reference's backward disagrees with finite differences: ${refCheck}`);
  log('reference: backward matches finite differences');

  // 2. Every implementation, op and variant against the reference at the validation shape.
  const skipped: Skipped[] = [...loadFailures];
  const valid = new Set<string>();
  const key = (impl: Impl, op: OpName, variant: string) => `${impl}|${op}|${variant}`;
  const vInputs = makeInputs(VALIDATION_SHAPE, 11);
  log(`validating at ${shapeLabel(VALIDATION_SHAPE)}`);
  for (const op of o.ops) {
    const want = expectedOutputs(op, vInputs);
    for (const b of backends) {
      const why = b.missing(op);
      if (why) {
        skipped.push({ op, shape: VALIDATION_SHAPE, impl: b.impl, variant: '', reason: `missing: ${why}` });
        continue;
      }
      for (const variant of b.variants(op)) {
        let bad: string | null;
        try {
          const p = await b.prepare(op, vInputs, variant);
          bad = checkOutputs(op, vInputs, await wait(p.outputs()), want);
          p.dispose();
        } catch (e) {
          bad = `threw: ${(e as Error).message.split('\n')[0]}`;
        }
        const tag = `${b.impl}${b.variants(op).length > 1 ? ` (${variant})` : ''}`;
        if (bad) {
          log(`  ${op} ${tag}: WRONG, not timed: ${bad}`);
          skipped.push({ op, shape: VALIDATION_SHAPE, impl: b.impl, variant, reason: `validation failed: ${bad}` });
        } else valid.add(key(b.impl, op, variant));
      }
    }
  }
  log(`  ${valid.size} (implementation, op, variant) combinations match the reference`);

  // 3. Timing, shape by shape; slow runs are estimated from the previous shape and skipped.
  const rows: Row[] = [];
  const secondsPerWork = new Map<string, number>();
  /** The same, per shape too: a forward's rate at this shape bounds its backward's. */
  const secondsPerWorkAt = new Map<string, number>();
  const software = gpu.adapter.isFallback;
  const shrunk: Shrunk[] = [];
  const maxBinding = gpu.limits.maxStorageBufferBindingSize;
  const loadStart = loadavg()[0];
  for (const requested of o.shapes) {
    const cut = software && !o.fullSize ? shrinkForSoftware(requested) : null;
    const shape = cut?.measured ?? requested;
    if (cut) {
      shrunk.push(cut);
      log(`\nshape ${shapeLabel(requested)}: measured as ${shapeLabel(shape)}: ${cut.reason}`);
    }
    log(`\n== ${shapeLabel(shape)}`);
    // An op whose largest tensor exceeds the adapter's binding limit cannot run on it; its inputs
    // (the expert weights at the largest shape are gigabytes) are not even generated.
    const ops: OpName[] = [];
    for (const op of o.ops) {
      const big = largestTensor(op, shape);
      if (big.bytes <= maxBinding) {
        ops.push(op);
        continue;
      }
      const reason = `${big.name} [${big.shape.join(', ')}] f32 is ${gib(big.bytes)} GiB, above this adapter's maxStorageBufferBindingSize (${gib(maxBinding)} GiB); not run by any implementation`;
      log(`  ${op}: skipped: ${reason}`);
      for (const b of backends) skipped.push({ op, shape, impl: b.impl, variant: '', reason });
    }
    const inputs = makeInputs(shape, 1, { experts: ops.some((op) => op.startsWith('experts')) });
    const tokens = sampleTokens(shape.N);
    for (const op of ops) {
      const want = expectedOutputs(op, inputs, tokens);
      const entries: { impl: Impl; variant: string; p: Prepared; firstS: number }[] = [];
      for (const b of backends) {
        for (const variant of b.variants(op)) {
          if (!valid.has(key(b.impl, op, variant))) continue;
          const k = key(b.impl, op, variant);
          // Estimated from this op at the previous shape, else (forward+backward) from the forward at this
          // shape: a backward costs at least what its forward does, so the estimate errs low.
          const fwd = op.endsWith('_fwd_bwd') ? (op.replace('_fwd_bwd', '_fwd') as OpName) : null;
          const fwdRate = fwd ? secondsPerWorkAt.get(`${key(b.impl, fwd, variant)}|${shapeLabel(shape)}`) : undefined;
          const work = computedWork(op, shape, variant);
          const rate = secondsPerWork.get(k) ?? (fwd && fwdRate !== undefined ? (fwdRate * computedWork(fwd, shape, variant)) / work : 0);
          const est = rate * work;
          if (est > o.maxRunS) {
            const from = secondsPerWork.has(k) ? 'the previous shape' : `its forward at this shape`;
            skipped.push({ op, shape, impl: b.impl, variant, reason: `estimated ${est.toFixed(0)} s per run (from ${from}) > --max-run ${o.maxRunS}` });
            log(`  ${op} ${b.impl} (${variant}): skipped, estimated ${est.toFixed(0)} s per run`);
            continue;
          }
          const entry = await prepareAndCheck(b, op, inputs, variant, want, tokens, wait);
          if (typeof entry === 'string') {
            skipped.push({ op, shape, impl: b.impl, variant, reason: entry });
            log(`  ${op} ${b.impl} (${variant}): ${entry}`);
            continue;
          }
          // The first run compiles every shader (about a second each on software WebGPU), so it may take far longer than later ones.
          if (entry.firstS > FIRST_RUN_ALLOWANCE * o.maxRunS) {
            entry.p.dispose();
            secondsPerWork.set(k, entry.firstS / computedWork(op, shape, variant));
            skipped.push({ op, shape, impl: b.impl, variant, reason: `first run took ${entry.firstS.toFixed(0)} s > ${FIRST_RUN_ALLOWANCE} x --max-run ${o.maxRunS}` });
            log(`  ${op} ${b.impl} (${variant}): first run took ${entry.firstS.toFixed(1)} s; not timed further`);
            continue;
          }
          log(`  ${op} ${b.impl} (${variant}): first run ${entry.firstS.toFixed(1)} s, sampled outputs match`);
          entries.push({ impl: b.impl, variant, ...entry });
        }
      }
      const timings = await timeInterleaved(entries.map((e) => e.p), { budgetS: o.budgetS, minReps: 1, maxReps: o.maxReps, wait });
      entries.forEach((e) => e.p.dispose());
      const byImpl = new Map<Impl, Row>();
      entries.forEach((e, i) => {
        const t = timings[i];
        secondsPerWork.set(key(e.impl, op, e.variant), t.medianS / computedWork(op, shape, e.variant));
        secondsPerWorkAt.set(`${key(e.impl, op, e.variant)}|${shapeLabel(shape)}`, t.medianS / computedWork(op, shape, e.variant));
        const value = throughput(op, shape, t.medianS);
        log(`  ${op.padEnd(15)} ${`${e.impl}${e.variant ? ` (${e.variant})` : ''}`.padEnd(22)} ${value.toPrecision(3).padStart(8)} ${unitOf(op)}  median ${(t.medianS * 1e3).toFixed(1)} ms of ${t.reps}, cpu ${(t.cpuMedianS * 1e3).toFixed(0)} ms, first ${(e.firstS * 1e3).toFixed(0)} ms`);
        const prev = byImpl.get(e.impl);
        const variants = { ...(prev?.variants ?? {}), [e.variant]: value };
        const row: Row = {
          op, shape, impl: e.impl, unit: unitOf(op), value, variant: e.variant, variants,
          medianMs: t.medianS * 1e3, minMs: t.minS * 1e3, cpuMs: t.cpuMedianS * 1e3, reps: t.reps, firstRunMs: e.firstS * 1e3,
          validated: `all outputs at ${shapeLabel(VALIDATION_SHAPE)}; per-token outputs of ${tokens.length} tokens at this shape`,
        };
        byImpl.set(e.impl, !prev || value > prev.value ? row : { ...prev, variants });
      });
      for (const r of byImpl.values()) rows.push(Object.keys(r.variants ?? {}).length > 1 ? r : { ...r, variants: undefined });
    }
  }

  const table = formatTable(rows, o.impls, shrunk);
  log(`\n${table}`);
  for (const s of skipped) log(`not measured: ${s.op} ${shapeLabel(s.shape)} ${s.impl}${s.variant ? ` (${s.variant})` : ''}: ${s.reason}`);
  const result = {
    adapter: { ...gpu.adapter, sharedWithPeers: true },
    versions: {
      node: process.versions.node,
      webgpu: packageVersion('webgpu'),
      '@jax-js/jax': packageVersion('@jax-js/jax'),
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu'),
      'moe-engine': commit,
    },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', loadAverageStart: loadStart, loadAverageEnd: loadavg()[0] },
    options: { ...o, shapes: o.shapes.map(shapeLabel), runsAwaited: waitMode, timedRunsFollow: 'an untimed run of the same implementation (ops with more than one implementation)' },
    date: new Date().toISOString(),
    rows: rows.map((r) => ({ ...r, value: Number(r.value.toPrecision(4)) })),
    shrunk: shrunk.map((c) => ({ requested: shapeLabel(c.requested), measured: shapeLabel(c.measured), reason: c.reason })),
    skipped: skipped.map((s) => ({ ...s, shape: shapeLabel(s.shape) })),
    table,
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`\nwrote ${o.out}`);
}

const WARM_AGAIN_BELOW_S = 3;
const FIRST_RUN_ALLOWANCE = 5;

/** Prepares, runs once (the warm-up: compiles and allocates) and checks sampled outputs; a string says why not. */
async function prepareAndCheck(
  b: Backend, op: OpName, inputs: Inputs, variant: string, want: ReturnType<typeof expectedOutputs>, tokens: number[], wait: GpuWait,
): Promise<{ p: Prepared; firstS: number } | string> {
  let p: Prepared | null = null;
  try {
    p = await b.prepare(op, inputs, variant);
    const t0 = performance.now();
    const out = await wait(p.outputs());
    const firstS = (performance.now() - t0) / 1000;
    const bad = checkOutputs(op, inputs, out, want, tokens);
    if (bad) {
      p.dispose();
      return `wrong at this shape, not timed: ${bad}`;
    }
    // The first run included compiling and the readback; when that was quick, warm up once more.
    if (firstS < WARM_AGAIN_BELOW_S) await timeOnce(p, wait);
    return { p, firstS };
  } catch (e) {
    p?.dispose();
    return `threw: ${(e as Error).message.split('\n')[0]}`;
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:kernels failed: ${e.message}`);
    process.exit(1);
  },
);
