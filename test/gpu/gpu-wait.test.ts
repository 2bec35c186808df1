import { spawnSync } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isIoRequest } from '../../engine/gpu/gpu-wait.ts';
import { acquireGpu, canSleepThread, sleepingWait, type GpuProvider, type GpuWait } from '../../engine/gpu/index.ts';
import { nodeProviders } from '../../engine/gpu/node-provider.ts';

const later = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('sleepingWait', () => {
  it('passes the value and the rejection of the awaited promise through', async () => {
    expect(await sleepingWait(later(15, 'done'))).toBe('done');
    const failing = new Promise((_, reject) => setTimeout(() => reject(new Error('map failed')), 5));
    await expect(sleepingWait(failing)).rejects.toThrow('map failed');
    expect(await sleepingWait(Promise.resolve(7))).toBe(7);
  });

  it('keeps the event loop turning: timers and I/O callbacks run while it waits', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('timer 5 ms'), 5);
    setImmediate(() => order.push('immediate'));
    await sleepingWait(later(40, null).then(() => order.push('awaited')));
    expect(order).toEqual(['immediate', 'timer 5 ms', 'awaited']);
  });

  it('overlapping and nested waits (a benchmark around an engine sync) all settle, in the order their work ends', async () => {
    const ended: string[] = [];
    const outer = sleepingWait(later(30, 'outer').then((v) => (ended.push(v), v)));
    const inner = sleepingWait(later(10, 'inner').then((v) => (ended.push(v), v)));
    const nested = sleepingWait(sleepingWait(later(20, 'nested')).then((v) => (ended.push(v), v)));
    expect(await Promise.all([outer, inner, nested])).toEqual(['outer', 'inner', 'nested']);
    expect(ended).toEqual(['inner', 'nested', 'outer']);
    // The shared sleeper loop has ended; a fresh wait, after a rejection too, starts it again.
    await expect(sleepingWait(Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await sleepingWait(later(1, 'again'))).toBe('again');
  });

  it('counts file system calls, socket writes and connects as I/O in flight, long-lived handles not', async () => {
    const requests = ['FSReqCallback', 'FSReqPromise', 'CloseReq', 'WriteWrap', 'SimpleWriteWrap', 'ConnectWrap', 'ShutdownWrap', 'GetAddrInfoReqWrap'];
    const handles = ['PipeWrap', 'TCPWrap', 'TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate', 'TTYWrap', 'SignalWrap', 'ProcessWrap', 'FSEventWrap', 'StatWatcher'];
    expect(requests.filter((r) => !isIoRequest(r))).toEqual([]);
    expect(handles.filter(isIoRequest)).toEqual([]);
    // The names are Node's own: a file write in flight is listed as one, and is gone when it completes
    // (the test runner may have file requests of its own in flight too).
    const path = join(tmpdir(), `moe-gpu-wait-${process.pid}`);
    const fsRequests = () => process.getActiveResourcesInfo().filter((r) => isIoRequest(r) && r.startsWith('FS'));
    try {
      const fh = await open(path, 'w');
      const write = fh.write(Buffer.alloc(1 << 20, 1));
      const during = fsRequests();
      expect(during).toContain('FSReqPromise');
      await write;
      await fh.close();
      expect(fsRequests().length).toBeLessThan(during.length);
    } finally {
      await rm(path, { force: true });
    }
  });

  it('a wait that never settles does not keep the process alive (as a plain await would not)', () => {
    const script = `import { sleepingWait } from './engine/gpu/gpu-wait.ts';
      void sleepingWait(new Promise(() => {}));
      setTimeout(() => console.log('timer ran'), 20);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.error).toBeUndefined();
    expect([child.status, child.stdout.trim()]).toEqual([0, 'timer ran']);
  });

  it('Node may block its main thread in Atomics.wait', () => {
    expect(canSleepThread()).toBe(true);
  });
});

describe('the wait a Gpu uses', () => {
  /** Dawn's software provider with a wait that counts its calls. */
  async function countingSoftwareProvider(): Promise<{ provider: GpuProvider; calls: () => number }> {
    let calls = 0;
    const counting: GpuWait = (p) => {
      calls++;
      return sleepingWait(p);
    };
    for await (const p of nodeProviders('software')) return { provider: { ...p, softwareWait: counting }, calls: () => calls };
    throw new Error('no software Dawn provider (is chromium installed?)');
  }

  it("on a software adapter, sync and reads go through the provider's software wait", async () => {
    const { provider, calls } = await countingSoftwareProvider();
    const gpu = await acquireGpu({ providers: [provider], notice: () => {} });
    expect(gpu.adapter.isFallback).toBe(true);
    const t = gpu.upload(new Float32Array([1, 2, 3]), [3], 'w');
    await gpu.sync();
    expect(calls()).toBe(1);
    expect(Array.from(await gpu.read(t))).toEqual([1, 2, 3]);
    expect(calls()).toBe(2);
    gpu.device.destroy();
  });

  it('an explicit wait option wins over the provider default', async () => {
    const { provider, calls } = await countingSoftwareProvider();
    let explicit = 0;
    const gpu = await acquireGpu({ providers: [provider], notice: () => {}, wait: (p) => (explicit++, p) });
    await gpu.sync();
    expect([explicit, calls()]).toEqual([1, 0]);
    gpu.device.destroy();
  });
});
