/**
 * `moe train`: load and validate the config, load the corpus, open the GPU,
 * train with a progress bar and JSONL telemetry, evaluate in bits per byte,
 * save the final weights and print a sample of what the model writes.
 */
import { join } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command.ts';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a MoE language model (default: configs/default.yaml on the Brown corpus)',
  synopsis: '[--config PATH] [--steps N] [--no-sample]',
  details:
    'Trains on WebGPU (a hardware GPU when present, else software WebGPU with a notice). Prints progress, ' +
    'writes one JSON line per step to telemetry.path, evaluates every training.eval_every steps in bits per byte, ' +
    'saves the final weights next to the telemetry file and prints a sample. Checkpoints go to checkpoint.dir ' +
    '(and checkpoint.remote_uri) every checkpoint.every steps and at the end, also after Ctrl-C or SIGTERM; a run ' +
    'resumes by itself from the newest verified checkpoint there (give another checkpoint.dir to start over), and ' +
    'refuses a directory another run on this machine is using. Environment overrides ' +
    'MOE_<SECTION>__<KEY> apply (e.g. MOE_TRAINING__MAX_STEPS=50).',
  options: {
    config: { type: 'string', short: 'c', valueName: 'PATH', default: 'configs/default.yaml', description: 'YAML config file' },
    steps: { type: 'string', valueName: 'N', description: 'override training.max_steps (total steps, counting those before a resume)' },
    'no-sample': { type: 'boolean', description: 'do not print a sample at the end' },
  },
  async run(args, io) {
    const configPath = String(args.values.config ?? 'configs/default.yaml');
    const env = { ...process.env };
    if (args.values.steps !== undefined) {
      const n = Number(args.values.steps);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--steps must be a positive integer, got '${args.values.steps}'`, trainCommand);
      env.MOE_TRAINING__MAX_STEPS = String(n);
    }
    const { runTraining } = await import('../../train/node-run.ts');
    const stepsFlag = args.values.steps === undefined ? undefined : Number(args.values.steps);
    const result = await runTraining({ configPath, env, io, sample: args.values['no-sample'] !== true, stepsFlag });
    return result.ok ? EXIT_OK : EXIT_FAILURE;
  },
};

export const weightsPathFor = (telemetryPath: string): string => join(telemetryPath, '..', 'final.safetensors');
