/**
 * The training loop, runtime-neutral: sample windows, forward/backward per
 * micro-batch (gradient accumulation), global-norm clip, AdamW, one readback
 * per step for the loss, routing statistics and the finite check, then a
 * telemetry record. Validation on a fixed set of windows, in bits per byte.
 */
import type { MoeConfig } from '../config/index.ts';
import { gradientAccumulationSteps } from '../config/index.ts';
import { validationBatches, WindowSampler, type Corpus, type TokenBatch } from '../data/index.ts';
import type { Gpu, Tensor } from '../gpu/index.ts';
import { uploadTokenIds } from '../../kernels/embedding/token-ids.ts';
import { gradNorm, releaseGradNorm } from '../../kernels/grad-norm/grad-norm.ts';
import { assertFiniteGradients, readGradNormReport } from '../../kernels/grad-norm/report.ts';
import { releaseMoeStats, type MoeStats } from '../layers/moe.ts';
import type { ModelDims } from '../model/dims.ts';
import { MoeModel, type MicroBatchResult } from '../model/model.ts';
import { bitsPerByte, evalRecord, flopsPerToken, modelFlopsUtilization, routingTelemetry, type EvalRecord, type StepRecord } from '../telemetry/index.ts';
import { AdamW } from './optimizer.ts';
import { learningRate } from './schedule.ts';

export function modelDims(config: MoeConfig): ModelDims {
  const m = config.model;
  return {
    vocab: m.vocab_size, hidden: m.hidden_dim, layers: m.num_layers, experts: m.num_experts, topK: m.top_k,
    ffn: m.ffn_dim, capacityFactor: m.capacity_factor, dropTokens: m.drop_tokens, rmsEps: 1e-5,
  };
}

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

export interface StepOutcome {
  readonly record: StepRecord;
  /** Mean training loss of the step in nats per byte. */
  readonly loss: number;
}

export class Trainer {
  readonly model: MoeModel;
  readonly optimizer: AdamW;
  readonly sampler: WindowSampler;
  readonly accumulation: number;
  /** Optimizer steps taken so far (the next step's index). */
  step = 0;
  private readonly flopsPerToken: number;

  constructor(readonly gpu: Gpu, readonly config: MoeConfig, readonly corpus: Corpus) {
    const t = config.training;
    this.model = MoeModel.create(gpu, modelDims(config), t.seed);
    this.optimizer = new AdamW(gpu, this.model.specs, { beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weight_decay });
    this.sampler = new WindowSampler(corpus.train, config.model.sequence_length, t.seed);
    this.accumulation = gradientAccumulationSteps(config);
    this.flopsPerToken = flopsPerToken(config);
  }

  /** Tokens this process trains per step (its micro-batches; the whole global batch when it is the only worker). */
  get tokensPerStep(): number {
    return this.accumulation * this.config.training.micro_batch_size * this.config.model.sequence_length;
  }

  learningRate(step: number): number {
    const t = this.config.training;
    return learningRate(step, { peak: t.learning_rate, min: t.min_learning_rate, warmupSteps: t.warmup_steps, maxSteps: t.max_steps });
  }

