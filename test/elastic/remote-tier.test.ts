// The second checkpoint tier without a GPU: a file:// tier fed by the
// background mirror from a real local Checkpointer. Values are checked
// against the synthetic fixture's formula (valueAt), not the code under test.

import { existsSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { RemoteMirror } from '../../elastic/remote-mirror.ts';
import { openRemoteTier, RemoteTierError, type RemoteTier } from '../../elastic/remote-tier.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { restoreNewestFromRemote } from '../../elastic/s3-mirror.ts';
import { MODEL_HASH, removeTempDirs, syntheticSnapshot, tempDir, valueAt } from './fixtures.ts';

afterAll(removeTempDirs);

function checkpointer(localRoot: string, retention: number, mirror: RemoteMirror, warnings: string[]): Checkpointer {
  const c = new Checkpointer({
    store: new LocalStore(localRoot), retention, modelHash: MODEL_HASH, numExperts: 4, engineVersion: 'test', host: 'test-host',
    warn: (m) => warnings.push(m), onCommit: (step) => mirror.committed(step), pinned: () => mirror.pinned(),
  });
  mirror.onCopied(() => c.retainNow());
  return c;
}

const stepsIn = (root: string): string[] => (existsSync(root) ? readdirSync(root).filter((n) => n.startsWith('step=')).sort() : []);

/** A tier whose copies wait until open() is called, to hold an upload in flight. */
function gated(tier: RemoteTier): { tier: RemoteTier; copies: number[]; open: () => void } {
  const waiting: (() => void)[] = [];
  const copies: number[] = [];
  let isOpen = false;
  return {
    copies,
    open: () => {
      isOpen = true;
      waiting.splice(0).forEach((go) => go());
    },
    tier: {
      ...tier,
      async mirror(from, step) {
        copies.push(step);
        if (!isOpen) await new Promise<void>((go) => waiting.push(go));
        await tier.mirror(from, step);
      },
    },
  };
}

describe('file:// remote tier with the background mirror', () => {
  it('mirrors each committed step, keeps remote_retention steps there and restores the newest into an empty local tier', async () => {
    const localRoot = join(tempDir('tier-local'), 'ckpt');
    const remoteRoot = tempDir('tier-remote');
    const tier = openRemoteTier(pathToFileURL(remoteRoot).href, localRoot, {});
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier, localRoot, retention: 2, warn: (m) => warnings.push(m) });
    const c = checkpointer(localRoot, 1, mirror, warnings);
    for (const step of [1, 2, 3, 4]) {
      await c.save(syntheticSnapshot(step));
      await c.flush();
      expect(await mirror.flush()).toBe(true);
    }
    expect(warnings).toEqual([]);
    expect(stepsIn(localRoot)).toEqual(['step=4']);
    expect(stepsIn(remoteRoot)).toEqual(['step=3', 'step=4']);
    expect(await tier.committedSteps()).toEqual([4, 3]);
    expect(mirror.lastMirroredStep).toBe(4);

    const restoreRoot = join(tempDir('tier-restore'), 'ckpt');
    expect(await restoreNewestFromRemote(tier.store, restoreRoot)).toBe(4);
    const point = await findResumePoint(new LocalStore(restoreRoot), { modelHash: MODEL_HASH });
    expect(point?.snapshot.step).toBe(4);
    expect(Array.from(point!.snapshot.tensors.v[1].data.slice(0, 7))).toEqual(Array.from({ length: 7 }, (_, i) => valueAt(4, 5, i)));
  });

  it('while the remote is slow, skips to the newest step, and local retention keeps the step being copied', async () => {
    const localRoot = join(tempDir('slow-local'), 'ckpt');
    const remoteRoot = tempDir('slow-remote');
    const gate = gated(openRemoteTier(pathToFileURL(remoteRoot).href, localRoot, {}));
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier: gate.tier, localRoot, retention: 5, warn: (m) => warnings.push(m) });
    const c = checkpointer(localRoot, 1, mirror, warnings);
    for (const step of [1, 2, 3, 4]) {
      await c.save(syntheticSnapshot(step));
      await c.flush();
    }
    // Step 1 is being copied (held by the gate), 4 waits; 2 and 3 were superseded before their turn.
    expect(gate.copies).toEqual([1]);
    expect(mirror.pinned().sort()).toEqual([1, 4]);
    expect(stepsIn(localRoot)).toEqual(['step=1', 'step=4']);
    gate.open();
    expect(await mirror.flush()).toBe(true);
    expect(gate.copies).toEqual([1, 4]);
    expect(await gate.tier.committedSteps()).toEqual([4, 1]);
    // Both copies are done: nothing is pinned, so local retention (1) dropped step 1 after its copy.
    expect(mirror.pinned()).toEqual([]);
    expect(stepsIn(localRoot)).toEqual(['step=4']);
    await c.save(syntheticSnapshot(5));
    await c.flush();
    expect(await mirror.flush()).toBe(true);
    expect(stepsIn(localRoot)).toEqual(['step=5']);
    expect(warnings).toEqual([]);
  });

  it('a failed copy warns with the secret redacted, does not fail the save, and the next commit retries', async () => {
    const localRoot = join(tempDir('fail-local'), 'ckpt');
    const remoteRoot = tempDir('fail-remote');
    const real = openRemoteTier(pathToFileURL(remoteRoot).href, localRoot, {});
    const secret = 'sEcReT-do-not-print';
    let broken = true;
    const tier: RemoteTier = {
      ...real,
      redact: (text) => text.split(secret).join('<redacted>'),
      async mirror(from, step) {
        if (broken) throw new Error(`connection reset while signing with ${secret}`);
        await real.mirror(from, step);
      },
    };
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier, localRoot, retention: 3, warn: (m) => warnings.push(m) });
    const c = checkpointer(localRoot, 2, mirror, warnings);
    await c.save(syntheticSnapshot(7));
    await c.flush();
    expect(await mirror.flush()).toBe(false);
    expect(mirror.failures).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^copy of step=7 to file:.* failed: connection reset while signing with <redacted> \(the step is still on local disk/);
    expect(warnings[0]).not.toContain(secret);
    broken = false;
    await c.save(syntheticSnapshot(8));
    await c.flush();
    expect(await mirror.flush()).toBe(true);
    expect(mirror.lastError).toBeNull();
    expect(await real.committedSteps()).toEqual([8]);
  });

  it('a newer remote step wins over an older local one; another model shape is refused before anything is downloaded', async () => {
    const localRoot = join(tempDir('newer-local'), 'ckpt');
    const remoteRoot = tempDir('newer-remote');
    const tier = openRemoteTier(pathToFileURL(remoteRoot).href, localRoot, {});
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier, localRoot, retention: 5, warn: (m) => warnings.push(m) });
    const c = checkpointer(localRoot, 5, mirror, warnings);
    for (const step of [2, 4]) {
      await c.save(syntheticSnapshot(step));
      await c.flush();
    }
    expect(await mirror.flush()).toBe(true);
    rmSync(join(localRoot, 'step=4'), { recursive: true });
    // The local tier's newest verified step is 2; the remote's is 4.
    expect(await restoreNewestFromRemote(tier.store, localRoot, { modelHash: MODEL_HASH, newerThan: 2 })).toBe(4);
    expect((await findResumePoint(new LocalStore(localRoot), { modelHash: MODEL_HASH }))?.snapshot.step).toBe(4);
    expect(await restoreNewestFromRemote(tier.store, localRoot, { modelHash: MODEL_HASH, newerThan: 4 })).toBeNull();
    const elsewhere = join(tempDir('other-shape'), 'ckpt');
    await expect(restoreNewestFromRemote(tier.store, elsewhere, { modelHash: 'cd'.repeat(32) })).rejects.toThrow(
      /remote checkpoint .*step=4 was trained with another model shape .*another checkpoint\.remote_uri/,
    );
    expect(existsSync(elsewhere)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('when the remote holds newer steps from elsewhere, the step just copied is kept and a warning says why', async () => {
    const localRoot = join(tempDir('foreign-local'), 'ckpt');
    const remoteRoot = tempDir('foreign-remote');
    // Another run's steps 6 and 8 under the same prefix.
    const other = join(tempDir('foreign-other'), 'ckpt');
    const otherTier = openRemoteTier(pathToFileURL(remoteRoot).href, other, {});
    const otherMirror = new RemoteMirror({ tier: otherTier, localRoot: other, retention: 5 });
    const oc = checkpointer(other, 5, otherMirror, []);
    for (const step of [6, 8]) {
      await oc.save(syntheticSnapshot(step));
      await oc.flush();
    }
    expect(await otherMirror.flush()).toBe(true);

    const tier = openRemoteTier(pathToFileURL(remoteRoot).href, localRoot, {});
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier, localRoot, retention: 2, warn: (m) => warnings.push(m) });
    const c = checkpointer(localRoot, 2, mirror, warnings);
    await c.save(syntheticSnapshot(4));
    await c.flush();
    expect(await mirror.flush()).toBe(true);
    expect(await tier.committedSteps()).toEqual([8, 6, 4]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/holds step\(s\) 6, 8, newer than step=4 just copied, not written by this run; .*step=4 is kept anyway/);
  });

  it('warns once while the remote stays down, and once when it works again', async () => {
    const localRoot = join(tempDir('down-local'), 'ckpt');
    const real = openRemoteTier(pathToFileURL(tempDir('down-remote')).href, localRoot, {});
    let down = true;
    const tier: RemoteTier = {
      ...real,
      async mirror(from, step) {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
        await real.mirror(from, step);
      },
    };
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier, localRoot, retention: 3, warn: (m) => warnings.push(m) });
    const c = checkpointer(localRoot, 3, mirror, warnings);
    for (const step of [1, 2, 3]) {
      await c.save(syntheticSnapshot(step));
      await c.flush();
      expect(await mirror.flush()).toBe(false);
    }
    expect(mirror.failures).toBe(3);
    expect(warnings).toHaveLength(1);
    down = false;
    await c.save(syntheticSnapshot(4));
    await c.flush();
    expect(await mirror.flush()).toBe(true);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/copies to file:.* work again: step=4 copied/);
  });

  it('refuses a tier that overlaps checkpoint.dir, a relative file URI, an unknown scheme and missing S3 credentials', () => {
    const root = tempDir('refuse');
    // The same directory through a symbolic link, and a path under such a link.
    const alias = join(dirname(root), 'alias-of-refuse');
    symlinkSync(root, alias);
    expect(() => openRemoteTier(pathToFileURL(alias).href, root, {})).toThrow(/overlaps checkpoint\.dir/);
    expect(() => openRemoteTier(pathToFileURL(join(alias, 'sub')).href, root, {})).toThrow(/overlaps checkpoint\.dir/);
    rmSync(alias);
    expect(() => openRemoteTier('file:///proc/moe-engine-test/x', join(root, 'ckpt'), {})).toThrow(/checkpoint\.remote_uri file:\/\/\/proc\/moe-engine-test\/x: cannot use /);
    // A plain file where the tier's directory would be: a RemoteTierError saying so, not a bare ENOTDIR.
    const file = join(dirname(root), 'refuse-a-file');
    writeFileSync(file, 'x');
    expect(() => openRemoteTier(pathToFileURL(file).href, join(root, 'ckpt'), {})).toThrow(RemoteTierError);
    expect(() => openRemoteTier(pathToFileURL(file).href, join(root, 'ckpt'), {})).toThrow(`checkpoint.remote_uri ${pathToFileURL(file).href}: cannot use ${file}: ${file} is a file, not a directory`);
    rmSync(file);
    expect(() => openRemoteTier(pathToFileURL(root).href, root, {})).toThrow(/overlaps checkpoint\.dir .*the second tier must be another directory/);
    expect(() => openRemoteTier(pathToFileURL(join(root, 'inner')).href, root, {})).toThrow(/overlaps checkpoint\.dir/);
    expect(() => openRemoteTier('file://relative/path', root, {})).toThrow(/checkpoint\.remote_uri "file:\/\/relative\/path"/);
    expect(() => openRemoteTier('gs://bucket/x', root, {})).toThrow(/expected s3:\/\/bucket\/prefix\/ or file:\/\/\/absolute\/path/);
    expect(() => openRemoteTier('s3://my-bucket/run/', root, { AWS_SECRET_ACCESS_KEY: 'x' })).toThrow(/checkpoint\.remote_uri s3:\/\/my-bucket\/run\/: .*AWS_ACCESS_KEY_ID is not set/);
  });
});
