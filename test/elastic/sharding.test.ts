// Per-worker shards: a state saved over W ranks puts each rank's experts in
// its own shard (replicated state only in rank 0) and resumes as the whole
// state. Expected values come from the closed formula below, not from the
// code under test.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { decodeShard, parseManifest, type ShardTensors } from '../../elastic/format.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { mergeShards, splitForWorld } from '../../elastic/sharding.ts';
import type { TrainingSnapshot } from '../../elastic/trainer-state.ts';
import { MODEL_HASH, removeTempDirs, tempDir } from './fixtures.ts';

afterAll(removeTempDirs);

const E = 4;
/** Value of element `i` of row `expert` of tensor `tensor` (kind k) at `step`. */
const value = (step: number, k: number, tensor: number, expert: number, i: number) => step * 1000 + k * 100 + tensor * 10 + expert + i / 16;
const isExpert = (name: string) => name.endsWith('.experts');

/** 'embed' [5] (replicated), 'a.experts' [E, 3] and 'b.experts' [E, 2, 2] per expert. */
function state(step: number): TrainingSnapshot {
  const kind = (k: number) => [
    { name: 'embed', shape: [5], data: Float32Array.from({ length: 5 }, (_, i) => value(step, k, 0, 0, i)) },
    { name: 'a.experts', shape: [E, 3], data: Float32Array.from({ length: E * 3 }, (_, i) => value(step, k, 1, Math.floor(i / 3), i % 3)) },
    { name: 'b.experts', shape: [E, 2, 2], data: Float32Array.from({ length: E * 4 }, (_, i) => value(step, k, 2, Math.floor(i / 4), i % 4)) },
  ];
  return { step, tensors: { params: kind(0), m: kind(1), v: kind(2) }, sampler: { prng: { algorithm: 'xoshiro128**', words: [step, 2, 3, 4] }, windowsDrawn: step } };
}

function checkpointer(root: string, worldSize: number, warnings: string[] = []): Checkpointer {
  return new Checkpointer({
    store: new LocalStore(root), retention: 5, modelHash: MODEL_HASH, numExperts: E, worldSize, isExpertTensor: isExpert,
    engineVersion: 'test', host: 'test-host', warn: (m) => warnings.push(m),
  });
}

const rows = (step: number, k: number, tensor: number, experts: number[], width: number) => experts.flatMap((e) => Array.from({ length: width }, (_, i) => value(step, k, tensor, e, i)));

function expectWhole(t: ShardTensors, step: number): void {
  (['params', 'm', 'v'] as const).forEach((kind, k) => {
    expect(t[kind].map((x) => [x.name, x.shape])).toEqual([['embed', [5]], ['a.experts', [E, 3]], ['b.experts', [E, 2, 2]]]);
    expect(Array.from(t[kind][0].data)).toEqual(rows(step, k, 0, [0], 5));
    expect(Array.from(t[kind][1].data)).toEqual(rows(step, k, 1, [0, 1, 2, 3], 3));
    expect(Array.from(t[kind][2].data)).toEqual(rows(step, k, 2, [0, 1, 2, 3], 4));
  });
}

