/**
 * A kernel as the runtime sees it: WGSL source, entry point and the values
 * of its `override` constants. The pipeline-cache key is derived from these
 * fields (never written by hand), so two specialisations cannot collide.
 */
export interface KernelSource {
  /** Label for pipelines, passes, errors and the profiler, e.g. 'matmul_nn'. */
  readonly name: string;
  readonly code: string;
  readonly entryPoint?: string;
  /** Values for WGSL `override` declarations (workgroup and tile sizes, flags). */
  readonly constants?: Readonly<Record<string, number>>;
}

/** Stable string key: name, entry point, sorted constants and a hash of the code. */
export function kernelKey(k: KernelSource): string {
  const constants = Object.entries(k.constants ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join(',');
  return `${k.name}|${k.entryPoint ?? 'main'}|${constants}|${hashString(k.code)}`;
}

/** FNV-1a, 32-bit: enough to tell two shader sources apart in a cache key. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * WGSL `const` declarations generated from a TypeScript tuning object, for
 * values WGSL needs at compile time (function-scope array sizes cannot be
 * `override`s). The TypeScript object is the single definition; the header
 * is prepended to the shader body, and the code hash keeps the cache key honest.
 */
export function wgslConsts(values: Readonly<Record<string, number>>): string {
  return Object.entries(values)
    .map(([name, v]) => {
      if (!Number.isInteger(v) || v < 0) throw new Error(`wgslConsts: ${name} must be a non-negative integer, got ${v}`);
      return `const ${name}: u32 = ${v}u;`;
    })
    .join('\n');
}
