/**
 * Text generation: feed the last `contextLength` bytes, take the logits of
 * the last position, sample the next byte at a temperature from a seeded
 * generator (temperature 0 = greedy). Same weights, prompt and seed, same text.
 */
import { uploadTokenIds } from '../../kernels/embedding/token-ids.ts';
import type { MoeModel } from './model.ts';

export interface SampleOptions {
  readonly prompt: string;
  readonly bytes: number;
  readonly temperature: number;
  readonly seed: number;
  readonly contextLength: number;
}

export async function sampleText(model: MoeModel, o: SampleOptions): Promise<string> {
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) throw new Error(`sample: temperature must be >= 0, got ${o.temperature}`);
  const context = [...new TextEncoder().encode(o.prompt.length ? o.prompt : '\n')];
  const out: number[] = [];
  let state = o.seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const V = model.dims.vocab;
  for (let i = 0; i < o.bytes; i++) {
    const window = context.slice(-o.contextLength);
    const ids = uploadTokenIds(model.gpu, window, [window.length], V, 'sample_ids');
    const logits = model.logits(ids);
    const all = await model.gpu.readF32(logits);
    model.gpu.release(ids, logits);
    const row = all.subarray((window.length - 1) * V, window.length * V);
    const next = pick(row, o.temperature, random());
    context.push(next);
    out.push(next);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(out));
}

/** Index drawn from softmax(logits / temperature) with the uniform number u; argmax when temperature is 0. */
export function pick(logits: ArrayLike<number>, temperature: number, u: number): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  const weights = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    weights[i] = Math.exp((logits[i] - logits[best]) / temperature);
    sum += weights[i];
  }
  let acc = 0;
  for (let i = 0; i < logits.length; i++) {
    acc += weights[i] / sum;
    if (u < acc) return i;
  }
  return logits.length - 1;
}
