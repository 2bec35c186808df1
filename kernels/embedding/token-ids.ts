/**
 * Host-side validation of token ids before upload. The kernels treat an id
 * outside [0, V) as absent (zero embedding row, no gradient), which would
 * hide a data bug; checking here instead gives an error naming the id and
 * where it sits, at the cost of one pass over ids the host already holds.
 */
import { numel, type Gpu, type Tensor } from '../../engine/gpu/index.ts';

export interface TokenIdCheck {
  /** What the ids are, for the message (e.g. 'batch tokens', 'targets'). */
  readonly what?: string;
  /** A value allowed besides [0, V) (cross-entropy's ignore target). */
  readonly ignore?: number;
  /** Shape of the ids, so the position is reported as [row, col] too. */
  readonly shape?: readonly number[];
}

/** Throws on the first id that is not an integer in [0, V) (nor `ignore`). */
export function checkTokenIds(ids: ArrayLike<number>, V: number, o: TokenIdCheck = {}): void {
  const what = o.what ?? 'token ids';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (Number.isInteger(id) && id >= 0 && id < V) continue;
    if (o.ignore !== undefined && id === o.ignore) continue;
    const where = o.shape && o.shape.length > 1 ? ` (index [${unravel(i, o.shape).join(', ')}] of shape [${o.shape.join(', ')}])` : '';
    throw new Error(
      `${what}: id ${id} at position ${i}${where} is outside the vocabulary [0, ${V})` +
        (o.ignore !== undefined ? ` and is not the ignore value ${o.ignore}` : '') +
        '; hint: check the tokenizer and the configured vocabulary size',
    );
  }
}

/** Validates ids against V, then uploads them as a u32 tensor of `shape`. */
export function uploadTokenIds(gpu: Gpu, ids: ArrayLike<number>, shape: readonly number[], V: number, label: string, o: Omit<TokenIdCheck, 'shape'> = {}): Tensor {
  if (numel(shape) !== ids.length) throw new Error(`uploadTokenIds '${label}': shape [${shape.join(', ')}] holds ${numel(shape)} ids, got ${ids.length}`);
  checkTokenIds(ids, V, { what: o.what ?? label, ignore: o.ignore, shape });
  return gpu.upload(ids instanceof Uint32Array ? ids : Uint32Array.from(ids), shape, label);
}

function unravel(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return out;
}
