/**
 * routeSlots: the stable order of the N·K routed slots by expert, with
 * capacity, as the MoE data contract in kernels/README.md defines it. Three
 * dispatches, no host readback (counts stay on the GPU):
 *   1. route-count  per block of slots: per-expert block counts and each
 *                   slot's rank within its block and expert
 *   2. route-scan   per expert: prefix over blocks, counts, capacity,
 *                   offsets (prefix over experts) and the dropped count
 *   3. route-place  per slot: its row (or NONE) and the inverse map
 * Every step is a fixed-order integer count or sum, so the result is the same
 * on every run. Legend: N tokens, K top-k, E experts, R = N·K slots.
 */
import { dispatch1d, foldWorkgroups, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import { expertCapacity } from './capacity.ts';
import countBody from './route-count.wgsl.ts';
import placeBody from './route-place.wgsl.ts';
import scanBody from './route-scan.wgsl.ts';

/** The one definition of routeSlots' workgroup sizes (WGSL gets them as a header). */
export const ROUTE_TUNING = { BLOCK: 256, SCAN_WG: 256, PLACE_WG: 256 } as const;
const HEADER = wgslConsts(ROUTE_TUNING);
const COUNT: KernelSource = { name: 'route_count', code: `${HEADER}\n${countBody}` };
const SCAN: KernelSource = { name: 'route_scan', code: `${HEADER}\n${scanBody}` };
const PLACE: KernelSource = { name: 'route_place', code: `${HEADER}\n${placeBody}` };

/** slotRow value of a dropped slot (and rowSlot value of an unused row). */
export const NO_ROW = 0xffffffff;

export interface RouteOptions {
  /** Capacity factor: C = ceil(capacityFactor · N · K / E). Ignored when dropTokens is false. */
  readonly capacityFactor: number;
  /** When false, no capacity limit: every slot keeps a row. */
  readonly dropTokens: boolean;
}

/**
 * The routing metadata record that permute, the experts and combine consume.
 * Immutable; release its tensors with releaseSlots when the layer's backward is done.
 */
export interface RoutedSlots {
  readonly N: number;
  readonly K: number;
  readonly E: number;
  /** C, or null when dropping is off. May exceed N·K (then nothing is dropped). */
  readonly capacity: number | null;
  /** u32 [E]: slots routed to each expert before capacity (sums to N·K). */
  readonly counts_E: Tensor;
  /** u32 [E + 1]: first row of each expert's kept rows; offsets[E] = kept rows. */
  readonly offsets_E1: Tensor;
  /** u32 [N·K]: row of slot s = t·K + k, or NO_ROW when dropped. */
  readonly slotRow_R: Tensor;
  /** u32 [N·K]: slot of row r for r < offsets[E]; NO_ROW for rows beyond. */
  readonly rowSlot_R: Tensor;
  /** u32 scalar []: slots dropped by capacity (kept + dropped = N·K). */
  readonly dropped: Tensor;
}

export function routeSlots(gpu: Gpu, idx_NK: Tensor, E: number, options: RouteOptions): RoutedSlots {
  if (idx_NK.dtype !== 'u32' || idx_NK.shape.length !== 2) {
    throw new Error(`routeSlots: idx_NK must be u32 [N, K], got ${idx_NK.dtype} [${idx_NK.shape.join(', ')}] ('${idx_NK.label}'); hint: pass the router's top-k indices`);
  }
  if (!Number.isInteger(E) || E < 1) throw new Error(`routeSlots: E (number of experts) must be an integer >= 1, got ${E}`);
  const [N, K] = idx_NK.shape;
  const R = N * K;
  const capacity = options.dropTokens ? expertCapacity(N, K, E, options.capacityFactor) : null;
  // A capacity >= R never binds; clamping keeps the uniform a valid u32.
  const shaderCapacity = capacity === null ? NO_ROW : Math.min(capacity, R);
  const blocks = Math.ceil(R / ROUTE_TUNING.BLOCK);

  const slots: RoutedSlots = {
    N, K, E, capacity,
    counts_E: gpu.empty([E], 'u32', 'counts_E'),
    offsets_E1: gpu.empty([E + 1], 'u32', 'offsets_E1'),
    slotRow_R: gpu.empty([R], 'u32', 'slotRow_R'),
    rowSlot_R: gpu.empty([R], 'u32', 'rowSlot_R'),
    dropped: gpu.empty([], 'u32', 'dropped'),
  };
  const blockBase = gpu.empty([blocks, E], 'u32', 'route_block_base');
  const rank = gpu.empty([R], 'u32', 'route_rank');

  const max = gpu.maxWorkgroupsPerDimension;
  gpu.dispatch(COUNT, [blockBase, rank, idx_NK], foldWorkgroups(blocks, max), packParams([['u32', R], ['u32', E], ['u32', blocks]]));
  gpu.dispatch(SCAN, [slots.counts_E, slots.offsets_E1, slots.dropped, blockBase], [1, 1, 1], packParams([['u32', E], ['u32', blocks], ['u32', shaderCapacity]]));
  gpu.dispatch(
    PLACE,
    [slots.slotRow_R, slots.rowSlot_R, idx_NK, rank, blockBase, slots.offsets_E1],
    dispatch1d(R, ROUTE_TUNING.PLACE_WG, max),
    packParams([['u32', R], ['u32', E], ['u32', shaderCapacity]]),
  );
  // The pool hands released buffers out again at once, and in tests poisons
  // them with queue.writeBuffer, which runs before commands not yet
  // submitted. Submitting first keeps the scratch intact for our passes.
  gpu.submit();
  gpu.release(blockBase, rank);
  return slots;
}

export function releaseSlots(gpu: Gpu, slots: RoutedSlots): void {
  gpu.release(slots.counts_E, slots.offsets_E1, slots.slotRow_R, slots.rowSlot_R, slots.dropped);
}

/** Host copies of a RoutedSlots record (for checkRouting, telemetry, tests). */
export interface RoutingHost {
  readonly N: number;
  readonly K: number;
  readonly E: number;
  readonly capacity: number | null;
  readonly counts_E: Uint32Array;
  readonly offsets_E1: Uint32Array;
  readonly dropped: number;
  readonly slotRow_R?: Uint32Array;
  readonly rowSlot_R?: Uint32Array;
}

/**
 * Reads the record back in one copy. This stalls the queue: do it once per
 * step (telemetry, invariant checks), never between the MoE kernels.
 */
export async function readRouting(gpu: Gpu, slots: RoutedSlots, withRows = true): Promise<RoutingHost> {
  const tensors = [slots.counts_E, slots.offsets_E1, slots.dropped, ...(withRows ? [slots.slotRow_R, slots.rowSlot_R] : [])];
  const [counts, offsets, dropped, slotRow, rowSlot] = (await gpu.readMany(tensors)) as Uint32Array[];
  return {
    N: slots.N, K: slots.K, E: slots.E, capacity: slots.capacity,
    counts_E: counts, offsets_E1: offsets, dropped: dropped[0],
    ...(withRows ? { slotRow_R: slotRow, rowSlot_R: rowSlot } : {}),
  };
}
