/**
 * checkpoint.dir belongs to one `moe train` at a time: a second run on this
 * machine is refused before it touches anything (its startup sweep would
 * delete the first run's temporaries, its retention the first run's steps),
 * also through another spelling of the path; the lock goes with its holder,
 * kill -9 included. A checkpoint.dir that is a plain file is refused with a
 * message saying so, by moe train and moe ckpt. Real processes, real directories.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { ckptCommand } from '../../engine/cli/commands/ckpt.ts';
import { loadConfigFile } from '../../engine/config/node.ts';
import { CheckpointDirError, openLocalStore } from '../../elastic/node-checkpoints.ts';
import { removeTempDirs, tempDir } from './fixtures.ts';

const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  removeTempDirs();
});

const configFor = (dir: string) => loadConfigFile('configs/smoke.yaml', { MOE_CHECKPOINT__DIR: dir });

/** A process holding the lock of `dir`, once it says so. */
async function holder(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/elastic/lock-child.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) if (line === 'locked') break;
  return child;
}

describe('checkpoint.dir lock', () => {
  it('refuses a second user of the directory, leaves its files alone, and is free again once the holder is killed', async () => {
    const dir = join(tempDir('lock'), 'ckpt');
    mkdirSync(join(dir, 'step=2'), { recursive: true });
    // A save the holder has in flight: the refused run must not sweep it away as a leftover.
    const inFlight = join(dir, 'step=2', '.moe-tmp-1-0-rank=0.safetensors');
    writeFileSync(inFlight, 'being written');
    const child = await holder(dir);
    const warnings: string[] = [];
    const attempt = openLocalStore(configFor(dir), (m) => warnings.push(m));
    await expect(attempt).rejects.toThrow(CheckpointDirError);
    await expect(attempt).rejects.toThrow(new RegExp(`checkpoint.dir ${dir} is in use by another moe train \\(pid ${child.pid} on .*, since .*\\); .*Hint: .*another checkpoint.dir`));
    // The same directory through a symbolic link is the same directory.
    const link = join(dir, '..', 'link');
    symlinkSync(dir, link);
    await expect(openLocalStore(configFor(link), () => {})).rejects.toThrow(/is in use by another moe train/);
    expect(existsSync(inFlight)).toBe(true);

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const opened = await openLocalStore(configFor(dir), (m) => warnings.push(m));
    // Now the temporary is a killed writer's leftover, and goes.
    expect(existsSync(inFlight)).toBe(false);
    expect(warnings).toEqual([`checkpoint: removed 1 temporary file(s) left by an interrupted save in ${dir}`]);
    // Released, it can be taken again (a second run in one process, as the tests do).
    await opened.lock.release();
    await (await openLocalStore(configFor(dir), () => {})).lock.release();
  }, 60_000);

  it('moe train exits 1 with one line (no stack trace) while another process holds checkpoint.dir', async () => {
    const root = tempDir('lock-train');
    const dir = join(root, 'ckpt');
    const child = await holder(dir);
    const env = { ...process.env, MOE_CHECKPOINT__DIR: dir, MOE_TELEMETRY__PATH: join(root, 'telemetry.jsonl') };
    const run = spawn(process.execPath, ['bin/moe.mjs', 'train', '--config', 'configs/smoke.yaml', '--no-sample'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(new RegExp(`^moe train: checkpoint.dir ${dir} is in use by another moe train \\(pid ${child.pid} `, 'm'));
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(root, 'telemetry.jsonl'))).toBe(false);
    child.kill('SIGKILL');
  }, 120_000);

  it('refuses a checkpoint.dir that is a plain file, saying so; moe ckpt tells a file and a missing directory from an empty one', async () => {
    const file = join(tempDir('lock-file'), 'not-a-dir');
    writeFileSync(file, 'x');
    await expect(openLocalStore(configFor(file), () => {})).rejects.toThrow(`checkpoint.dir ${file} cannot be used: ${file} is a file, not a directory`);
    const ckpt = async (action: string, dir: string) => {
      const err: string[] = [];
      const out: string[] = [];
      const code = await ckptCommand.run({ values: { config: 'configs/smoke.yaml', dir }, positionals: [action] }, { out: (t) => out.push(t), err: (t) => err.push(t) });
      return { code, err, out };
    };
    for (const action of ['ls', 'verify']) expect(await ckpt(action, file)).toEqual({ code: 1, err: [`moe ckpt: ${file} is a file, not a checkpoint directory`], out: [] });
    const absent = join(file, '..', 'absent');
    expect(await ckpt('ls', absent)).toEqual({ code: 0, err: [`moe ckpt: ${absent} does not exist (no checkpoints there)`], out: [] });
    expect((await ckpt('verify', absent)).code).toBe(1);
  });
});
