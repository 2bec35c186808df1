/** float64 references for the elementwise kernels (ground truth for tests). */
export function axpbyRef(y: ArrayLike<number>, x: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  return Float64Array.from(y, (yi, i) => alpha * x[i] + beta * yi);
}

export function addRef(a: ArrayLike<number>, b: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  return Float64Array.from(a, (ai, i) => alpha * ai + beta * b[i]);
}
