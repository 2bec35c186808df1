import { describe, expect, it } from 'vitest';
import { expertCapacity } from '../../kernels/permute/capacity.ts';
import { checkRouting } from '../../kernels/permute/check.ts';
import { permuteRows, unpermuteGrad } from '../../kernels/permute/permute.ts';
import { permuteRowsRef, routeSlotsRef, unpermuteGradRef } from '../../kernels/permute/reference.ts';
import { NO_ROW, readRouting, releaseSlots, routeSlots, type RouteOptions, type RoutingHost } from '../../kernels/permute/route.ts';
import { testGpu } from '../helpers/gpu.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import { sampleTopK } from '../helpers/routing.ts';

interface Case {
  readonly what: string;
  readonly N: number;
  readonly K: number;
  readonly E: number;
  readonly H: number;
  readonly route: RouteOptions;
  readonly idx: () => Uint32Array;
  /** Whether the case drops slots: checked, so a case cannot quietly stop covering what it says. */
  readonly drops: boolean;
}

const NO_DROP: RouteOptions = { capacityFactor: 1, dropTokens: false };
const drop = (capacityFactor: number): RouteOptions => ({ capacityFactor, dropTokens: true });
const skew = (e: number) => Math.exp(-e / 2);

const CASES: Case[] = [
  { what: 'N·K = 600 spans 3 blocks (not a multiple of 256), no dropping', N: 300, K: 2, E: 8, H: 5, route: NO_DROP, idx: () => sampleTopK(300, 2, 8, 1), drops: false },
  { what: 'skewed routing, capacity factor 1.0 drops', N: 300, K: 2, E: 8, H: 5, route: drop(1), idx: () => sampleTopK(300, 2, 8, 2, skew), drops: true },
  { what: 'K = 1, capacity factor 1.25', N: 77, K: 1, E: 4, H: 3, route: drop(1.25), idx: () => sampleTopK(77, 1, 4, 3, skew), drops: true },
  { what: 'K = E (every token to every expert), capacity exactly the count', N: 33, K: 4, E: 4, H: 6, route: drop(1), idx: () => sampleTopK(33, 4, 4, 4), drops: false },
  { what: 'experts 3 and 6 get no tokens', N: 40, K: 2, E: 8, H: 4, route: drop(1.5), idx: () => sampleTopK(40, 2, 8, 5, (e) => (e === 3 || e === 6 ? 0 : 1)), drops: true },
  { what: 'all tokens to one expert (C = 5 of 70)', N: 70, K: 1, E: 16, H: 3, route: drop(1), idx: () => new Uint32Array(70).fill(9), drops: true },
  { what: 'all tokens to one expert, no dropping', N: 70, K: 1, E: 16, H: 3, route: NO_DROP, idx: () => new Uint32Array(70).fill(0), drops: false },
  { what: 'capacity (80) above the token count', N: 10, K: 2, E: 2, H: 4, route: drop(8), idx: () => sampleTopK(10, 2, 2, 6), drops: false },
  { what: 'E = 300 > one expert per scan invocation, C = 1', N: 50, K: 3, E: 300, H: 2, route: drop(2), idx: () => sampleTopK(50, 3, 300, 7, skew), drops: true },
  // permute_rows copies ROW_CHUNK_COLS = 8 columns per invocation: whole chunks, and a shorter last one.
  { what: 'H = 19: two whole 8-column chunks and a tail of 3, skewed, drops', N: 60, K: 2, E: 5, H: 19, route: drop(1), idx: () => sampleTopK(60, 2, 5, 9, skew), drops: true },
  { what: 'H = 16: whole 8-column chunks only', N: 45, K: 3, E: 6, H: 16, route: NO_DROP, idx: () => sampleTopK(45, 3, 6, 10), drops: false },
  { what: 'N·K = 16384 slots over E = 256 experts, skewed', N: 8192, K: 2, E: 256, H: 2, route: drop(1), idx: () => sampleTopK(8192, 2, 256, 8, (e) => 1 / (1 + e)), drops: true },
];

function capacityOf(c: Case): number {
  return c.route.dropTokens ? expertCapacity(c.N, c.K, c.E, c.route.capacityFactor) : Infinity;
}

/** GPU routing against the reference, rows beyond the kept ones included, plus the invariants. */
function expectRouting(host: RoutingHost, idx: Uint32Array, E: number, capacity: number): number {
  const ref = routeSlotsRef(idx, E, capacity);
  const R = idx.length;
  const kept = ref.offsets[E];
  expectEqual('counts_E', host.counts_E, ref.counts);
  expectEqual('offsets_E1', host.offsets_E1, ref.offsets);
  expectEqual('slotRow_R', host.slotRow_R!, ref.slotRow);
  expectEqual('rowSlot_R (kept rows)', host.rowSlot_R!.subarray(0, kept), ref.rowSlot);
  expectEqual('rowSlot_R (unused rows)', host.rowSlot_R!.subarray(kept), new Array(R - kept).fill(NO_ROW));
  expect(host.dropped).toBe(ref.dropped);
  expect(host.counts_E.reduce((a, b) => a + b, 0)).toBe(R);
  expect(host.offsets_E1[E] + host.dropped).toBe(R);
  checkRouting('test', host);
  return kept;
}

