/**
 * A whole training run in Node: config -> corpus -> GPU -> resume from the
 * newest verified checkpoint -> Trainer loop with progress, telemetry,
 * evaluation and background checkpoints -> final checkpoint and weights ->
 * sample -> summary.
 * Expected failures (bad config, bad corpus, no GPU) print one clear message
 * and return ok: false; Ctrl-C (or SIGTERM) stops after the current step
 * and still commits a checkpoint, writes the weights and the summary.
 */
import { ConfigError, modelConfigHash, type Env, type MoeConfig } from '../config/index.ts';
import { loadConfigFile } from '../config/node.ts';
import { CorpusError, type Corpus } from '../data/index.ts';
import { loadCorpusFromDisk } from '../data/node-files.ts';
import { GpuUnavailableError } from '../gpu/index.ts';
import { acquireNodeGpu } from '../gpu/node.ts';
import type { CliIo } from '../cli/command.ts';
import { weightsPathFor } from '../cli/commands/train.ts';
import { countParams } from '../model/params.ts';
import { saveWeights } from '../model/node-weights.ts';
import { sampleText } from '../model/sample.ts';
import { ProgressReporter, formatCount } from '../progress/index.ts';
import { bitsPerByte, runRecord, type TelemetryRecord } from '../telemetry/index.ts';
import { openTelemetryFile } from '../telemetry/node-file.ts';
import { Trainer } from './trainer.ts';
import { CheckpointSaveError } from '../../elastic/checkpointer.ts';
import type { LocalStore } from '../../elastic/local-store.ts';
import { CheckpointMismatchError } from '../../elastic/resume.ts';
import {
  CheckpointDirError, checkpointRecord, createCheckpointer, createRemoteMirror, openLocalStore, openRemote, RemoteTierError, resumeFromTiers, saveTrainer, type CheckpointRecord,
} from '../../elastic/node-checkpoints.ts';

export interface RunOptions {
  readonly configPath: string;
  readonly env: Env;
  readonly io: CliIo;
  readonly sample: boolean;
  /** The value of --steps, when given (named in config errors). */
  readonly stepsFlag?: number;
}

export interface RunResult {
  readonly ok: boolean;
  readonly steps: number;
  readonly trainLoss: number | null;
  readonly valLoss: number | null;
  readonly losses: readonly number[];
}

const failed: RunResult = { ok: false, steps: 0, trainLoss: null, valLoss: null, losses: [] };

/**
 * `moe train` runs one worker. A config made for several would train this
 * process's share of the batch alone and report the whole batch's tokens,
 * so it is refused, naming the fields.
 */
export function singleWorkerProblem(config: MoeConfig): string | null {
  const p = config.parallelism;
  const many = (['world_size', 'data_parallel', 'expert_parallel'] as const).filter((k) => p[k] !== 1);
  if (many.length === 0) return null;
  // world_size must lie within [elastic.min_workers, max_workers]: the fix names min_workers too when it is above 1.
  const minWorkers = config.elastic.min_workers > 1;
  const fix = ['MOE_PARALLELISM__WORLD_SIZE=1', 'MOE_PARALLELISM__DATA_PARALLEL=1', 'MOE_PARALLELISM__EXPERT_PARALLEL=1', ...(minWorkers ? ['MOE_ELASTIC__MIN_WORKERS=1'] : [])];
  return (
    `${many.map((k) => `parallelism.${k} is ${p[k]}`).join(', ')}: this version of moe train runs one worker ` +
    `(multi-worker training over the rendezvous is not implemented yet); set parallelism.world_size, data_parallel and expert_parallel to 1` +
    `${minWorkers ? ' and elastic.min_workers to 1' : ''} (e.g. ${fix.join(' ')})`
  );
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const { io } = o;
  let config: MoeConfig;
  try {
    config = loadConfigFile(o.configPath, o.env);
  } catch (e) {
    if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`moe train: ${(e as Error).message}`);
      if (o.stepsFlag !== undefined && /max_steps|warmup_steps/.test((e as Error).message)) io.err(`(--steps ${o.stepsFlag} is applied as MOE_TRAINING__MAX_STEPS; warm-up must stay shorter: set MOE_TRAINING__WARMUP_STEPS too)`);
      return failed;
    }
    throw e;
  }
  const oneWorker = singleWorkerProblem(config);
  if (oneWorker) {
    io.err(`moe train: ${oneWorker}`);
    return failed;
  }
  const t = config.training;
  let corpus;
  try {
    corpus = loadCorpusFromDisk(t.corpus, config.model.sequence_length);
  } catch (e) {
    if (e instanceof CorpusError) {
      io.err(`moe train: ${e.message}`);
      return failed;
    }
    throw e;
  }
  io.out(`corpus: ${corpus.source} — ${formatCount(corpus.train.length)} training bytes (${corpus.trainDocuments.length} documents), ` +
    `${formatCount(corpus.validation.length)} validation bytes (${corpus.validationDocuments.length} documents)`);
  // Checkpoint tiers, opened before the GPU so that a wrong bucket or a missing key fails at once.
  const warn = (m: string) => io.err(`warning: ${m}`);
  let opened;
  try {
    opened = await openLocalStore(config, warn);
  } catch (e) {
    if (e instanceof CheckpointDirError) {
      io.err(`moe train: ${e.message}`);
      return failed;
    }
    throw e;
  }
  // The directory stays this run's until it returns (or the process dies, which frees it too).
  try {
    return await trainInDir(o, config, corpus, opened.store, warn);
  } finally {
    await opened.lock.release();
  }
}

