import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { loadConfigFile } from '../../engine/config/node.ts';
import { singleWorkerProblem } from '../../engine/train/node-run.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('moe train (command)', () => {
  it('a bad config fails with exit 1 and names the field and the rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moe-train-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, readFileSync('configs/smoke.yaml', 'utf8').replace('top_k: 2', 'top_k: 9'));
    const c = capture();
    expect(await main(['train', '--config', path], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/model\.top_k: must be <= model\.num_experts \(4\), got 9/);
  });

  it('a config for several workers is refused with exit 1, naming the fields (moe train runs one worker)', async () => {
    const c = capture();
    process.env.MOE_PARALLELISM__WORLD_SIZE = '2';
    process.env.MOE_PARALLELISM__DATA_PARALLEL = '2';
    process.env.MOE_ELASTIC__MAX_WORKERS = '2';
    try {
      expect(await main(['train', '--config', 'configs/smoke.yaml'], c.io)).toBe(1);
    } finally {
      delete process.env.MOE_PARALLELISM__WORLD_SIZE;
      delete process.env.MOE_PARALLELISM__DATA_PARALLEL;
      delete process.env.MOE_ELASTIC__MAX_WORKERS;
    }
    expect(c.err.join('\n')).toMatch(/parallelism\.world_size is 2, parallelism\.data_parallel is 2: this version of moe train runs one worker/);
    expect(c.out.join('\n')).not.toMatch(/corpus:/); // refused before any work
  });

  it('for a shipped multi-worker config, the suggested overrides give a config moe train accepts', async () => {
    const refused = capture();
    expect(await main(['train', '--config', 'configs/large_scale.yaml'], refused.io)).toBe(1);
    const suggestion = /\(e\.g\. ((?:MOE_\w+=\S+ ?)+)\)/.exec(refused.err.join('\n'));
    expect(suggestion?.[1]).toContain('MOE_ELASTIC__MIN_WORKERS=1');
    const overrides = Object.fromEntries(suggestion![1].trim().split(' ').map((kv) => kv.split('=') as [string, string]));
    const config = loadConfigFile('configs/large_scale.yaml', overrides); // throws a ConfigError if a rule still fails
    expect(singleWorkerProblem(config)).toBeNull();
  });

  it('a missing corpus path fails with exit 1 and names the path', async () => {
    const c = capture();
    process.env.MOE_TRAINING__CORPUS = '/nonexistent/moe-corpus';
    try {
      expect(await main(['train', '--config', 'configs/smoke.yaml'], c.io)).toBe(1);
    } finally {
      delete process.env.MOE_TRAINING__CORPUS;
    }
    expect(c.err.join('\n')).toMatch(/\/nonexistent\/moe-corpus/);
  });
});
