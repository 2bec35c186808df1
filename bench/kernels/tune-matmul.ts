/**
 * Sweeps matmul's workgroup shape (WG_X x WG_Y) for each register block of
 * MATMUL_TUNING (the block per invocation is fixed by the shaders: 16 x 16
 * for the plain layout with K and N multiples of 4, 8 x 8 for every layout,
 * 16 x 8 for the plain layout with B read through a texture)
 * on this machine's adapter, validating every candidate first. Candidates are
 * timed round-robin so that load from other processes falls on all of them
 * alike; the median wall time and the process CPU time are both reported.
 *
 *   bash scripts/with-webgpu-env.sh npx tsx bench/kernels/tune-matmul.ts [--rounds 5] [--blocks 16,8,tex]
 */
import { acquireNodeGpu } from '../../engine/gpu/node.ts';
import { MATMUL_TUNING, matmul, matmulBody, matmulInto, type MatmulTuning } from '../../kernels/matmul/matmul.ts';
import { matmulRef } from '../../kernels/matmul/reference.ts';
import { makeInputs } from './ops.ts';
import { median, timeOnce } from './timing.ts';

const SIDES = [2, 4, 8, 16] as const;
const BLOCKS: Record<string, MatmulTuning> = { 16: MATMUL_TUNING.block16, 8: MATMUL_TUNING.block8, tex: MATMUL_TUNING.blockTex };
/** [M, K, N]: the benchmark's matmul shapes (x_NH · w_HF) and the 512^3 reference point. */
const PROBLEMS: Array<[number, number, number]> = [
  [512, 256, 512],
  [512, 512, 512],
  [1024, 512, 1024],
];

const label = (c: MatmulTuning) => `${c.TM}x${c.TN} block, WG ${c.WG_X} x ${c.WG_Y}`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--rounds');
  const rounds = at >= 0 ? Number(argv[at + 1]) : 5;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds needs a positive integer, got '${argv[at + 1]}'`);
  const gpu = await acquireNodeGpu({ notice: () => {} });
  const bt = argv.indexOf('--blocks');
  const blocks = (bt >= 0 ? argv[bt + 1] : gpu.textureOperands ? '16,8,tex' : '16,8').split(',').map((b) => {
    if (!BLOCKS[b]) throw new Error(`--blocks: '${b}' is not a block; choose from ${Object.keys(BLOCKS).join(', ')}`);
    return BLOCKS[b];
  });
  console.log(`adapter: ${gpu.adapter.description || gpu.adapter.architecture}; current MATMUL_TUNING ${JSON.stringify(MATMUL_TUNING)}`);
  const candidates: MatmulTuning[] = blocks.flatMap((b) =>
    SIDES.flatMap((x) => SIDES.filter((y) => x * y >= 4 && x * y <= 256).map((y) => ({ WG_X: x, WG_Y: y, TM: b.TM, TN: b.TN }))),
  );

  // Validate each candidate on an awkward shape (not a multiple of any tile). The plain layout takes
  // the candidate's block (K and N are multiples of 4, N of 64 for the texture block, which needs a Gpu
  // with texture operands); the 8 x 8 block is also checked transposed.
  for (const tuning of candidates) {
    const textureB = tuning.TM === 16 && tuning.TN === 8;
    const [M, K, N] = [37, 52, textureB ? 64 : 36];
    if (textureB && !gpu.canTexture({ layers: 1, rows: K, cols: N })) throw new Error('tune-matmul: --blocks tex needs texture operands (a software adapter)');
    const a = makeInputs({ N: M, H: K, E: 2, K: 1, F: N }, 5);
    for (const [transA, transB] of [[false, false], [true, true]] as const) {
      if ((transA || transB) && tuning.TM === 16) continue;
      const A = gpu.upload(a.x_NH, transA ? [K, M] : [M, K], 'A');
      const B = gpu.upload(a.w_HF, transB ? [N, K] : [K, N], 'B');
      const C = matmul(gpu, A, B, { transA, transB, tuning });
      const got = await gpu.readF32(C);
      const want = matmulRef(a.x_NH, a.w_HF, M, K, N, { transA, transB });
      const bad = got.findIndex((v, i) => !(Math.abs(v - want[i]) <= 1e-4 + 1e-4 * Math.abs(want[i])));
      if (bad >= 0) throw new Error(`tune-matmul: ${label(tuning)} (${matmulBody({ transA, transB, tuning }, K, N, textureB)} body) transA=${transA} transB=${transB} wrong at ${bad}: ${got[bad]} vs ${want[bad]}`);
      gpu.release(A, B, C);
    }
  }
  console.log(`${candidates.length} candidates validated`);

  const score = new Map<MatmulTuning, number[]>(candidates.map((c) => [c, []]));
  for (const [m, k, n] of PROBLEMS) {
    const inp = makeInputs({ N: m, H: k, E: 2, K: 1, F: n }, 3);
    const A = gpu.upload(inp.x_NH, [m, k], 'A');
    const B = gpu.upload(inp.w_HF, [k, n], 'B');
    const C = gpu.empty([m, n], 'f32', 'C');
    const wall = new Map<MatmulTuning, number[]>(candidates.map((c) => [c, []]));
    const cpu = new Map<MatmulTuning, number[]>(candidates.map((c) => [c, []]));
    const run = (tuning: MatmulTuning) => ({ run: async () => { matmulInto(gpu, C, A, B, { tuning }); await gpu.sync(); }, outputs: async () => ({}), dispose: () => {} });
    for (const c of candidates) await timeOnce(run(c)); // compile
    for (let r = 0; r < rounds; r++) {
      for (const c of candidates) {
        const t = await timeOnce(run(c));
        wall.get(c)!.push(t.wallS);
        cpu.get(c)!.push(t.cpuS);
      }
    }
    const flop = 2 * m * k * n;
    console.log(`\n[${m}, ${k}]·[${k}, ${n}]: GFLOP/s from the median wall time (and per CPU-second)`);
    for (const c of candidates) {
      const g = flop / median(wall.get(c)!) / 1e9;
      score.get(c)!.push(g);
      console.log(`  ${label(c).padEnd(24)}  ${g.toFixed(3)}  (${(flop / median(cpu.get(c)!) / 1e9).toFixed(3)} per CPU-s)`);
    }
    gpu.release(A, B, C);
  }
  const geo = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  const ranked = [...score.entries()].sort((p, q) => geo(q[1]) - geo(p[1]));
  console.log('\nby geometric mean over the problems:');
  for (const [c, xs] of ranked) console.log(`  ${label(c)}: ${geo(xs).toFixed(3)} GFLOP/s`);
  process.exit(0);
}

main().catch((e: Error) => {
  console.error(`tune-matmul failed: ${e.message}`);
  process.exit(1);
});
