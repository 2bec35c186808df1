/**
 * Validation batches, the same on every call and every worker: windows
 * start at 0, S, 2S, ... so each byte after the first is a target exactly
 * once; batch b holds windows bB .. bB + B - 1. Only full batches are
 * produced (fixed shapes on the GPU); the tail that does not fill a batch
 * is left out.
 */
import { gatherWindows, type TokenBatch } from './batch.ts';
import { CorpusError } from './errors.ts';

/** Non-overlapping windows of S + 1 bytes (stride S) in `data`. */
export function validationWindowCount(data: Uint8Array, sequenceLength: number): number {
  return data.length <= sequenceLength ? 0 : Math.floor((data.length - 1) / sequenceLength);
}

/** Full batches available, capped at maxBatches; throws when not even one fits. */
export function validationBatchCount(data: Uint8Array, sequenceLength: number, batchSize: number, maxBatches = Infinity): number {
  const windows = validationWindowCount(data, sequenceLength);
  const full = Math.floor(windows / batchSize);
  if (full === 0) {
    throw new CorpusError(
      `validation split has ${windows} windows of ${sequenceLength + 1} bytes (${data.length} bytes), fewer than one batch of ${batchSize} ` +
        '(hint: a longer corpus, a smaller training.micro_batch_size or model.sequence_length)',
    );
  }
  return Math.min(full, maxBatches);
}

export function* validationBatches(data: Uint8Array, sequenceLength: number, batchSize: number, maxBatches = Infinity): Generator<TokenBatch> {
  const count = validationBatchCount(data, sequenceLength, batchSize, maxBatches);
  for (let b = 0; b < count; b++) {
    const offsets = Array.from({ length: batchSize }, (_, j) => (b * batchSize + j) * sequenceLength);
    yield gatherWindows(data, sequenceLength, offsets);
  }
}
