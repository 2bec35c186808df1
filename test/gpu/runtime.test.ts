import { describe, expect, it } from 'vitest';
import { GpuDeviceLostError, GpuKernelError, GpuUnavailableError, acquireGpu, ceilDiv, dispatch1d, dispatch2d, foldWorkgroups, kernelKey, packParams } from '../../engine/gpu/index.ts';
import { isFallbackAdapter } from '../../engine/gpu/device.ts';
import { textureOperandsByDefault } from '../../engine/gpu/texture-operand.ts';
import { nodeProviders, SWIFTSHADER_ICD } from '../../engine/gpu/node-provider.ts';
import { acquireNodeGpu, adapterPreferenceFromEnv, textureOperandsFromEnv } from '../../engine/gpu/node.ts';
import { testGpu } from '../helpers/gpu.ts';

describe('dispatch arithmetic', () => {
  it('ceil-divides and folds past the per-dimension limit', () => {
    expect(ceilDiv(0, 64)).toBe(0);
    expect(ceilDiv(65, 64)).toBe(2);
    expect(foldWorkgroups(10, 8)).toEqual([8, 2, 1]);
    expect(foldWorkgroups(8, 8)).toEqual([8, 1, 1]);
    expect(foldWorkgroups(65, 8)).toEqual([8, 8, 2]);
    expect(dispatch1d(65536 * 64 + 1, 64)).toEqual([65535, 2, 1]);
    expect(() => foldWorkgroups(8 * 8 * 8 + 1, 8)).toThrow(/exceed maxComputeWorkgroupsPerDimension/);
    expect(dispatch2d(100, 33, 32, 16)).toEqual([3, 4, 1]);
    expect(() => dispatch2d(1, 70000 * 16, 1, 16, 65535)).toThrow(/along x/);
  });
  it('every folded launch covers the items exactly once (no gaps)', () => {
    for (const count of [1, 7, 8, 9, 63, 64, 65, 500]) {
      const [x, y, z] = foldWorkgroups(count, 8);
      expect(x * y * z).toBeGreaterThanOrEqual(count);
      expect(x * y * z - count).toBeLessThan(x * y);
    }
  });
});

describe('kernel cache key', () => {
  it('differs by constants, entry point and code, not by constant order', () => {
    const a = { name: 'k', code: 'x', constants: { A: 1, B: 2 } };
    expect(kernelKey(a)).toBe(kernelKey({ name: 'k', code: 'x', constants: { B: 2, A: 1 } }));
    expect(kernelKey(a)).not.toBe(kernelKey({ ...a, constants: { A: 1, B: 3 } }));
    expect(kernelKey(a)).not.toBe(kernelKey({ ...a, code: 'y' }));
    expect(kernelKey(a)).not.toBe(kernelKey({ ...a, entryPoint: 'other' }));
  });
});

describe('params', () => {
  it('packs scalars little-endian, padded to 16 bytes, and rejects bad values', () => {
    const buf = packParams([['u32', 7], ['f32', 0.5], ['i32', -2]]);
    expect(buf.byteLength).toBe(16);
    const v = new DataView(buf);
    expect([v.getUint32(0, true), v.getFloat32(4, true), v.getInt32(8, true)]).toEqual([7, 0.5, -2]);
    expect(() => packParams([['u32', -1]])).toThrow(/not a u32/);
    expect(() => packParams([['f32', NaN]])).toThrow(/not finite/);
  });
});

const FILL = `
struct P { n: u32, v: f32 }
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                                     @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + li;
  if (i < p.n) { o[i] = p.v + f32(i); }
}`;

