import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../engine/cli/commands/validate.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('moe validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-validate-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'model:\n  num_experts: 8\n  top_k: 9\ntraining:\n  max_step: 10\n');

  it('prints OK for each valid file and exits 0', async () => {
    const c = capture();
    expect(await validateCommand(['configs/smoke.yaml', 'configs/default.yaml', 'configs/large_scale.yaml'], c.io, {})).toBe(0);
    expect(c.out).toHaveLength(3);
    expect(c.out[0]).toMatch(/^OK configs\/smoke\.yaml \(model hash [0-9a-f]{12}\)$/);
    expect(c.err).toEqual([]);
  });

  it('prints every error of a bad file and exits 1', async () => {
    const c = capture();
    expect(await validateCommand(['configs/smoke.yaml', bad], c.io, {})).toBe(1);
    expect(c.out).toHaveLength(1);
    expect(c.err[0]).toBe(
      `${bad}: 2 errors\n` +
        `  training.max_step: unknown key; did you mean 'max_steps'? (${bad}:5)\n` +
        `  model.top_k: must be <= model.num_experts (8), got 9 (${bad}:3)`,
    );
    expect(c.err[1]).toBe('1 of 2 config files invalid');
  });

  it('applies environment overrides unless --no-env', async () => {
    const env = { MOE_MODEL__TOP_K: '5', MOE_MODEL__NUM_EXPERTS: '4' };
    const c = capture();
    expect(await validateCommand(['configs/default.yaml'], c.io, env)).toBe(1);
    expect(c.err[0]).toContain('model.top_k: must be <= model.num_experts (4, from MOE_MODEL__NUM_EXPERTS), got 5 (environment MOE_MODEL__TOP_K)');
    expect(await validateCommand(['--no-env', 'configs/default.yaml'], capture().io, env)).toBe(0);
  });

  it('a missing file is an error; no file or an unknown flag is a usage error', async () => {
    const c = capture();
    expect(await validateCommand([join(dir, 'nope.yaml')], c.io, {})).toBe(1);
    expect(c.err[0]).toMatch(/nope\.yaml: 1 error\n {2}config: cannot read: file not found/);
    expect(await validateCommand([], capture().io, {})).toBe(2);
    const u = capture();
    expect(await validateCommand(['--strict', 'configs/smoke.yaml'], u.io, {})).toBe(2);
    expect(u.err[0]).toMatch(/unknown option '--strict'\nUsage: moe validate/);
  });
});
