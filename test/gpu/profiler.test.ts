import { describe, expect, it } from 'vitest';
import { dispatch1d, packParams } from '../../engine/gpu/index.ts';
import { acquireNodeGpu } from '../../engine/gpu/node.ts';

const SQUARE = `
struct P { n: u32 }
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < p.n) { o[g.x] = a[g.x] * a[g.x]; }
}`;

describe('profiler', () => {
  it('attributes GPU time to each kernel by name and counts calls', async () => {
    const gpu = await acquireNodeGpu({ profile: true, notice: () => {} });
    try {
      expect(gpu.profiler).not.toBeNull();
      const n = 4096;
      const a = gpu.upload(new Float32Array(n).fill(3), [n], 'a');
      const o = gpu.empty([n], 'f32', 'o');
      for (let i = 0; i < 3; i++) gpu.dispatch({ name: 'square', code: SQUARE }, [o, a], dispatch1d(n, 64), packParams([['u32', n]]));
      gpu.dispatch({ name: 'square_again', code: SQUARE }, [a, o], dispatch1d(n, 64), packParams([['u32', n]]));
      expect((await gpu.readF32(a))[0]).toBe(81);
      const report = await gpu.profiler!.report();
      const byName = Object.fromEntries(report.map((r) => [r.kernel, r]));
      expect(byName.square.calls).toBe(3);
      expect(byName.square_again.calls).toBe(1);
      for (const r of report) expect(r.totalMs).toBeGreaterThanOrEqual(0);
      expect(['timestamp-query', 'wall-clock']).toContain(gpu.profiler!.mode);
    } finally {
      gpu.destroy();
    }
  });
});