describe('per-worker checkpoint shards', () => {
  it('world 2: rank 1 holds only experts 2-3, rank 0 the rest; the manifest records both; resume merges exactly', async () => {
    const root = tempDir('world2');
    const c = checkpointer(root, 2);
    await c.save(state(8));
    await c.flush();
    const manifest = parseManifest(readFileSync(join(root, 'step=8', 'MANIFEST.json')));
    expect(manifest.world_size).toBe(2);
    expect(manifest.expert_placement).toEqual([{ rank: 0, experts: [0, 1] }, { rank: 1, experts: [2, 3] }]);
    expect(manifest.shards.map((s) => s.name)).toEqual(['rank=0.safetensors', 'rank=1.safetensors']);

    const r1 = decodeShard(readFileSync(join(root, 'step=8', 'rank=1.safetensors')), 'rank=1');
    expect(r1.metadata).toMatchObject({ rank: '1', experts: '2,3' });
    expect(r1.params.map((t) => [t.name, t.shape])).toEqual([['a.experts', [2, 3]], ['b.experts', [2, 2, 2]]]);
    expect(Array.from(r1.v[0].data)).toEqual(rows(8, 2, 1, [2, 3], 3));
    const r0 = decodeShard(readFileSync(join(root, 'step=8', 'rank=0.safetensors')), 'rank=0');
    expect(r0.m.map((t) => [t.name, t.shape])).toEqual([['embed', [5]], ['a.experts', [2, 3]], ['b.experts', [2, 2, 2]]]);
    expect(Array.from(r0.m[2].data)).toEqual(rows(8, 1, 2, [0, 1], 4));

    const point = await findResumePoint(new LocalStore(root), { modelHash: MODEL_HASH });
    expect(point?.snapshot.step).toBe(8);
    expectWhole(point!.snapshot.tensors, 8);
  });

  it('world 4 (one expert per rank) round-trips, and a bad rank=3 shard falls back to the previous step naming it', async () => {
    const root = tempDir('world4');
    const c = checkpointer(root, 4);
    for (const step of [3, 6]) {
      await c.save(state(step));
      await c.flush();
    }
    expectWhole((await findResumePoint(new LocalStore(root), { modelHash: MODEL_HASH }))!.snapshot.tensors, 6);
    const shard = join(root, 'step=6', 'rank=3.safetensors');
    const bytes = readFileSync(shard);
    bytes[bytes.length - 2] ^= 4;
    writeFileSync(shard, bytes);
    const warnings: string[] = [];
    const point = await findResumePoint(new LocalStore(root), { modelHash: MODEL_HASH, warn: (w) => warnings.push(w) });
    expect(point?.snapshot.step).toBe(3);
    expectWhole(point!.snapshot.tensors, 3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/step=6 skipped: shard .*step=6\/rank=3\.safetensors has sha256 .*\(corrupt\)/);
  });

  it('a non-contiguous placement splits and merges back exactly', () => {
    const placement = [{ rank: 0, experts: [0, 2] }, { rank: 1, experts: [3, 1] }];
    const parts = splitForWorld(state(2).tensors, placement, E, isExpert);
    expect(Array.from(parts[1].params[1].data)).toEqual(rows(2, 0, 2, [3, 1], 4));
    expect(parts[1].params.map((t) => t.name)).toEqual(['a.experts', 'b.experts']);
    expectWhole(mergeShards(parts, placement, E, ['r0', 'r1']), 2);
  });

  it('refuses shards that do not fit the placement, and worlds the experts do not divide, naming what is wrong', () => {
    const placement = [{ rank: 0, experts: [0, 1] }, { rank: 1, experts: [2, 3] }];
    const parts = splitForWorld(state(1).tensors, placement, E, isExpert);
    const short = { ...parts[1], params: [{ ...parts[1].params[0], shape: [1, 3], data: parts[1].params[0].data.subarray(0, 3) }, parts[1].params[1]] };
    expect(() => mergeShards([parts[0], short], placement, E, ['s/rank=0', 's/rank=1'])).toThrow(/^s\/rank=1: 'a\.experts' is \[1, 3\], rank 1 owns 2 expert\(s\) of \[\*, 3\]$/);
    const three = [{ rank: 0, experts: [0, 1] }, { rank: 1, experts: [2] }, { rank: 2, experts: [3] }];
    const split3 = splitForWorld(state(1).tensors, three, E, isExpert);
    expect(() => mergeShards([split3[0], split3[1], { ...split3[2], v: split3[2].v.slice(1) }], three, E, ['r0', 'r1', 'r2'])).toThrow(/^r2: lacks per-expert tensor\(s\) the other ranks hold: v:a\.experts$/);
    expectWhole(mergeShards(split3, three, E, ['r0', 'r1', 'r2']), 1);
    expect(() => checkpointer(tempDir('w3'), 3)).toThrow(/num_experts \(4\) must be divisible by world_size \(3\)/);
    expect(() => new Checkpointer({ store: new LocalStore(tempDir('w2')), retention: 1, modelHash: MODEL_HASH, numExperts: E, worldSize: 2, engineVersion: 't', host: 'h' })).toThrow(/needs isExpertTensor/);
  });
});
