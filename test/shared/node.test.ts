/**
 * The shared kernel cases under Node (Dawn), next to their Deno and
 * Chromium runs (scripts/test-deno.sh, scripts/test-browser.sh), so one
 * case list gives the same pass count in all three runtimes.
 */
import { describe, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { SHARED_CASES } from './index.ts';

describe('shared kernel cases (Node, Dawn)', () => {
  for (const c of SHARED_CASES) {
    it(c.name, async () => {
      const gpu = await testGpu();
      await c.run(gpu);
      // As runner.ts does: asynchronous GPU errors (validation, device loss) are charged to this case.
      await gpu.sync();
    });
  }
});
