/**
 * `moe ckpt ls` and `moe ckpt verify`: what the local checkpoint tier (or,
 * with --remote, checkpoint.remote_uri) holds and whether each step would be
 * trusted by resume (manifest present and valid, every shard with the
 * recorded size and sha256, model hash equal to the config's).
 */
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command.ts';

const ACTIONS = ['ls', 'verify'] as const;

export const ckptCommand: Command = {
  name: 'ckpt',
  summary: 'list (ls) or check (verify) the checkpoints in checkpoint.dir or checkpoint.remote_uri',
  synopsis: 'ls|verify [--config PATH] [--dir DIR | --remote]',
  details:
    'ls prints each step directory with its state (committed or not), size and time. verify reads every step as resume ' +
    'would: the manifest must parse, every shard must have the recorded size and sha256, and the model hash must match ' +
    'the config; it exits 1 when a committed step fails or the newest step is not usable. Uncommitted steps (a save that ' +
    'was interrupted) are reported and ignored, as resume ignores them. --remote reads checkpoint.remote_uri (s3:// with ' +
    'S3_ENDPOINT_URL and AWS_* credentials from the environment, or file://) instead of the local tier.',
  options: {
    config: { type: 'string', short: 'c', valueName: 'PATH', default: 'configs/default.yaml', description: 'config whose checkpoint.dir and model hash to use' },
    dir: { type: 'string', short: 'd', valueName: 'DIR', description: 'checkpoint directory (default: checkpoint.dir of the config)' },
    remote: { type: 'boolean', short: 'r', description: "read the config's checkpoint.remote_uri instead of the local tier" },
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
    const { openRemoteTier, RemoteTierError } = await import('../../../elastic/remote-tier.ts');
    const { nodeSha256 } = await import('../../../elastic/node-sha256.ts');
    const { listSteps, verifyStep } = await import('../../../elastic/resume.ts');
    const { MANIFEST_NAME, parseStepDir, stepDir } = await import('../../../elastic/format.ts');
    const { statSync } = await import('node:fs');
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
    let store: import('../../../elastic/store.ts').CheckpointStore;
    let tier: import('../../../elastic/remote-tier.ts').RemoteTier | null = null;
    if (args.values.remote) {
      if (args.values.dir) throw new UsageError('--dir and --remote name two different tiers; give one', ckptCommand);
      const uri = config.checkpoint.remote_uri;
      if (uri === null) {
        io.err(`moe ckpt: --remote: ${args.values.config} sets no checkpoint.remote_uri`);
        return EXIT_FAILURE;
      }
      try {
        tier = openRemoteTier(uri, config.checkpoint.dir, process.env);
      } catch (e) {
        if (e instanceof RemoteTierError) {
          io.err(`moe ckpt: ${e.message}`);
          return EXIT_FAILURE;
        }
        throw e;
      }
      store = tier.store;
    } else {
      const dir = args.values.dir ? String(args.values.dir) : config.checkpoint.dir;
      // A mistyped --dir or a file in the way should not read as an empty checkpoint directory.
      const kind = statSync(dir, { throwIfNoEntry: false });
      if (kind === undefined) {
        io.err(`moe ckpt: ${dir} does not exist (no checkpoints there)`);
        return action === 'ls' ? EXIT_OK : EXIT_FAILURE;
      }
      if (!kind.isDirectory()) {
        io.err(`moe ckpt: ${dir} is a file, not a checkpoint directory`);
        return EXIT_FAILURE;
      }
      store = new LocalStore(dir);
    }
    try {
      return await report(store);
    } catch (e) {
      // A remote that cannot be reached or read: one line, credentials redacted.
      if (!tier) throw e;
      io.err(`moe ckpt: ${tier.uri}: ${tier.redact((e as Error).message)}`);
      return EXIT_FAILURE;
    } finally {
      tier?.close();
    }

    async function report(store: import('../../../elastic/store.ts').CheckpointStore): Promise<number> {
      const modelHash = modelConfigHash(config!);
      const steps = await listSteps(store);
      // Names like step=007 or step=-1 are not steps to resume (nor to delete): say so rather than hide them.
      const odd = (await store.list('')).filter((n) => n.startsWith('step=') && parseStepDir(n) === null);
      if (odd.length > 0) io.out(`ignored in ${store.where} (not step=<N> with N a plain non-negative integer): ${odd.join(', ')}`);
      if (steps.length === 0) {
        io.out(`no checkpoints in ${store.where}`);
        return action === 'ls' ? EXIT_OK : EXIT_FAILURE;
      }
      if (action === 'ls') {
        io.out(`checkpoints in ${store.where} (newest first):`);
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
      // What resume does: it takes the newest step that verifies, and refuses it if it is of another model shape.
      let verdict: string | null = null;
      let usable = false;
      const numExperts = config!.model.num_experts;
      for (const step of steps) {
        const check = await verifyStep(store, step, nodeSha256);
        const name = stepDir(step).padEnd(12);
        if (!check.ok) {
          const uncommitted = !(await store.list(stepDir(step))).includes(MANIFEST_NAME);
          if (!uncommitted) failures++;
          io.out(`  ${name} ${uncommitted ? 'uncommitted, ignored' : 'FAIL'}: ${check.reason}`);
          continue;
        }
        const owned = check.manifest.expert_placement.reduce((a, p) => a + p.experts.length, 0);
        if (owned !== numExperts) {
          failures++;
          io.out(`  ${name} FAIL: the manifest places ${owned} expert(s), the config's model has ${numExperts}`);
        } else if (check.manifest.model_hash !== modelHash) {
          failures++;
          io.out(`  ${name} FAIL: model hash ${check.manifest.model_hash.slice(0, 12)}… differs from the config's ${modelHash.slice(0, 12)}… (another model shape)`);
          verdict ??= `training would refuse to start: ${stepDir(step)} is of another model shape (use the config it was trained with)`;
        } else {
          io.out(`  ${name} OK (${check.manifest.shards.length} shard(s), sha256 verified)`);
          if (verdict === null) {
            verdict = `resume would load ${stepDir(step)}`;
            usable = true;
          }
        }
      }
      io.out(verdict ?? 'no usable checkpoint: training would start from scratch');
      return failures === 0 && usable ? EXIT_OK : EXIT_FAILURE;
    }
  },
};
