/** A typed view of a GPU storage buffer. Shapes are row-major. */
export type DType = 'f32' | 'u32' | 'i32';

export interface Tensor {
  readonly buffer: GPUBuffer;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly label: string;
}

export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'u32' ? Uint32Array : Int32Array;
export type HostArray = Float32Array | Uint32Array | Int32Array;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

/** Storage buffers may not be zero-sized; an empty tensor still owns 4 bytes. */
export function byteSize(shape: readonly number[]): number {
  return Math.max(4, numel(shape) * 4);
}

export function dtypeOf(data: HostArray): DType {
  if (data instanceof Float32Array) return 'f32';
  if (data instanceof Uint32Array) return 'u32';
  return 'i32';
}

export function shapeString(t: { shape: readonly number[] }): string {
  return `[${t.shape.join(', ')}]`;
}