/** Rows r >= kept of a [R, H] tensor filled with NaN: a kernel that reads them fails. */
function withNaNRows(values: Float32Array, kept: number, H: number): Float32Array {
  const v = values.slice();
  v.fill(NaN, kept * H);
  return v;
}

describe('routeSlots + permuteRows + unpermuteGrad', () => {
  for (const c of CASES) {
    it(`${c.what} (N=${c.N}, K=${c.K}, E=${c.E}, H=${c.H}, ${c.route.dropTokens ? `factor ${c.route.capacityFactor}` : 'no capacity'})`, async () => {
      const gpu = await testGpu();
      const { N, K, E, H } = c;
      const R = N * K;
      const idx = c.idx();
      const x = randomArray(N * H, 100 + N);
      const idxT = gpu.upload(idx, [N, K], 'idx_NK');
      const xT = gpu.upload(x, [N, H], 'x_NH');
      const slots = routeSlots(gpu, idxT, E, c.route);
      expect(slots.capacity).toBe(c.route.dropTokens ? capacityOf(c) : null);
      // permute straight after routing, before any readback: offsets[E] comes from the GPU buffer.
      const xp = permuteRows(gpu, xT, slots);
      const host = await readRouting(gpu, slots);
      const kept = expectRouting(host, idx, E, capacityOf(c));
      const ref = routeSlotsRef(idx, E, capacityOf(c));
      expect(ref.dropped > 0).toBe(c.drops);

      const xpGot = await gpu.readF32(xp);
      expectClose('xp_RH (kept rows)', xpGot.subarray(0, kept * H), permuteRowsRef(x, H, K, ref.rowSlot));
      expectEqual('xp_RH (unused rows are 0)', xpGot.subarray(kept * H), new Array((R - kept) * H).fill(0));

      const dxp = withNaNRows(randomArray(R * H, 200 + N), kept, H);
      const dxpT = gpu.upload(dxp, [R, H], 'dxp_RH');
      const dx = unpermuteGrad(gpu, dxpT, slots);
      expectClose('dx_NH', await gpu.readF32(dx), unpermuteGradRef(dxp, N, H, K, ref.slotRow));
      releaseSlots(gpu, slots);
      gpu.release(idxT, xT, xp, dxpT, dx);
    });
  }

  it('case 1 (capacity overflow): 5 tokens to expert 0 of 4, K=1, factor 1.0 -> C=2, tokens 2-4 dropped', async () => {
    const gpu = await testGpu();
    const idxT = gpu.upload(new Uint32Array([0, 0, 0, 0, 0]), [5, 1], 'idx_NK');
    const slots = routeSlots(gpu, idxT, 4, { capacityFactor: 1.0, dropTokens: true });
    expect(slots.capacity).toBe(2);
    const host = await readRouting(gpu, slots);
    expectEqual('counts_E', host.counts_E, [5, 0, 0, 0]);
    expectEqual('offsets_E1', host.offsets_E1, [0, 2, 2, 2, 2]);
    expectEqual('slotRow_R', host.slotRow_R!, [0, 1, NO_ROW, NO_ROW, NO_ROW]);
    expectEqual('rowSlot_R', host.rowSlot_R!, [0, 1, NO_ROW, NO_ROW, NO_ROW]);
    expect(host.dropped).toBe(3);
    expect(host.dropped / 5).toBe(0.6);
    checkRouting('case1', host);
    // The dropped tokens get no gradient from the permuted rows.
    const H = 2;
    const dxpT = gpu.upload(new Float32Array([1, 2, 3, 4, NaN, NaN, NaN, NaN, NaN, NaN]), [5, H], 'dxp_RH');
    const dx = unpermuteGrad(gpu, dxpT, slots);
    expect([...(await gpu.readF32(dx))]).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 0, 0]);
    releaseSlots(gpu, slots);
    gpu.release(idxT, dxpT, dx);
  });

  it('no tokens: zero counts and offsets, nothing dropped', async () => {
    const gpu = await testGpu();
    const idxT = gpu.upload(new Uint32Array(0), [0, 2], 'idx_NK');
    const slots = routeSlots(gpu, idxT, 4, drop(1));
    const host = await readRouting(gpu, slots);
    expectEqual('counts_E', host.counts_E, [0, 0, 0, 0]);
    expectEqual('offsets_E1', host.offsets_E1, [0, 0, 0, 0, 0]);
    expect(host.dropped).toBe(0);
    checkRouting('empty', host);
    releaseSlots(gpu, slots);
    gpu.release(idxT);
  });

  it('an expert index >= E gets no row and checkRouting names the layer', async () => {
    const gpu = await testGpu();
    const idxT = gpu.upload(new Uint32Array([0, 3, 1, 7]), [4, 1], 'idx_NK');
    const slots = routeSlots(gpu, idxT, 4, NO_DROP);
    const host = await readRouting(gpu, slots);
    expectEqual('counts_E', host.counts_E, [1, 1, 0, 1]);
    expectEqual('slotRow_R', host.slotRow_R!, [0, 2, 1, NO_ROW]);
    expect(() => checkRouting('layers.2.moe', host)).toThrow(/layer 'layers\.2\.moe'.*sum\(counts_E\) = 3 != N·K = 4.*outside \[0, E\)/);
    releaseSlots(gpu, slots);
    gpu.release(idxT);
  });

  it('launchers name the operation and the shapes', async () => {
    const gpu = await testGpu();
    const bad = gpu.upload(new Float32Array(6), [3, 2], 'idx_f32');
    expect(() => routeSlots(gpu, bad, 4, NO_DROP)).toThrow(/routeSlots: idx_NK must be u32 \[N, K\], got f32 \[3, 2\]/);
    const idxT = gpu.upload(new Uint32Array([0, 1, 2]), [3, 1], 'idx_NK');
    const slots = routeSlots(gpu, idxT, 4, NO_DROP);
    const x = gpu.upload(new Float32Array(8), [4, 2], 'x_NH');
    expect(() => permuteRows(gpu, x, slots)).toThrow(/permuteRows: x_NH \('x_NH'\) is f32 \[4, 2\], expected f32 \[3, H\]/);
    expect(() => unpermuteGrad(gpu, x, slots)).toThrow(/unpermuteGrad: dxp_RH .* expected f32 \[3, H\]/);
    releaseSlots(gpu, slots);
    gpu.release(bad, idxT, x);
  });
});