describe('Gpu runtime', () => {
  it('dispatches, reads several tensors at once, and writes after pending work in order', async () => {
    const gpu = await testGpu();
    const a = gpu.empty([130], 'f32', 'a');
    gpu.dispatch({ name: 'fill', code: FILL }, [a], dispatch1d(130, 64), packParams([['u32', 130], ['f32', 1]]));
    const b = gpu.upload(new Uint32Array([5, 6, 7]), [3], 'b');
    const [ra, rb] = await gpu.readMany([a, b]);
    expect(ra[0]).toBe(1);
    expect(ra[129]).toBe(130);
    expect([...rb]).toEqual([5, 6, 7]);
    gpu.release(a, b);
  });

  it('readMany through small staging chunks: tensors split across chunks, several per chunk, empty ones, all dtypes', async () => {
    const gpu = await testGpu();
    const saved = gpu.stagingChunkBytes;
    // 40-byte chunks: the 37-float tensor spans four chunks, the small ones share chunks with their neighbours.
    gpu.stagingChunkBytes = 40;
    try {
      const f = Float32Array.from({ length: 37 }, (_, i) => i * 0.5 - 3);
      const u = Uint32Array.from([1, 2 ** 31, 2 ** 32 - 1]);
      const s = Int32Array.from([-7, 0, 9, -(2 ** 31), 12]);
      const t = [gpu.upload(u, [3], 'u'), gpu.upload(f, [37], 'f'), gpu.empty([0], 'f32', 'none'), gpu.upload(s, [5], 's'), gpu.upload(new Float32Array([42]), [1], 'one')];
      const [gu, gf, gnone, gs, gone] = await gpu.readMany(t);
      expect([...gu]).toEqual([...u]);
      expect(gu).toBeInstanceOf(Uint32Array);
      expect([...gf]).toEqual([...f]);
      expect(gnone).toHaveLength(0);
      expect([...gs]).toEqual([...s]);
      expect(gs).toBeInstanceOf(Int32Array);
      expect([...gone]).toEqual([42]);
      gpu.release(...t);
    } finally {
      gpu.stagingChunkBytes = saved;
    }
  });

  it('names the kernel when a dispatch is invalid', async () => {
    const gpu = await testGpu();
    const wrongType = gpu.upload(new Float32Array(4), [4], 'w');
    // Binding a storage buffer where the shader expects a uniform is a validation error.
    gpu.dispatch({ name: 'broken_fill', code: FILL }, [wrongType, wrongType.buffer], [1, 1, 1]);
    // A valid dispatch after it: the error must still name the one that failed, not the last one recorded.
    const out = gpu.empty([64], 'f32', 'out');
    gpu.dispatch({ name: 'good_fill', code: FILL }, [out], [1, 1, 1], packParams([['u32', 64], ['f32', 1]]));
    const err = await gpu.sync().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GpuKernelError);
    expect((err as GpuKernelError).kernel).toBe('broken_fill');
    gpu.release(wrongType, out);
  });

  it('names the kernel when a binding is one its shader does not declare', async () => {
    const gpu = await testGpu();
    const a = gpu.empty([64], 'f32', 'a');
    const extra = gpu.empty([4], 'f32', 'extra');
    const onlyBinding0 = '@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(1) fn main() { o[0] = 1.0; }';
    gpu.dispatch({ name: 'extra_binding_fill', code: onlyBinding0 }, [a, extra], [1, 1, 1]);
    gpu.dispatch({ name: 'good_fill', code: FILL }, [a], [1, 1, 1], packParams([['u32', 64], ['f32', 1]]));
    const err = await gpu.sync().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GpuKernelError);
    expect((err as GpuKernelError).kernel).toBe('extra_binding_fill');
    gpu.release(a, extra);
  });

  it('reports a WGSL compile error with the kernel name', async () => {
    const gpu = await testGpu();
    const t = gpu.empty([4], 'f32', 't');
    gpu.dispatch({ name: 'syntax_error_kernel', code: '@compute @workgroup_size(1) fn main() { let x: f32 = ; }' }, [], [1, 1, 1]);
    await expect(gpu.sync()).rejects.toThrow(/syntax_error_kernel/);
    gpu.release(t);
  });

  it('a WGSL error in a kernel with bindings reports the compiler message and line, not only the invalid pipeline', async () => {
    const gpu = await testGpu();
    const o = gpu.zeros([4], 'f32', 'o');
    // Line 2 redeclares the parameter `a`: the pipeline is invalid, and so is every later use of it.
    const code = '@group(0) @binding(0) var<storage, read_write> o: array<f32>;\nfn f(a: u32) { let a = 1u; }\n@compute @workgroup_size(1) fn main() { f(1u); o[0] = 1.0; }';
    gpu.dispatch({ name: 'redeclared_kernel', code }, [o], [1, 1, 1]);
    const err = await gpu.sync().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GpuKernelError);
    expect((err as GpuKernelError).kernel).toBe('redeclared_kernel');
    expect((err as Error).message).toMatch(/pipeline creation failed[\s\S]*redeclared_kernel\.wgsl:2:\d+: .*'a'/);
    gpu.release(o);
  });
});

