/**
 * moe-engine's side of the kernel benchmark. matmul is always there; the
 * router, permute/combine and grouped-expert modules are loaded when their
 * files exist and export what the benchmark calls, so the harness runs while
 * they are still being written (a missing op is reported, not guessed).
 * The module shapes below are the signatures the benchmark relies on,
 * checked at run time because the files may not exist when this compiles.
 *
 * Legend: N tokens, H hidden, E experts, K top-k, F expert FFN dim, R = N·K.
 */
import { existsSync } from 'node:fs';
import type { Gpu, Tensor } from '../../engine/gpu/index.ts';
import { matmulInto } from '../../kernels/matmul/matmul.ts';
import type { Backend, Inputs, OpName, Outputs, Prepared } from './ops.ts';

interface RouterOutputsLike {
  readonly idx_NK: Tensor;
  readonly weight_NK: Tensor;
  readonly probs_NE: Tensor;
  readonly counts_E: Tensor;
  readonly lse_N: Tensor;
}
interface RouterModule {
  routerForward(gpu: Gpu, x_NH: Tensor, wg_HE: Tensor, opts: { K: number }): RouterOutputsLike;
  releaseRouterOutputs(gpu: Gpu, out: RouterOutputsLike): void;
}
interface RouterBackwardModule {
  routerBackward(
    gpu: Gpu,
    saved: RouterOutputsLike & { x_NH: Tensor; wg_HE: Tensor },
    dWeight_NK: Tensor,
    opts: { zLossWeight: number; auxLossWeight: number },
  ): { dLogits_NE: Tensor; dx_NH: Tensor; dWg_HE: Tensor };
}

interface SlotsLike {
  readonly offsets_E1: Tensor;
}
interface RouteModule {
  routeSlots(gpu: Gpu, idx_NK: Tensor, E: number, opts: { capacityFactor: number; dropTokens: boolean }): SlotsLike;
  releaseSlots(gpu: Gpu, slots: SlotsLike): void;
}
interface PermuteModule {
  permuteRows(gpu: Gpu, x_NH: Tensor, slots: SlotsLike): Tensor;
  unpermuteGrad(gpu: Gpu, dxp_RH: Tensor, slots: SlotsLike): Tensor;
}
interface CombineModule {
  combine(gpu: Gpu, y_RH: Tensor, weight_NK: Tensor, slots: SlotsLike): Tensor;
  combineBackward(gpu: Gpu, dOut_NH: Tensor, y_RH: Tensor, weight_NK: Tensor, slots: SlotsLike): { dy_RH: Tensor; dWeight_NK: Tensor };
}
type SavedLike = object;
interface ExpertsModule {
  expertsForward(gpu: Gpu, xp_RH: Tensor, offsets_E1: Tensor, w: { wGate_EHF: Tensor; wUp_EHF: Tensor; wDown_EFH: Tensor }): { y_RH: Tensor; saved: SavedLike };
  expertsBackward(gpu: Gpu, saved: SavedLike, dy_RH: Tensor): { dxp_RH: Tensor; dWGate_EHF: Tensor; dWUp_EHF: Tensor; dWDown_EFH: Tensor };
  releaseExpertsSaved(gpu: Gpu, saved: SavedLike): void;
}

/** Loads `rel` (relative to the repository root) when it exists and has every named export as a function. */
async function loadModule<T>(rel: string, names: readonly string[]): Promise<T | string> {
  const url = new URL(`../../${rel}`, import.meta.url);
  if (!existsSync(url)) return `${rel} does not exist yet`;
  const mod = (await import(url.href)) as Record<string, unknown>;
  const absent = names.filter((n) => typeof mod[n] !== 'function');
  return absent.length ? `${rel} does not export ${absent.join(', ')}` : (mod as T);
}

/** Each module, or why it cannot be used (yet). */
export interface EngineModules {
  readonly router: RouterModule | string;
  readonly routerBackward: RouterBackwardModule | string;
  readonly route: RouteModule | string;
  readonly permute: PermuteModule | string;
  readonly combine: CombineModule | string;
  readonly experts: ExpertsModule | string;
}

