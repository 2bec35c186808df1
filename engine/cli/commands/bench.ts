/**
 * `moe bench`: the kernel benchmark (bench/kernels/run.ts) against jax-js,
 * TensorFlow.js and the CPU on the same adapter. The peers are dev
 * dependencies, so this runs from a source checkout with `npm ci` done.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_FAILURE, type Command } from '../command.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark the kernels against jax-js, TF.js and the CPU (writes bench/results/kernels.json)',
  synopsis: '[--quick] [-- more options of bench/kernels/run.ts]',
  details: 'Validates each implementation against the float64 reference, then times it. Options after the command go to bench/kernels/run.ts (see bench/README.md); --quick measures only the smallest shape.',
  options: {
    quick: { type: 'boolean', description: 'the smallest shape only' },
  },
  positionals: true,
  async run(args, io) {
    const script = `${root}bench/kernels/run.ts`;
    if (!existsSync(script) || !existsSync(`${root}node_modules/@jax-js/jax`)) {
      io.err('moe bench: needs a source checkout with dev dependencies (npm ci): bench/kernels/run.ts and the peer libraries are not installed');
      return EXIT_FAILURE;
    }
    const extra = [...(args.values.quick ? ['--quick'] : []), ...args.positionals];
    const r = spawnSync('bash', [`${root}scripts/with-webgpu-env.sh`, process.execPath, '--import', 'tsx', script, ...extra], { stdio: 'inherit', cwd: root });
    return r.status ?? EXIT_FAILURE;
  },
};