/** The run once checkpoint.dir is open and locked: remote tier, GPU, resume, training loop, final save. */
async function trainInDir(o: RunOptions, config: MoeConfig, corpus: Corpus, store: LocalStore, warn: (m: string) => void): Promise<RunResult> {
  const { io } = o;
  const t = config.training;
  let remote;
  try {
    if (config.checkpoint.remote_uri !== null) io.out(`remote checkpoints: listing ${config.checkpoint.remote_uri} ...`);
    remote = await openRemote(config, o.env, () => {});
  } catch (e) {
    if (e instanceof RemoteTierError) {
      io.err(`moe train: ${e.message}`);
      return failed;
    }
    throw e;
  }
  if (remote) io.out(`remote checkpoints: ${remote.tier.uri} (${remote.steps.length ? `newest committed step=${remote.steps[0]}` : 'empty'})`);
  let gpu;
  try {
    gpu = await acquireNodeGpu({ notice: (m) => io.err(m), profile: config.telemetry.profile });
  } catch (e) {
    if (e instanceof GpuUnavailableError) {
      io.err(`moe train: ${e.message}`);
      remote?.tier.close();
      return failed;
    }
    throw e;
  }
  io.out(`gpu: ${gpu.adapter.description || gpu.adapter.architecture || gpu.adapter.vendor} via ${gpu.adapter.provider}${gpu.adapter.isFallback ? ' (software)' : ''}`);
  const trainer = new Trainer(gpu, config, corpus);
  const c = countParams(trainer.model.specs);
  io.out(`parameters: ${formatCount(c.total)} total — embedding ${formatCount(c.embedding)}, router ${formatCount(c.router)}, ` +
    `experts ${formatCount(c.experts)}, other ${formatCount(c.other)}; ${trainer.accumulation} micro-batch(es) per step, ${formatCount(trainer.tokensPerStep)} tokens per step`);

  // Resume from the newest verified step in checkpoint.dir, else in checkpoint.remote_uri.
  let resumedStep: number | null = null;
  try {
    const resumed = await resumeFromTiers(trainer, store, remote?.tier ?? null, warn);
    resumedStep = resumed?.point.snapshot.step ?? null;
    if (resumed?.from === 'local') io.out(`resumed from ${store.root}/step=${resumedStep}`);
    if (resumed?.from === 'remote') io.out(`resumed from ${remote!.tier.uri.replace(/\/$/, '')}/step=${resumedStep} (newer than any verified local step; downloaded into ${store.root})`);
  } catch (e) {
    if (e instanceof CheckpointMismatchError) {
      io.err(`moe train: ${e.message}`);
      remote?.tier.close();
      gpu.destroy();
      return failed;
    }
    throw e;
  }
  // max_steps counts every step, those before the resume too: a run already there has nothing to do, and says so.
  if (resumedStep !== null && resumedStep >= t.max_steps) {
    io.out(`nothing to train: the checkpoint is at step ${resumedStep} and training.max_steps is ${t.max_steps} (it counts the steps before the resume too); ` +
      'raise it (--steps N) to train further (the LR schedule then stretches to the new max_steps), or give another checkpoint.dir to start over');
  }
  const mirror = remote ? createRemoteMirror(config, remote.tier, warn) : undefined;
  const checkpointer = createCheckpointer(config, store, warn, mirror);
  if (resumedStep !== null) checkpointer.trust(resumedStep);
  // A run resumed from a local step the remote tier lacks (the tier was just configured, or a copy failed): copy it now.
  if (mirror && remote && resumedStep !== null && !remote.steps.includes(resumedStep)) mirror.committed(resumedStep);
  let savedStep = resumedStep;

  const telemetry = openTelemetryFile<TelemetryRecord | CheckpointRecord>(config.telemetry.path);
  telemetry.write(runRecord(config, new Date()));
  const progress = new ProgressReporter(process.stdout, { totalSteps: t.max_steps, logEvery: t.log_every });
  let stop = false;
  // What a first Ctrl-C interrupts: the training loop, or the final copy to the remote tier.
  let waitingForCopy: string | null = null;
  // A second signal quits at once, as the signal itself: its default action is
  // restored and it is raised again. process.exit() would run native teardown
  // while Dawn's threads are still working, which crashed (SIGSEGV) about one
  // time in three.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop) {
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      process.kill(process.pid, signal);
      return;
    }
    stop = true;
    progress.log(waitingForCopy ?? 'stopping after this step (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = performance.now();
  const losses: number[] = [];
  let valLoss: number | null = null;
  let lastBpb: number | null = null;
  let saveFailure: CheckpointSaveError | null = null;
  const weightsPath = weightsPathFor(config.telemetry.path);
  try {
    try {
      while (trainer.step < t.max_steps && !stop) {
        const { record, loss } = await trainer.trainStep();
        losses.push(loss);
        telemetry.write(record);
        const done = trainer.step;
        if (done % t.eval_every === 0 || done === t.max_steps) {
          const ev = await trainer.evaluate();
          telemetry.write(ev);
          valLoss = ev.val_loss;
          lastBpb = ev.val_bpb;
        }
        if (config.checkpoint.every > 0 && done % config.checkpoint.every === 0) {
          await saveTrainer(checkpointer, trainer, !config.checkpoint.async);
          savedStep = done;
          telemetry.write(checkpointRecord(done, checkpointer, mirror));
        }
        progress.update({ step: done, loss, tokensPerSecond: record.tokens_per_s, valBpb: lastBpb });
      }
      // The end of the run (max_steps, SIGINT or SIGTERM) always leaves a committed checkpoint.
      if (savedStep !== trainer.step) {
        await saveTrainer(checkpointer, trainer, false);
        telemetry.write(checkpointRecord(trainer.step, checkpointer, mirror));
      }
      await checkpointer.flush();
      // The records above are written when a save is queued; this one shows the final commit (with a remote
      // tier, the record after its final copy does).
      if (!mirror && checkpointer.lastCommittedStep !== null) telemetry.write(checkpointRecord(trainer.step, checkpointer));
    } catch (e) {
      // Storage refused a save (full disk, lost mount): training stops here; the warning above named the cause.
      if (!(e instanceof CheckpointSaveError)) throw e;
      saveFailure = e;
    }
    if (valLoss === null || (stop && trainer.step % t.eval_every !== 0)) {
      const ev = await trainer.evaluate();
      telemetry.write(ev);
      valLoss = ev.val_loss;
    }
    // The weights first: they must not wait on (or be lost to a Ctrl-C during) a slow remote copy.
    try {
      await saveWeights(trainer.model, weightsPath, { model_hash: modelConfigHash(config), step: String(trainer.step), format: 'moe-engine final weights' });
    } catch (e) {
      if (!saveFailure) throw e;
      io.err(`moe train: the final weights could not be written to ${weightsPath} either: ${(e as Error).message}`);
    }
    if (mirror && remote && !saveFailure) {
      // The newest step should leave the machine before the run ends (a pod's disk may not outlive it).
      if (mirror.queueDepth > 0) {
        waitingForCopy = `waiting for the copy of step=${checkpointer.lastCommittedStep} to ${remote.tier.uri}; it is committed in ${store.root} (Ctrl-C again to quit now)`;
        io.out(`remote checkpoints: copying step=${checkpointer.lastCommittedStep} to ${remote.tier.uri} before exit...`);
      }
      if (await mirror.flush()) {
        if (mirror.lastMirroredStep !== null) io.out(`remote checkpoints: step=${mirror.lastMirroredStep} copied to ${remote.tier.uri}`);
      } else io.err(`warning: the newest checkpoint is only on local disk (${store.root}): ${mirror.lastError}`);
      telemetry.write(checkpointRecord(trainer.step, checkpointer, mirror));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    remote?.tier.close();
  }
  if (saveFailure) {
    const newest = checkpointer.lastCommittedStep ?? resumedStep;
    io.err(`moe train: stopped at step ${trainer.step} because checkpoints cannot be saved in ${store.root} (see the warning above); ` +
      `the newest committed checkpoint is ${newest === null ? 'none' : `step=${newest}`}`);
    gpu.destroy();
    return { ok: false, steps: trainer.step, trainLoss: null, valLoss, losses };
  }
  const trainLoss = losses.length ? losses.slice(-Math.min(10, losses.length)).reduce((a, b) => a + b, 0) / Math.min(10, losses.length) : null;
  progress.finish({
    steps: trainer.step,
    tokens: (trainer.step - (resumedStep ?? 0)) * trainer.tokensPerStep,
    wallMs: performance.now() - started,
    trainLoss,
    valLoss,
    outputs: [{ label: 'telemetry', path: config.telemetry.path }, { label: 'weights', path: weightsPath }],
  });
  if (o.sample) {
    const text = await sampleText(trainer.model, { prompt: 'The ', bytes: 240, temperature: 0.8, seed: t.seed, contextLength: config.model.sequence_length });
    io.out(`\nsample (temperature 0.8):\n  The ${printable(text).replace(/\n/g, '\n  ')}`);
  }
  io.out(`final validation: ${bitsPerByte(valLoss).toFixed(3)} bits per byte`);
  gpu.destroy();
  return { ok: true, steps: trainer.step, trainLoss, valLoss, losses };
}


/** Control characters (other than newline and tab) shown as '·', so a sample cannot disturb the terminal. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '·');
}
