/**
 * The whole MoE layer (router + permute + experts + combine, with z-loss
 * and aux loss) against an independent float64 reference: forward values,
 * and the backward pass against central finite differences of that
 * reference. Random data keeps top-k away from ties, where the loss is
 * not differentiable.
 */
import { describe, it } from 'vitest';
import { moeBackward, moeForward, releaseMoeForward, releaseMoeStats, moeStats, type MoeOptions } from '../../engine/layers/moe.ts';
import { moeLayerFiniteDiff, moeLayerRef, type MoeLayerParams, type MoeLayerShape } from '../reference/moe-layer.ts';
import { testGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';

const f64 = (a: Float32Array) => Float64Array.from(a);

// float32 GPU gradients against float64 finite differences (step 1e-6, error ~1e-10):
// the float32 chain of ~5 kernels over sums of <= 16 terms keeps relative error near 1e-5,
// so 1e-3 relative / 1e-4 absolute catches any wrong term (O(1) errors) with margin.
const GRAD_TOL = { atol: 1e-4, rtol: 1e-3 };

const CASES: Array<MoeLayerShape & { name: string }> = [
  { name: 'no dropping', N: 6, H: 4, E: 4, K: 2, F: 3, capacityFactor: 1, dropTokens: false },
  { name: 'capacity dropping', N: 8, H: 5, E: 4, K: 2, F: 3, capacityFactor: 0.5, dropTokens: true },
  { name: 'K = 1', N: 7, H: 3, E: 3, K: 1, F: 2, capacityFactor: 1, dropTokens: false },
  { name: 'K = E', N: 5, H: 4, E: 3, K: 3, F: 4, capacityFactor: 1, dropTokens: false },
];

describe('MoE layer (float64 reference, finite differences)', () => {
  for (const s of CASES) {
    it(`forward and backward match: ${s.name}`, async () => {
      const gpu = await testGpu();
      const { N, H, E, F } = s;
      const x = randomArray(N * H, 11 + N, 1);
      const wg = randomArray(H * E, 12 + N, 1);
      const wGate = randomArray(E * H * F, 13 + N, 0.7);
      const wUp = randomArray(E * H * F, 14 + N, 0.7);
      const wDown = randomArray(E * F * H, 15 + N, 0.7);
      const r = randomArray(N * H, 16 + N, 1);
      const zw = 0.1;
      const aw = 0.05;
      const p: MoeLayerParams = { wg_HE: f64(wg), wGate_EHF: f64(wGate), wUp_EHF: f64(wUp), wDown_EFH: f64(wDown) };
      const x64 = f64(x);
      const ref = moeLayerRef(x64, p, s);

      const X = gpu.upload(x, [N, H], 'x');
      const w = {
        router_HE: gpu.upload(wg, [H, E], 'wg'),
        wGate_EHF: gpu.upload(wGate, [E, H, F], 'wGate'),
        wUp_EHF: gpu.upload(wUp, [E, H, F], 'wUp'),
        wDown_EFH: gpu.upload(wDown, [E, F, H], 'wDown'),
      };
      const o: MoeOptions = { K: s.K, capacityFactor: s.capacityFactor, dropTokens: s.dropTokens, zLossWeight: zw, auxLossWeight: aw, label: 'test.moe' };
      const fwd = moeForward(gpu, X, w, o);
      const stats = moeStats(fwd);
      const [out, z, aux] = await gpu.readMany([fwd.out_NH, stats.zLoss_1, stats.auxLoss_1]);
      expectClose('out_NH', out, ref.out_NH);
      expectClose('z-loss', z, [ref.zLoss]);
      expectClose('aux loss', aux, [ref.auxLoss]);

      const R = gpu.upload(r, [N, H], 'dOut');
      const { dx_NH, grads } = moeBackward(gpu, fwd, w, R, o);
      const [dx, dWg, dGate, dUp, dDown] = await gpu.readMany([dx_NH, grads.router_HE, grads.wGate_EHF, grads.wUp_EHF, grads.wDown_EFH]);
      expectClose('dx', dx, moeLayerFiniteDiff(x64, p, s, r, zw, aw, x64), GRAD_TOL);
      expectClose('dWg', dWg, moeLayerFiniteDiff(x64, p, s, r, zw, aw, p.wg_HE as Float64Array), GRAD_TOL);
      expectClose('dWgate', dGate, moeLayerFiniteDiff(x64, p, s, r, zw, aw, p.wGate_EHF as Float64Array), GRAD_TOL);
      expectClose('dWup', dUp, moeLayerFiniteDiff(x64, p, s, r, zw, aw, p.wUp_EHF as Float64Array), GRAD_TOL);
      expectClose('dWdown', dDown, moeLayerFiniteDiff(x64, p, s, r, zw, aw, p.wDown_EFH as Float64Array), GRAD_TOL);

      releaseMoeForward(gpu, fwd);
      releaseMoeStats(gpu, stats);
      gpu.release(X, R, fwd.out_NH, dx_NH, w.router_HE, w.wGate_EHF, w.wUp_EHF, w.wDown_EFH);
      gpu.release(grads.router_HE, grads.wGate_EHF, grads.wUp_EHF, grads.wDown_EFH);
    });
  }
});
