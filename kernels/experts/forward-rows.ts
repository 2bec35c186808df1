/**
 * The inner loops of the forward expert kernels (gate-up.wgsl, down.wgsl),
 * generated: one WGSL function per row count in FORWARD_ROW_PATHS, and
 * `expert_rows`, which calls the smallest that covers an invocation's rows.
 *
 * Why generated: SwiftShader neither unrolls loops nor keeps an indexed
 * array in registers, so every row's accumulators and loads are written out
 * with constant indices (named variables). A row tile of TM = 16 rows then
 * always costs 16 rows of multiply-adds, and an expert's last, partial tile
 * wastes the rest: with the benchmark's routing 10-19% of the multiply-adds
 * the forward did. With functions for 4, 8, 12 and 16 rows a partial tile
 * wastes at most 3 rows (2-4%). While ROW_WG_ROWS is 1 every invocation of
 * a workgroup has the same rows, so the choice does not diverge (were it
 * to, the result would still be right, only slower). A short path reads
 * the weights for fewer rows, so it saves less time than multiply-adds;
 * measured (bench/README.md): the forward 7.7% shorter at N=1024 H=1024
 * E=64, unchanged within the noise at N=1024 H=512 E=32 and N=512 H=256
 * E=16.
 *
 * Legend: e expert, k step of the reduction, r row of the invocation.
 */

/** What differs between the forward kernels; the loop around it is shared. */
export interface ForwardRowsSpec {
  /** The storage array (array<vec4f>) of the rows: x (gate-up) or a (down). */
  readonly rows: string;
  /** WGSL statements run once, before the loop: they may name e, col0 and p. */
  readonly prelude: string;
  /** The two weight vectors at step `k` (a WGSL expression of u32 k), as WGSL expressions. */
  readonly weights: (k: string) => readonly [string, string];
  /** fn(row, col0, acc0, acc1) that stores one row's two accumulators. */
  readonly store: string;
}

/** `expert_rows(e, row0, col0, hi)` and the per-row-count functions it calls. */
export function forwardRows(spec: ForwardRowsSpec, paths: readonly number[], tm: number): string {
  checkPaths(paths, tm);
  const fns = paths.map((n) => rowsFunction(spec, n));
  const calls = paths.map((n, i) =>
    i === paths.length - 1 ? `{ expert_rows_${n}(e, row0, col0, hi); }` : `if (hi - row0 <= ${n}u) { expert_rows_${n}(e, row0, col0, hi); }`,
  );
  return [
    ...fns,
    '// Rows [row0, hi) of this invocation (at most TM) belong to expert e.',
    'fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {',
    `  ${calls.join(' else ')}`,
    '}',
    '',
  ].join('\n');
}

/** Ascending row counts, the last one the whole tile (TM). */
export function checkPaths(paths: readonly number[], tm: number): void {
  const ok = paths.length > 0 && paths.every((n, i) => Number.isInteger(n) && n >= 1 && (i === 0 || n > paths[i - 1])) && paths[paths.length - 1] === tm;
  if (!ok) throw new Error(`FORWARD_ROW_PATHS must be ascending positive row counts ending with TM = ${tm}; got [${paths.join(', ')}]`);
}

const STEPS = [
  ['', 'x'],
  [' + 1u', 'y'],
  [' + 2u', 'z'],
  [' + 3u', 'w'],
] as const;

/**
 * Rows row0 .. row0+n-1 of this invocation, those at or beyond hi read
 * clamped to the last row (finite) and never stored: they belong to another
 * expert or to no row at all.
 */
function rowsFunction(spec: ForwardRowsSpec, n: number): string {
  const rs = Array.from({ length: n }, (_, r) => r);
  const L: string[] = [];
  L.push(`fn expert_rows_${n}(e: u32, row0: u32, col0: u32, hi: u32) {`);
  L.push('  let k4s = p.k_dim / 4u;');
  L.push('  let last = hi - 1u;');
  // vec4 index of each row's start.
  for (const r of rs) L.push(`  let r${r} = min(row0 + ${r}u, last) * k4s;`);
  L.push(...spec.prelude.split('\n').map((s) => `  ${s}`));
  for (const r of rs) L.push(`  var c${r}_0 = vec4f(0.0); var c${r}_1 = vec4f(0.0);`);
  L.push('  for (var k4 = 0u; k4 < k4s; k4++) {');
  // v<r> = row r at columns 4k4 .. 4k4+3 of the reduction.
  L.push(`    ${rs.map((r) => `let v${r} = ${spec.rows}[r${r} + k4];`).join(' ')}`);
  L.push('    let k = 4u * k4;');
  for (const [dk, c] of STEPS) {
    const [w0, w1] = spec.weights(`k${dk}`);
    L.push(`    { let w0 = ${w0}; let w1 = ${w1};`);
    for (const r of rs) L.push(`      c${r}_0 = fma(vec4f(v${r}.${c}), w0, c${r}_0); c${r}_1 = fma(vec4f(v${r}.${c}), w1, c${r}_1);`);
    L.push('    }');
  }
  L.push('  }');
  for (const r of rs) L.push(`  if (row0 + ${r}u < hi) { ${spec.store}(row0 + ${r}u, col0, c${r}_0, c${r}_1); }`);
  L.push('}');
  return L.join('\n');
}