export async function loadEngineModules(): Promise<EngineModules> {
  return {
    router: await loadModule<RouterModule>('kernels/router/router.ts', ['routerForward', 'releaseRouterOutputs']),
    routerBackward: await loadModule<RouterBackwardModule>('kernels/router/router-backward.ts', ['routerBackward']),
    route: await loadModule<RouteModule>('kernels/permute/route.ts', ['routeSlots', 'releaseSlots']),
    permute: await loadModule<PermuteModule>('kernels/permute/permute.ts', ['permuteRows', 'unpermuteGrad']),
    combine: await loadModule<CombineModule>('kernels/combine/combine.ts', ['combine', 'combineBackward']),
    experts: await loadModule<ExpertsModule>('kernels/experts/experts.ts', ['expertsForward', 'expertsBackward', 'releaseExpertsSaved']),
  };
}

/** The first reason among modules that are missing, or null when all are there. */
function firstMissing(...mods: (object | string)[]): string | null {
  return (mods.find((m) => typeof m === 'string') as string | undefined) ?? null;
}

/** Uploads the inputs an op reads; released by the Prepared's dispose. */
function upload(gpu: Gpu, inp: Inputs, names: readonly (keyof Inputs)[]): Record<string, Tensor> {
  const { N, H, E, K, F } = inp.shape;
  const shapes: Partial<Record<keyof Inputs, number[]>> = {
    x_NH: [N, H], w_HF: [H, F], wg_HE: [H, E], dWeight_NK: [N, K], idx_NK: [N, K], weight_NK: [N, K],
    wGate_EHF: [E, H, F], wUp_EHF: [E, H, F], wDown_EFH: [E, F, H], dOut_NH: [N, H],
  };
  const out: Record<string, Tensor> = {};
  for (const n of names) out[n] = gpu.upload(inp[n] as Float32Array | Uint32Array, shapes[n]!, `bench.${n}`);
  return out;
}