describe('adapter selection', () => {
  it('with no adapter at all, the error names the packages and variables that fix it', async () => {
    const none = { name: 'empty', requestAdapter: async () => null };
    await expect(acquireGpu({ providers: [none] })).rejects.toThrow(/apt-get install -y chromium libvulkan1[\s\S]*VK_ICD_FILENAMES[\s\S]*tried: empty/);
  });

  it('MOE_ADAPTER=software still finds SwiftShader when VK_ICD_FILENAMES already names it (as with-webgpu-env.sh sets it)', async () => {
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    try {
      const names: string[] = [];
      const fallbacks: boolean[] = [];
      for await (const p of nodeProviders('software')) {
        names.push(p.name);
        const adapter = await p.requestAdapter({ forceFallbackAdapter: true });
        fallbacks.push(adapter !== null && isFallbackAdapter(adapter));
      }
      expect(names).toEqual([`dawn (VK_ICD_FILENAMES=${SWIFTSHADER_ICD})`]);
      expect(fallbacks).toEqual([true]);
    } finally {
      if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = saved;
    }
  });

  it('a VK_ICD_FILENAMES that names no file is said so in the providers tried', async () => {
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = '/nonexistent/moe-icd.json';
    try {
      const names: string[] = [];
      for await (const p of nodeProviders('software')) names.push(p.name);
      expect(names).toEqual(['dawn (VK_ICD_FILENAMES=/nonexistent/moe-icd.json, no such file: /nonexistent/moe-icd.json)']);
    } finally {
      if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = saved;
    }
  });

  it('MOE_ADAPTER with an unknown value is a GpuUnavailableError naming the choices', () => {
    const saved = process.env.MOE_ADAPTER;
    process.env.MOE_ADAPTER = 'bogus';
    try {
      expect(() => adapterPreferenceFromEnv()).toThrow(GpuUnavailableError);
      expect(() => adapterPreferenceFromEnv()).toThrow("MOE_ADAPTER must be one of auto, hardware, software; got 'bogus'");
    } finally {
      if (saved === undefined) delete process.env.MOE_ADAPTER;
      else process.env.MOE_ADAPTER = saved;
    }
  });
});

describe('readback after the device is gone', () => {
  it('names what was being read and says the device was destroyed or lost', async () => {
    const gpu = await acquireNodeGpu({ notice: () => {} });
    const t = gpu.upload(new Float32Array([1, 2, 3, 4]), [4], 'weights');
    await gpu.sync();
    const read = gpu.read(t);
    gpu.device.destroy();
    const err = await read.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GpuDeviceLostError);
    expect((err as Error).message).toMatch(/reading 'weights'.*destroyed or lost/);
  });

  it('after Gpu.destroy, recording or syncing throws instead of silently running nothing', async () => {
    const gpu = await acquireNodeGpu({ notice: () => {} });
    const t = gpu.zeros([4], 'f32', 't');
    gpu.destroy();
    await expect(gpu.sync()).rejects.toThrow(/destroyed \(Gpu\.destroy\)/);
    expect(() => gpu.dispatch({ name: 'after_destroy', code: '@compute @workgroup_size(1) fn main() {}' }, [t], [1, 1, 1])).toThrow(GpuDeviceLostError);
  });
});

describe('texture operands by default', () => {
  const adapter = (description: string, vendor = '') => ({ vendor, architecture: '', device: '', description });
  it('only on SwiftShader, where they were measured faster', () => {
    expect(textureOperandsByDefault(adapter('SwiftShader Device (Subzero)'))).toBe(true);
    expect(textureOperandsByDefault(adapter('', 'google swiftshader'))).toBe(true);
    expect(textureOperandsByDefault(adapter('llvmpipe (LLVM 15.0.6, 256 bits)'))).toBe(false);
    expect(textureOperandsByDefault(adapter('NVIDIA H200', 'nvidia'))).toBe(false);
  });

  it('follow the adapter unless GpuOptions.textureOperands says otherwise', async () => {
    const gpu = await acquireNodeGpu({ notice: () => {} });
    const forced = await acquireNodeGpu({ notice: () => {}, textureOperands: !textureOperandsByDefault(gpu.adapter) });
    expect(gpu.textureOperands).toBe(textureOperandsByDefault(gpu.adapter));
    expect(forced.textureOperands).toBe(!gpu.textureOperands);
    gpu.destroy();
    forced.destroy();
  });

  it('MOE_TEXTURE_OPERANDS=on|off|auto overrides the default; anything else names the variable', async () => {
    const saved = process.env.MOE_TEXTURE_OPERANDS;
    try {
      for (const [v, want] of [['on', true], ['off', false], ['auto', undefined], ['OFF', false]] as const) {
        process.env.MOE_TEXTURE_OPERANDS = v;
        expect(textureOperandsFromEnv()).toBe(want);
      }
      process.env.MOE_TEXTURE_OPERANDS = 'off';
      const gpu = await acquireNodeGpu({ notice: () => {} });
      expect(gpu.textureOperands).toBe(false);
      gpu.destroy();
      process.env.MOE_TEXTURE_OPERANDS = 'yes';
      expect(() => textureOperandsFromEnv()).toThrow(/MOE_TEXTURE_OPERANDS must be one of auto, on, off; got 'yes'/);
    } finally {
      if (saved === undefined) delete process.env.MOE_TEXTURE_OPERANDS;
      else process.env.MOE_TEXTURE_OPERANDS = saved;
    }
  });
});