  /** One optimizer step over global_batch_size sequences. */
  async trainStep(): Promise<StepOutcome> {
    const gpu = this.gpu;
    const t = this.config.training;
    const started = performance.now();
    const lr = this.learningRate(this.step);
    this.model.zeroGrads();
    const results: MicroBatchResult[] = [];
    for (let micro = 0; micro < this.accumulation; micro++) {
      const batch = this.sampler.nextBatch(t.micro_batch_size);
      const [ids, targets] = this.upload(batch);
      results.push(this.model.forwardBackward(ids, targets, { zLoss: t.z_loss_weight, auxLoss: t.aux_loss_weight }, 1 / this.accumulation));
      gpu.release(ids, targets);
    }
    const names = this.model.specs.map((s) => s.name);
    const norm = gradNorm(gpu, names.map((n) => this.model.grad(n)), t.grad_clip > 0 ? { maxNorm: t.grad_clip } : {});
    this.optimizer.update(this.model.params, this.model.grads, this.step + 1, lr, norm.clipScale);
    const report = await readGradNormReport(gpu, norm, names);
    const host = await this.readResults(results);
    releaseGradNorm(gpu, norm);
    if (!Number.isFinite(host.loss)) {
      throw new NonFiniteLossError(`training loss is ${host.loss} at step ${this.step}; hint: lower training.learning_rate or enable training.grad_clip`);
    }
    assertFiniteGradients(report, this.step);
    const stepMs = performance.now() - started;
    const tokensPerS = (this.tokensPerStep / stepMs) * 1000;
    const record: StepRecord = {
      type: 'step',
      step: this.step,
      loss: host.loss,
      lr,
      tokens_per_s: tokensPerS,
      step_ms: stepMs,
      mfu: modelFlopsUtilization(this.flopsPerToken, tokensPerS, this.config.telemetry.peak_tflops),
      grad_norm: report.norm,
      routing: host.routing,
      ...(gpu.profiler ? { kernel_ms: await this.kernelTimes() } : {}),
    };
    this.step++;
    return { record, loss: host.loss };
  }

  /** GPU milliseconds per kernel label since the last call (profiling on). */
  private async kernelTimes(): Promise<Record<string, number>> {
    const profiler = this.gpu.profiler!;
    const report = await profiler.report();
    profiler.reset();
    return Object.fromEntries(report.map((r) => [r.kernel, r.totalMs]));
  }

  /** Mean validation loss over the first eval_batches batches (the same windows every time). */
  async evaluate(): Promise<EvalRecord> {
    const t = this.config.training;
    const batches = validationBatches(this.corpus.validation, this.config.model.sequence_length, t.micro_batch_size, t.eval_batches);
    let sum = 0;
    let count = 0;
    for (const batch of batches) {
      const [ids, targets] = this.upload(batch);
      const r = this.model.evaluate(ids, targets);
      this.gpu.release(ids, targets);
      const host = await this.readResults([r]);
      sum += host.loss;
      count++;
    }
    if (count === 0) throw new Error('validation split is shorter than one batch of windows; hint: lower training.micro_batch_size or model.sequence_length');
    return evalRecord(this.step, sum / count);
  }

  private upload(batch: TokenBatch): [Tensor, Tensor] {
    const shape = [batch.batchSize * batch.sequenceLength];
    const V = this.config.model.vocab_size;
    return [uploadTokenIds(this.gpu, batch.inputs_BS, shape, V, 'ids_N'), uploadTokenIds(this.gpu, batch.targets_BS, shape, V, 'targets_N')];
  }

  /** One readback for every micro-batch's loss and every layer's routing statistics. */
  private async readResults(results: readonly MicroBatchResult[]): Promise<{ loss: number; routing: StepRecord['routing'] }> {
    const tensors: Tensor[] = [];
    for (const r of results) {
      tensors.push(r.loss_1);
      for (const s of r.layers) tensors.push(s.counts_E, s.dropped_1, s.zLoss_1, s.auxLoss_1);
    }
    const host = await this.gpu.readMany(tensors);
    const L = this.config.model.num_layers;
    const E = this.config.model.num_experts;
    const counts = Array.from({ length: L }, () => new Array<number>(E).fill(0));
    let loss = 0;
    let dropped = 0;
    let z = 0;
    let aux = 0;
    let i = 0;
    for (const r of results) {
      loss += host[i++][0];
      r.layers.forEach((_, l) => {
        const c = host[i++];
        for (let e = 0; e < E; e++) counts[l][e] += c[e];
        dropped += host[i++][0];
        z += host[i++][0];
        aux += host[i++][0];
      });
    }
    for (const r of results) {
      this.gpu.release(r.loss_1);
      r.layers.forEach((s: MoeStats) => releaseMoeStats(this.gpu, s));
    }
    const n = results.length;
    const denom = Math.max(1, n * L);
    return { loss: loss / n, routing: routingTelemetry({ countsPerLayer: counts, zLoss: z / denom, auxLoss: aux / denom, droppedSlots: dropped }) };
  }
}

export { bitsPerByte };
