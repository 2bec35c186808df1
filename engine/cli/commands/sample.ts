/**
 * `moe sample`: generate text from trained weights (the final weights a
 * `moe train` run wrote next to its telemetry file, or --weights PATH).
 */
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command.ts';
import { weightsPathFor } from './train.ts';

function numberOption(value: unknown, name: string, ok: (n: number) => boolean, rule: string, cmd: Command): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name} must be ${rule}, got '${String(value)}'`, cmd);
  return n;
}

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'generate text from trained weights (temperature, seed)',
  synopsis: '[--config PATH] [--weights PATH] [--prompt TEXT] [--bytes N] [--temperature T] [--seed S]',
  details: 'Loads the model described by the config and the weights (default: final.safetensors next to telemetry.path), then samples bytes one at a time. Temperature 0 is greedy; the same seed gives the same text.',
  options: {
    config: { type: 'string', short: 'c', valueName: 'PATH', default: 'configs/default.yaml', description: 'the config the weights were trained with' },
    weights: { type: 'string', short: 'w', valueName: 'PATH', description: 'safetensors weights (default: final.safetensors beside telemetry.path)' },
    prompt: { type: 'string', short: 'p', valueName: 'TEXT', default: 'The ', description: 'text to continue' },
    bytes: { type: 'string', short: 'n', valueName: 'N', default: '300', description: 'bytes to generate' },
    temperature: { type: 'string', short: 't', valueName: 'T', default: '0.8', description: 'sampling temperature (0 = greedy)' },
    seed: { type: 'string', valueName: 'S', default: '1', description: 'random seed' },
  },
  async run(args, io) {
    const bytes = numberOption(args.values.bytes, 'bytes', (n) => Number.isInteger(n) && n >= 1 && n <= 100000, 'an integer in 1..100000', sampleCommand) ?? 300;
    const temperature = numberOption(args.values.temperature, 'temperature', (n) => n >= 0, '>= 0', sampleCommand) ?? 0.8;
    const seed = numberOption(args.values.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer', sampleCommand) ?? 1;
    const prompt = String(args.values.prompt ?? 'The ');
    const { loadConfigFile } = await import('../../config/node.ts');
    const { ConfigError, modelConfigHash } = await import('../../config/index.ts');
    const { acquireNodeGpu } = await import('../../gpu/node.ts');
    const { MoeModel } = await import('../../model/model.ts');
    const { loadWeights } = await import('../../model/node-weights.ts');
    const { sampleText } = await import('../../model/sample.ts');
    const { modelDims } = await import('../../train/trainer.ts');
    let config;
    try {
      config = loadConfigFile(String(args.values.config), process.env);
    } catch (e) {
      if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
        io.err(`moe sample: ${(e as Error).message}`);
        return EXIT_FAILURE;
      }
      throw e;
    }
    const weights = args.values.weights ? String(args.values.weights) : weightsPathFor(config.telemetry.path);
    const gpu = await acquireNodeGpu({ notice: (m) => io.err(m) });
    try {
      const model = MoeModel.create(gpu, modelDims(config), config.training.seed);
      try {
        loadWeights(model, weights, modelConfigHash(config));
      } catch (e) {
        io.err(`moe sample: ${(e as Error).message}`);
        return EXIT_FAILURE;
      }
      const text = await sampleText(model, { prompt, bytes, temperature, seed, contextLength: config.model.sequence_length });
      const { printable } = await import('../../train/node-run.ts');
      io.out(printable(prompt + text));
      return EXIT_OK;
    } finally {
      gpu.destroy();
    }
  },
};
