/**
 * The `moe` bin end to end: spawns `node bin/moe.mjs` (tsx-loaded CLI) and
 * checks output and exit codes as a user or a script would see them.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../engine/cli/commands.ts';

const BIN = fileURLToPath(new URL('../bin/moe.mjs', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function moe(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A JavaScript stack frame (`at fn (file.ts:12:3)`); Dawn's native warnings name .cpp files and do not count. */
const JS_STACK_FRAME = /^\s+at .*\.(ts|js|mjs|cjs):\d+/m;

describe('moe CLI', () => {
  it('--help lists every registered command with its summary', async () => {
    const r = await moe(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: moe <command>/);
    expect(r.stdout).toMatch(/^\s+info\s+show the GPU adapter/m);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.summary);
  });

  it('<command> --help shows that command\'s usage and options', async () => {
    const r = await moe(['info', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: moe info \[--json\]/);
    expect(r.stdout).toMatch(/--json\s+print one JSON record/);
  });

  it('an unknown command exits 2, names it and prints the usage', async () => {
    const r = await moe(['frobnicate', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).toMatch(/Usage: moe <command>[\s\S]*\binfo\b/);
  });

  it('an unknown flag and no command at all are usage errors too (exit 2)', async () => {
    const flag = await moe(['info', '--jsno']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^moe info: Unknown option '--jsno'/);
    expect(flag.stderr).toContain('Usage: moe info [--json]');
    const none = await moe([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('missing command');
  });

  it('validate is dispatched through the table: OK for a shipped config, usage error without a file', async () => {
    const ok = await moe(['validate', '--no-env', 'configs/smoke.yaml']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK configs\/smoke\.yaml \(model hash [0-9a-f]{12}\)$/m);
    const none = await moe(['validate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^moe validate: no config file given\nUsage: moe validate/);
  });

  it('info --json gives a parsable adapter record with limits at least the WebGPU minimums', async () => {
    const r = await moe(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as Record<string, unknown> & {
      adapter: Record<string, unknown>;
      limits: Record<string, number>;
      features: unknown[];
    };
    expect(typeof info.provider).toBe('string');
    expect(info.provider).not.toBe('');
    for (const key of ['vendor', 'architecture', 'device', 'description']) expect(typeof info.adapter[key]).toBe('string');
    expect(typeof info.adapter.isFallback).toBe('boolean');
    // Some identification must be present, or the record says nothing about the adapter.
    expect(`${info.adapter.vendor}${info.adapter.architecture}${info.adapter.description}`).not.toBe('');
    expect(Array.isArray(info.features) && info.features.every((f) => typeof f === 'string')).toBe(true);
    // Defaults from the WebGPU spec: every conforming adapter offers at least these.
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(info.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16 * 1024);
    expect(info.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(info.limits.maxComputeWorkgroupSizeX).toBeGreaterThanOrEqual(256);
    expect(info.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
    // A software adapter is announced in the notices, a hardware one is not.
    expect(info.notices).toEqual(info.adapter.isFallback ? [expect.stringMatching(/software adapter/)] : []);
  });

  it('info as text shows the adapter block and the limits', async () => {
    const r = await moe(['info']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^provider: \S/m);
    expect(r.stdout).toMatch(/^adapter:\n {2}vendor: /m);
    expect(r.stdout).toMatch(/^ {2}fallback:\s+(yes \(software\)|no)$/m);
    expect(r.stdout).toMatch(/^ {2}maxStorageBufferBindingSize:\s+\d+ \(\d/m);
  });

  it('info without any adapter names what is missing and the fix, no stack trace, and exits 1', async () => {
    // A Vulkan loader pointed at a missing driver and no software fallback: no adapter on any machine.
    const r = await moe(['info'], { MOE_ADAPTER: 'hardware', VK_ICD_FILENAMES: '/nonexistent/moe-no-such-icd.json' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('moe info: No hardware GPU adapter was found (MOE_ADAPTER=hardware).');
    expect(r.stderr).toContain('set MOE_ADAPTER=auto or software');
    expect(r.stderr).not.toMatch(JS_STACK_FRAME);
  });
});