describe('expertCapacity', () => {
  it('is ceil(factor · N · K / E), taking float noise at an integer as that integer', () => {
    expect(expertCapacity(5, 1, 4, 1.0)).toBe(2);
    expect(expertCapacity(77, 1, 4, 1.25)).toBe(25); // 24.0625
    expect(expertCapacity(10, 2, 2, 8)).toBe(80);
    expect(expertCapacity(33, 4, 4, 1)).toBe(33);
    expect(expertCapacity(10, 1, 1, 1.1)).toBe(11); // 1.1 · 10 = 11.000000000000002 in float64
    expect(expertCapacity(3, 1, 10, 1)).toBe(1); // 0.3
    expect(expertCapacity(0, 2, 4, 1)).toBe(0);
  });

  it('rejects a factor that is not positive and finite', () => {
    expect(() => expertCapacity(5, 1, 4, 0)).toThrow(/capacity_factor must be a finite number > 0, got 0/);
    expect(() => expertCapacity(5, 1, 4, NaN)).toThrow(/capacity_factor/);
    expect(() => expertCapacity(5, 1, 0, 1)).toThrow(/E \(number of experts\) must be at least 1/);
  });
});

describe('checkRouting', () => {
  // Hand-built: 3 tokens, K = 2, E = 3, C = 2: slots 0..5 go to experts [0, 1, 0, 2, 0, 1];
  // expert 0 keeps slots 0, 2 and drops slot 4.
  const good = (): RoutingHost => ({
    N: 3, K: 2, E: 3, capacity: 2,
    counts_E: new Uint32Array([3, 2, 1]),
    offsets_E1: new Uint32Array([0, 2, 4, 5]),
    dropped: 1,
    slotRow_R: new Uint32Array([0, 2, 1, 4, NO_ROW, 3]),
    rowSlot_R: new Uint32Array([0, 2, 1, 5, 3, NO_ROW]),
  });

  it('accepts consistent routing', () => {
    expect(() => checkRouting('l0', good())).not.toThrow();
  });

  it('names the layer and the broken invariant', () => {
    const g = good();
    expect(() => checkRouting('l0', { ...g, counts_E: new Uint32Array([3, 2, 2]) })).toThrow(/layer 'l0'.*sum\(counts_E\) = 7 != N·K = 6/);
    expect(() => checkRouting('l1', { ...g, dropped: 0 })).toThrow(/layer 'l1'.*kept 5 \+ dropped 0 = 5 != N·K = 6/);
    expect(() => checkRouting('l2', { ...g, offsets_E1: new Uint32Array([0, 3, 4, 5]) })).toThrow(/expert 0 keeps 3 rows.*expected min\(count 3, C\) = 2/);
    expect(() => checkRouting('l3', { ...g, slotRow_R: new Uint32Array([0, 2, 0, 4, NO_ROW, 3]) })).toThrow(/row 0 is given to two slots/);
    // Expert 1's slots 1 and 5 in swapped rows: a valid inverse pair, but not stable.
    expect(() => checkRouting('l4', { ...g, slotRow_R: new Uint32Array([0, 3, 1, 4, NO_ROW, 2]), rowSlot_R: new Uint32Array([0, 2, 5, 1, 3, NO_ROW]) }))
      .toThrow(/expert 1: row 3 holds slot 1 after slot 5 \(order not stable\)/);
    expect(() => checkRouting('l5', { ...g, slotRow_R: new Uint32Array([0, 2, 1, 4, NO_ROW, NO_ROW]) })).toThrow(/2 slots have no row but dropped = 1/);
  });
});
