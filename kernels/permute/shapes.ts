/** Shape checks shared by the permute and combine launchers. */
import type { Tensor } from '../../engine/gpu/index.ts';

/** Throws unless `t` is an f32 [rows, H] tensor; returns H. */
export function rowsOf(op: string, name: string, t: Tensor, rows: number, hint: string, H?: number): number {
  const ok = t.dtype === 'f32' && t.shape.length === 2 && t.shape[0] === rows && (H === undefined || t.shape[1] === H);
  if (!ok) {
    throw new Error(`${op}: ${name} ('${t.label}') is ${t.dtype} [${t.shape.join(', ')}], expected f32 [${rows}, ${H ?? 'H'}]; hint: ${hint}`);
  }
  return t.shape[1];
}
