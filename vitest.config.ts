import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/deno/**', 'node_modules/**'],
    // Software WebGPU compiles shaders in seconds; the defaults are too tight.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: one worker per core keeps SwiftShader from thrashing.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
