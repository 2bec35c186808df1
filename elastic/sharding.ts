/**
 * Per-worker shards of one training state. With expert parallelism each
 * worker owns some experts (the manifest's expert_placement): its shard
 * holds, for every per-expert tensor (leading dimension = expert), only the
 * rows of its experts, in the order the placement lists them. State every
 * worker holds a copy of (embedding, router, norms, head and their moments)
 * is written once, by rank 0. Merging is the inverse, so a checkpoint
 * written by W workers can be loaded by any number of them, one included.
 */
import type { NamedTensor } from '../engine/model/safetensors.ts';
import type { ExpertPlacement, ShardTensors } from './format.ts';

const KINDS = ['params', 'm', 'v'] as const;

/** Rows `experts` of a tensor whose leading dimension is the expert. */
function takeExperts(t: NamedTensor, experts: readonly number[]): NamedTensor {
  const row = t.data.length / t.shape[0];
  const contiguous = experts.every((e, i) => e === experts[0] + i);
  const data = contiguous
    ? t.data.subarray(experts[0] * row, (experts[0] + experts.length) * row)
    : Float32Array.from({ length: experts.length * row }, (_, i) => t.data[experts[Math.floor(i / row)] * row + (i % row)]);
  return { name: t.name, shape: [experts.length, ...t.shape.slice(1)], data };
}

/**
 * Splits a whole state into one ShardTensors per rank. `isExpertTensor`
 * names the per-expert tensors (their leading dimension must be the expert
 * count); everything else goes to rank 0.
 */
export function splitForWorld(state: ShardTensors, placement: readonly ExpertPlacement[], numExperts: number, isExpertTensor: (name: string) => boolean): ShardTensors[] {
  return placement.map(({ rank, experts }) => {
    const pick = (list: readonly NamedTensor[]): NamedTensor[] =>
      list.flatMap((t) => {
        if (!isExpertTensor(t.name)) return rank === 0 ? [t] : [];
        if (t.shape[0] !== numExperts) throw new RangeError(`splitForWorld: '${t.name}' is [${t.shape.join(', ')}], a per-expert tensor must lead with num_experts (${numExperts})`);
        return [takeExperts(t, experts)];
      });
    return { params: pick(state.params), m: pick(state.m), v: pick(state.v) };
  });
}

/**
 * Rebuilds the whole state from every rank's shard. Per-expert tensors are
 * the ones ranks other than 0 hold; each rank's rows go back to its experts'
 * places. Errors name the shard (`sources[rank]`) and the tensor.
 */
export function mergeShards(shards: readonly ShardTensors[], placement: readonly ExpertPlacement[], numExperts: number, sources: readonly string[]): ShardTensors {
  if (shards.length !== placement.length) throw new Error(`mergeShards: ${shards.length} shard(s) for a placement of ${placement.length} rank(s)`);
  if (shards.length === 1) return shards[0];
  // Ranks other than 0 hold per-expert tensors only; each must hold all of them.
  const expertNames = new Set(KINDS.flatMap((k) => shards.slice(1).flatMap((s) => s[k].map((t) => `${k}:${t.name}`))));
  const merge = (kind: (typeof KINDS)[number]): NamedTensor[] => {
    for (let r = 1; r < shards.length; r++) {
      const names = shards[r][kind].map((t) => `${kind}:${t.name}`);
      const missing = [...expertNames].filter((n) => n.startsWith(`${kind}:`) && !names.includes(n));
      if (missing.length) throw new Error(`${sources[r]}: lacks per-expert tensor(s) the other ranks hold: ${missing.join(', ')}`);
    }
    return shards[0][kind].map((t0) => {
      if (!expertNames.has(`${kind}:${t0.name}`)) return t0;
      const tail = t0.shape.slice(1);
      const row = tail.reduce((a, b) => a * b, 1);
      const data = new Float32Array(numExperts * row);
      placement.forEach(({ rank, experts }) => {
        const t = shards[rank][kind].find((x) => x.name === t0.name)!;
        if (t.shape[0] !== experts.length || t.shape.length !== t0.shape.length || t.shape.slice(1).some((d, i) => d !== tail[i])) {
          throw new Error(`${sources[rank]}: '${t.name}' is [${t.shape.join(', ')}], rank ${rank} owns ${experts.length} expert(s) of [*, ${tail.join(', ')}]`);
        }
        experts.forEach((e, j) => data.set(t.data.subarray(j * row, (j + 1) * row), e * row));
      });
      return { name: t0.name, shape: [numExperts, ...tail], data };
    });
  };
  return { params: merge('params'), m: merge('m'), v: merge('v') };
}
