/**
 * Training batches: windows of sequence_length + 1 bytes at offsets drawn
 * uniformly from a seeded PRNG. The sampler's state (PRNG words and the
 * count of windows drawn) is plain JSON: save it with a checkpoint, restore
 * it, and the run draws exactly the windows it would have drawn.
 *
 * For data parallelism every worker draws the offsets of the whole global
 * batch from the same stream (nextOffsets) and gathers only its own slice,
 * so the sequence of batches does not depend on the number of workers.
 */
import { gatherWindows, type TokenBatch } from './batch.ts';
import { CorpusError } from './errors.ts';
import { Prng, type PrngState } from './prng.ts';

export interface SamplerState {
  readonly prng: PrngState;
  readonly windowsDrawn: number;
}

/** Stream id that separates data sampling from other uses of training.seed. */
const DATA_STREAM = 0x64617461; // 'data'

export class WindowSampler {
  private prng: Prng;
  private drawn = 0;

  constructor(
    private readonly data: Uint8Array,
    readonly sequenceLength: number,
    seed: number,
    /** Names the split in errors. */
    readonly label = 'training',
  ) {
    if (!Number.isInteger(sequenceLength) || sequenceLength < 1) throw new RangeError(`WindowSampler: sequence length must be a positive integer, got ${sequenceLength}`);
    if (data.length < sequenceLength + 1) {
      throw new CorpusError(
        `WindowSampler: the ${label} split has ${data.length} bytes, shorter than one window of sequence_length + 1 = ${sequenceLength + 1} bytes ` +
          '(hint: use a longer text or a smaller model.sequence_length)',
      );
    }
    this.prng = Prng.fromSeed(seed, DATA_STREAM);
  }

  /** Distinct window start offsets: 0 .. length - S - 1. */
  get windowCount(): number {
    return this.data.length - this.sequenceLength;
  }

  get windowsDrawn(): number {
    return this.drawn;
  }

  nextOffsets(count: number): number[] {
    const offsets: number[] = [];
    for (let i = 0; i < count; i++) offsets.push(this.prng.below(this.windowCount));
    this.drawn += count;
    return offsets;
  }

  /** The windows at `offsets` (e.g. this worker's slice of nextOffsets). */
  gather(offsets: readonly number[]): TokenBatch {
    return gatherWindows(this.data, this.sequenceLength, offsets);
  }

  nextBatch(batchSize: number): TokenBatch {
    return this.gather(this.nextOffsets(batchSize));
  }

  state(): SamplerState {
    return { prng: this.prng.state(), windowsDrawn: this.drawn };
  }

  restore(state: SamplerState): void {
    if (!Number.isInteger(state?.windowsDrawn) || state.windowsDrawn < 0) {
      throw new TypeError(`WindowSampler.restore: windowsDrawn must be a non-negative integer, got ${JSON.stringify(state?.windowsDrawn)}`);
    }
    this.prng = Prng.fromState(state.prng);
    this.drawn = state.windowsDrawn;
  }
}
