/**
 * Shard and manifest format: a shard is plain safetensors with the three
 * prefixes (read back by the generic decoder), and the manifest parser
 * rejects each malformed field with a message naming it.
 */
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../engine/model/safetensors.ts';
import {
  contiguousPlacement, decodeShard, encodeManifest, encodeShard, parseManifest, parseStepDir, type CheckpointManifest,
} from '../../elastic/format.ts';
import { MODEL_HASH, syntheticSnapshot } from './fixtures.ts';

const good: CheckpointManifest = {
  schema_version: 1,
  step: 12,
  world_size: 1,
  expert_placement: [{ rank: 0, experts: [0, 1, 2, 3] }],
  shards: [{ name: 'rank=0.safetensors', bytes: 1234, sha256: 'c'.repeat(64) }],
  model_hash: MODEL_HASH,
  sampler: { prng: { algorithm: 'xoshiro128**', words: [1, 2, 3, 4] }, windowsDrawn: 48 },
  engine_version: '0.1.0',
  time: '2026-12-03T18:00:00.000Z',
  host: 'box',
};

const withField = (field: string, value: unknown) => JSON.stringify({ ...good, [field]: value });

describe('checkpoint format', () => {
  it('a shard is safetensors with param/, adam_m/, adam_v/ tensors and round-trips exactly', () => {
    const snap = syntheticSnapshot(5, 8, 2);
    const bytes = encodeShard(snap.tensors, { step: '5' });
    const generic = decodeSafetensors(bytes);
    expect([...generic.tensors.keys()].sort()).toEqual(['adam_m/w0', 'adam_m/w1', 'adam_v/w0', 'adam_v/w1', 'param/w0', 'param/w1']);
    expect(generic.metadata.step).toBe('5');
    const back = decodeShard(bytes, 'test');
    expect(back.params.map((t) => [...t.data])).toEqual(snap.tensors.params.map((t) => [...t.data]));
    expect(back.v[1].data[3]).toBe(5 * 1000 + 5 * 10 + 3 * 0.25);
  });

  it('the manifest round-trips and placement gives every expert to exactly one rank', () => {
    expect(parseManifest(encodeManifest(good))).toEqual(good);
    expect(contiguousPlacement(4, 1)).toEqual([{ rank: 0, experts: [0, 1, 2, 3] }]);
    expect(contiguousPlacement(4, 2)).toEqual([{ rank: 0, experts: [0, 1] }, { rank: 1, experts: [2, 3] }]);
    expect(() => contiguousPlacement(4, 3)).toThrow(/num_experts \(4\) must be divisible by world_size \(3\)/);
    expect(parseStepDir('step=40')).toBe(40);
    expect(parseStepDir('step=040')).toBeNull();
    expect(parseStepDir('step=4.tmp')).toBeNull();
    // Beyond 2^53 the number would not survive Number(): not a step.
    expect(parseStepDir('step=99999999999999999999')).toBeNull();
    expect(parseStepDir(`step=${Number.MAX_SAFE_INTEGER}`)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['schema_version', 2, /schema_version/],
    ['step', -1, /'step' must be an integer >= 0/],
    ['world_size', 0, /world_size/],
    ['expert_placement', [{ rank: 0, experts: [0, 1, 1, 3] }], /every expert 0..E-1 owned exactly once/],
    ['shards', [{ name: '../x', bytes: 10, sha256: 'c'.repeat(64) }], /shards\[0\].name/],
    ['shards', [{ name: 'rank=0.safetensors', bytes: 10, sha256: 'XYZ' }], /shards\[0\].sha256/],
    ['model_hash', 'short', /model_hash/],
    ['sampler', { prng: { algorithm: 'xoshiro128**', words: [1, 2, 3] }, windowsDrawn: 0 }, /sampler.prng.words/],
    ['sampler', { prng: { algorithm: 'xoshiro128**', words: [1, 2, 3, 4] } }, /sampler.windowsDrawn/],
    // A position beyond 2^53 cannot be exact (an absurd hand edit, not a run).
    ['sampler', { prng: { algorithm: 'xoshiro128**', words: [1, 2, 3, 4] }, windowsDrawn: 1e300 }, /sampler.windowsDrawn' must be an integer >= 0 \(at most 2\^53 - 1\)/],
    ['step', 2 ** 53, /'step' must be an integer >= 0/],
    ['sampler', { prng: { algorithm: 'xoshiro128**', words: [0, 0, 0, 0] }, windowsDrawn: 0 }, /sampler.prng.words' must be a state other than all zeros/],
    ['time', 'yesterday', /'time'/],
    ['surprise', 1, /unknown field 'surprise'/],
  ])('rejects a bad %s with an error naming it', (field, value, message) => {
    expect(() => parseManifest(withField(field, value), 'M')).toThrow(message);
  });

  it('rejects torn JSON and a missing field', () => {
    expect(() => parseManifest(JSON.stringify(good).slice(0, 40), 'M')).toThrow(/M: not valid JSON/);
    const { host: _host, ...noHost } = good;
    expect(() => parseManifest(JSON.stringify(noHost), 'M')).toThrow(/field 'host' must be a non-empty string, got undefined/);
  });
});