export function engineBackend(gpu: Gpu, mods: EngineModules): Backend {
  const missing = (op: OpName): string | null => {
    switch (op) {
      case 'matmul':
        return null;
      case 'router_fwd':
        return firstMissing(mods.router);
      case 'router_fwd_bwd':
        return firstMissing(mods.router, mods.routerBackward);
      case 'experts_fwd':
      case 'experts_fwd_bwd':
        return firstMissing(mods.route, mods.permute, mods.experts, mods.combine);
    }
  };

  async function prepare(op: OpName, inp: Inputs): Promise<Prepared> {
    const why = missing(op);
    if (why) throw new Error(`moe-engine ${op}: ${why}`);
    const { N, F } = inp.shape;
    if (op === 'matmul') {
      const t = upload(gpu, inp, ['x_NH', 'w_HF']);
      const c = gpu.empty([N, F], 'f32', 'bench.c_NF');
      const record = () => matmulInto(gpu, c, t.x_NH, t.w_HF);
      return {
        run: async () => {
          record();
          await gpu.sync();
        },
        outputs: async () => {
          record();
          return { c_NF: await gpu.readF32(c) };
        },
        dispose: () => gpu.release(c, ...Object.values(t)),
      };
    }
    if (op === 'experts_fwd' || op === 'experts_fwd_bwd') return prepareExperts(op, inp);
    const router = mods.router as RouterModule;
    const routerBwd = mods.routerBackward as RouterBackwardModule;
    const t = upload(gpu, inp, ['x_NH', 'wg_HE', 'dWeight_NK']);
    const K = inp.shape.K;
    // One forward (+ backward) recorded; returns what to read and how to free it once the GPU is done.
    const record = (): { read: Tensor[]; done: () => void } => {
      const fwd = router.routerForward(gpu, t.x_NH, t.wg_HE, { K });
      if (op === 'router_fwd') return { read: [fwd.idx_NK, fwd.weight_NK], done: () => router.releaseRouterOutputs(gpu, fwd) };
      // Loss weights 0: the benchmark's backward is the combine-weight path that the peers differentiate.
      const g = routerBwd.routerBackward(gpu, { ...fwd, x_NH: t.x_NH, wg_HE: t.wg_HE }, t.dWeight_NK, { zLossWeight: 0, auxLossWeight: 0 });
      return {
        read: [fwd.idx_NK, fwd.weight_NK, g.dx_NH, g.dWg_HE],
        done: () => {
          router.releaseRouterOutputs(gpu, fwd);
          gpu.release(g.dLogits_NE, g.dx_NH, g.dWg_HE);
        },
      };
    };
    return {
      run: async () => {
        const r = record();
        await gpu.sync();
        r.done();
      },
      outputs: async () => {
        const r = record();
        const [idx, weight, dx, dWg] = await gpu.readMany(r.read);
        r.done();
        const out: Outputs = { idx_NK: idx as Uint32Array, weight_NK: weight as Float32Array };
        return op === 'router_fwd' ? out : { ...out, dx_NH: dx as Float32Array, dWg_HE: dWg as Float32Array };
      },
      dispose: () => gpu.release(...Object.values(t)),
    };
  }

  /**
   * The routed expert path as the MoE layer runs it: routeSlots (order by
   * expert, no capacity limit) -> permuteRows -> expertsForward -> combine;
   * backward: combineBackward -> expertsBackward -> unpermuteGrad.
   */
  async function prepareExperts(op: 'experts_fwd' | 'experts_fwd_bwd', inp: Inputs): Promise<Prepared> {
    const route = mods.route as RouteModule;
    const permute = mods.permute as PermuteModule;
    const experts = mods.experts as ExpertsModule;
    const comb = mods.combine as CombineModule;
    const t = upload(gpu, inp, ['x_NH', 'idx_NK', 'weight_NK', 'wGate_EHF', 'wUp_EHF', 'wDown_EFH', 'dOut_NH']);
    const E = inp.shape.E;
    const w = { wGate_EHF: t.wGate_EHF, wUp_EHF: t.wUp_EHF, wDown_EFH: t.wDown_EFH };
    const record = (): { read: Tensor[]; done: () => void } => {
      const slots = route.routeSlots(gpu, t.idx_NK, E, { capacityFactor: 1, dropTokens: false });
      const xp = permute.permuteRows(gpu, t.x_NH, slots);
      const { y_RH, saved } = experts.expertsForward(gpu, xp, slots.offsets_E1, w);
      const out = comb.combine(gpu, y_RH, t.weight_NK, slots);
      const free = () => {
        experts.releaseExpertsSaved(gpu, saved);
        route.releaseSlots(gpu, slots);
        gpu.release(xp, y_RH, out);
      };
      if (op === 'experts_fwd') return { read: [out], done: free };
      const c = comb.combineBackward(gpu, t.dOut_NH, y_RH, t.weight_NK, slots);
      const g = experts.expertsBackward(gpu, saved, c.dy_RH);
      const dx = permute.unpermuteGrad(gpu, g.dxp_RH, slots);
      return {
        read: [out, dx, c.dWeight_NK, g.dWGate_EHF, g.dWUp_EHF, g.dWDown_EFH],
        done: () => {
          free();
          gpu.release(c.dy_RH, c.dWeight_NK, g.dxp_RH, g.dWGate_EHF, g.dWUp_EHF, g.dWDown_EFH, dx);
        },
      };
    };
    return {
      run: async () => {
        const r = record();
        await gpu.sync();
        r.done();
      },
      outputs: async () => {
        const r = record();
        const [out, dx, dWeight, dWgate, dWup, dWdown] = (await gpu.readMany(r.read)) as Float32Array[];
        r.done();
        return op === 'experts_fwd'
          ? { out_NH: out }
          : { out_NH: out, dx_NH: dx, dWeight_NK: dWeight, dWgate_EHF: dWgate, dWup_EHF: dWup, dWdown_EFH: dWdown };
      },
      dispose: () => gpu.release(...Object.values(t)),
    };
  }

  return { impl: 'moe-engine', variants: () => ['kernels'], missing, prepare: (op, inp) => prepare(op, inp) };
}
