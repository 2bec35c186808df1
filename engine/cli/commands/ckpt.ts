/**
 * `moe ckpt ls` and `moe ckpt verify`: what the local checkpoint tier holds
 * and whether each step would be trusted by resume (manifest present and
 * valid, every shard with the recorded size and sha256, model hash equal
 * to the config's).
 */
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command.ts';

const ACTIONS = ['ls', 'verify'] as const;

export const ckptCommand: Command = {
  name: 'ckpt',
  summary: 'list (ls) or check (verify) the checkpoints in checkpoint.dir',
  synopsis: 'ls|verify [--config PATH] [--dir DIR]',
  details:
    'ls prints each step directory with its state (committed or not), size and time. verify reads every step as resume ' +
    'would: the manifest must parse, every shard must have the recorded size and sha256, and the model hash must match ' +
    'the config; it exits 1 when a committed step fails or the newest step is not usable. Uncommitted steps (a save that ' +
    'was interrupted) are reported and ignored, as resume ignores them.',
  options: {
    config: { type: 'string', short: 'c', valueName: 'PATH', default: 'configs/default.yaml', description: 'config whose checkpoint.dir and model hash to use' },
    dir: { type: 'string', short: 'd', valueName: 'DIR', description: 'checkpoint directory (default: checkpoint.dir of the config)' },
  },
  positionals: true,
  async run(args, io) {
    const action = args.positionals[0];
    if (args.positionals.length !== 1 || !ACTIONS.includes(action as (typeof ACTIONS)[number])) {
      throw new UsageError(`expected one action, ls or verify, got ${args.positionals.length ? `'${args.positionals.join(' ')}'` : 'none'}`, ckptCommand);
    }
    const { loadConfigFile } = await import('../../config/node.ts');
    const { ConfigError, modelConfigHash } = await import('../../config/index.ts');
    const { LocalStore } = await import('../../../elastic/local-store.ts');
    const { nodeSha256 } = await import('../../../elastic/node-sha256.ts');
    const { listSteps, verifyStep } = await import('../../../elastic/resume.ts');
    const { MANIFEST_NAME, stepDir } = await import('../../../elastic/format.ts');
    let config;
    try {
      config = loadConfigFile(String(args.values.config), process.env);
    } catch (e) {
      if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
        io.err(`moe ckpt: ${(e as Error).message}`);
        return EXIT_FAILURE;
      }
      throw e;
    }
    const store = new LocalStore(args.values.dir ? String(args.values.dir) : config.checkpoint.dir);
    const modelHash = modelConfigHash(config);
    const steps = await listSteps(store);
    if (steps.length === 0) {
      io.out(`no checkpoints in ${store.root}`);
      return action === 'ls' ? EXIT_OK : EXIT_FAILURE;
    }
    if (action === 'ls') {
      io.out(`checkpoints in ${store.root} (newest first):`);
      for (const step of steps) {
        const names = await store.list(stepDir(step));
        let line = `  ${stepDir(step).padEnd(12)} `;
        if (!names.includes(MANIFEST_NAME)) {
          line += `uncommitted (no ${MANIFEST_NAME}; ignored by resume)`;
        } else {
          const check = await verifyStep(store, step, nodeSha256);
          if (check.ok) {
            const bytes = check.manifest.shards.reduce((a, s) => a + s.bytes, 0);
            line += `committed  ${check.manifest.shards.length} shard(s), ${(bytes / 1024).toFixed(1)} KiB, ${check.manifest.time}, host ${check.manifest.host}`;
          } else {
            line += `BAD: ${check.reason}`;
          }
        }
        io.out(line);
      }
      return EXIT_OK;
    }
    let failures = 0;
    let newestUsable: number | null = null;
    for (const step of steps) {
      const check = await verifyStep(store, step, nodeSha256);
      if (!check.ok) {
        const uncommitted = !(await store.list(stepDir(step))).includes(MANIFEST_NAME);
        if (!uncommitted) failures++;
        io.out(`  ${stepDir(step).padEnd(12)} ${uncommitted ? 'uncommitted, ignored' : 'FAIL'}: ${check.reason}`);
      } else if (check.manifest.model_hash !== modelHash) {
        failures++;
        io.out(`  ${stepDir(step).padEnd(12)} FAIL: model hash ${check.manifest.model_hash.slice(0, 12)}… differs from the config's ${modelHash.slice(0, 12)}… (another model shape)`);
      } else {
        newestUsable ??= step;
        io.out(`  ${stepDir(step).padEnd(12)} OK (${check.manifest.shards.length} shard(s), sha256 verified)`);
      }
    }
    io.out(newestUsable === null ? 'no usable checkpoint: training would start from scratch' : `resume would load ${stepDir(newestUsable)}`);
    return failures === 0 && newestUsable !== null ? EXIT_OK : EXIT_FAILURE;
  },
};
