/**
 * A batch of token windows. Legend: B sequences, S sequence length. Row b
 * of the window at byte offset o is inputs = bytes[o, o+S), targets =
 * bytes[o+1, o+S+1): each target is the byte after its input.
 */
export interface TokenBatch {
  readonly batchSize: number;
  readonly sequenceLength: number;
  /** Start offset of each window in its split. */
  readonly offsets: readonly number[];
  /** [B, S] byte values as u32 (what the embedding kernel reads). */
  readonly inputs_BS: Uint32Array;
  /** [B, S] next-byte targets. */
  readonly targets_BS: Uint32Array;
}

export function gatherWindows(data: Uint8Array, sequenceLength: number, offsets: readonly number[]): TokenBatch {
  const S = sequenceLength;
  const inputs_BS = new Uint32Array(offsets.length * S);
  const targets_BS = new Uint32Array(offsets.length * S);
  offsets.forEach((o, b) => {
    if (!Number.isInteger(o) || o < 0 || o + S + 1 > data.length) {
      throw new RangeError(`gatherWindows: window ${b} at offset ${o} needs bytes [${o}, ${o + S + 1}) but the split has ${data.length}`);
    }
    inputs_BS.set(data.subarray(o, o + S), b * S);
    targets_BS.set(data.subarray(o + 1, o + S + 1), b * S);
  });
  return { batchSize: offsets.length, sequenceLength: S, offsets: [...offsets], inputs_BS, targets_BS };
}
