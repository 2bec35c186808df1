/**
 * The benchmark's operations in TensorFlow.js (@tensorflow/tfjs with the
 * WebGPU backend), written as its users would: ops inside tf.tidy,
 * gradients from tf.valueAndGrads with the upstream gradient as `dy`.
 * Import this module only after navigator.gpu exists (webgpu-env.ts): the
 * WebGPU backend registers itself at import time only when it sees it.
 *
 * TF.js has no gradient for TopK, so the router picks experts with top-k
 * outside the differentiated function and reads their probabilities through
 * a one-hot mask inside it (recomputing x·Wg and the softmax).
 *
 * Legend: N tokens, H hidden, E experts, K top-k, F expert FFN dim, R = N·K.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { Backend, Inputs, OpName, Outputs, Prepared } from '../kernels/ops.ts';
import { groupByExpert } from '../routing.ts';

type T = tf.Tensor;

/** The WebGPU backend's own flush, as its read() does it (no public API waits without reading back). */
interface WebGpuBackendLike {
  readonly commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
  readonly device: GPUDevice;
}

export async function tfjsBackend(): Promise<Backend> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the WebGPU backend did not initialise (navigator.gpu missing or no adapter)');
  await tf.ready();
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  /** Waits for the device: ends TF.js's open compute pass and submits its batched commands, then awaits the queue. */
  const sync = async () => {
    if (backend.commandEncoder) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    await backend.device.queue.onSubmittedWorkDone();
  };
  const f32 = (a: Float32Array, shape: number[]) => tf.tensor(a, shape, 'float32');
  const i32 = (a: ArrayLike<number>, shape: number[]) => tf.tensor(Int32Array.from(a), shape, 'int32');
  const silu = (a: T) => tf.mul(a, tf.sigmoid(a));

  const variants = (op: OpName): readonly string[] => (op.startsWith('experts') ? ['dense', 'gather'] : ['eager']);

  /** A Prepared from `call`, which returns named output tensors (kept out of its tidy). */
  function prepared(call: () => Promise<Record<string, T>>, held: T[], toOutputs: (r: Record<string, T>) => Promise<Outputs>): Prepared {
    return {
      run: async () => {
        const r = await call();
        await sync();
        tf.dispose(Object.values(r));
      },
      outputs: async () => {
        const r = await call();
        const out = await toOutputs(r);
        tf.dispose(Object.values(r));
        return out;
      },
      dispose: () => tf.dispose(held),
    };
  }
  const asF32 = async (t: T) => Float32Array.from(await t.data());

  async function prepare(op: OpName, inp: Inputs, variant: string): Promise<Prepared> {
    const { N, H, E, K, F } = inp.shape;

    if (op === 'matmul') {
      const x = f32(inp.x_NH, [N, H]);
      const w = f32(inp.w_HF, [H, F]);
      return prepared(async () => ({ c: tf.matMul(x, w) }), [x, w], async (r) => ({ c_NF: await asF32(r.c) }));
    }

    if (op === 'router_fwd' || op === 'router_fwd_bwd') {
      const x = f32(inp.x_NH, [N, H]);
      const wg = f32(inp.wg_HE, [H, E]);
      const dWeight = f32(inp.dWeight_NK, [N, K]);
      const held = [x, wg, dWeight];
      const toOutputs = async (r: Record<string, T>): Promise<Outputs> => ({
        idx_NK: Uint32Array.from(await r.idx.data()),
        weight_NK: await asF32(r.weight),
        ...(r.dx ? { dx_NH: await asF32(r.dx), dWg_HE: await asF32(r.dwg) } : {}),
      });
      if (op === 'router_fwd') {
        return prepared(
          async () =>
            tf.tidy(() => {
              const { values, indices } = tf.topk(tf.softmax(tf.matMul(x, wg)), K);
              return { idx: indices, weight: tf.div(values, tf.sum(values, -1, true)) };
            }),
          held,
          toOutputs,
        );
      }
      return prepared(
        async () =>
          tf.tidy(() => {
            const idx = tf.topk(tf.softmax(tf.matMul(x, wg)), K).indices;
            const mask = tf.oneHot(idx, E, 1, 0, 'float32'); // [N, K, E]
            const weightOf = (xa: T, wga: T) => {
              const chosen = tf.sum(tf.mul(tf.expandDims(tf.softmax(tf.matMul(xa, wga)), 1), mask), -1);
              return tf.div(chosen, tf.sum(chosen, -1, true));
            };
            const { value, grads } = tf.valueAndGrads(weightOf)([x, wg], dWeight);
            return { idx, weight: value, dx: grads[0], dwg: grads[1] };
          }),
        held,
        toOutputs,
      );
    }

    // ---- experts -------------------------------------------------------
    const withGrad = op === 'experts_fwd_bwd';
    const x = f32(inp.x_NH, [N, H]);
    const weight = f32(inp.weight_NK, [N, K]);
    const idx = i32(inp.idx_NK, [N, K]);
    const dOut = f32(inp.dOut_NH, [N, H]);
    const held: T[] = [x, weight, idx, dOut];

    if (variant === 'dense') {
      // Gate and up kernels as [H, E·F], the way a dense layer stores them (converted once, untimed).
      const toHxEF = (w: Float32Array) => tf.tidy(() => tf.reshape(tf.transpose(f32(w, [E, H, F]), [1, 0, 2]), [H, E * F]));
      const fromHxEF = async (t: T) => Float32Array.from(await tf.tidy(() => tf.transpose(tf.reshape(t, [H, E, F]), [1, 0, 2])).data());
      const wg = toHxEF(inp.wGate_EHF);
      const wu = toHxEF(inp.wUp_EHF);
      const wd = f32(inp.wDown_EFH, [E, F, H]);
      held.push(wg, wu, wd);
      // Every expert on every token, masked by the dense gate [N, E] (E/K times the routed work).
      const dense = (xa: T, wa: T, g: T, u: T, d: T): T => {
        const gate = tf.sum(tf.mul(tf.oneHot(idx, E, 1, 0, 'float32'), tf.expandDims(wa, 2)), 1); // [N, E]
        const a = tf.matMul(xa, g);
        const h = tf.transpose(tf.reshape(tf.mul(silu(a), tf.matMul(xa, u)), [N, E, F]), [1, 0, 2]); // [E, N, F]
        const y = tf.matMul(h, d); // [E, N, H]
        return tf.sum(tf.mul(y, tf.expandDims(tf.transpose(gate), 2)), 0);
      };
      if (!withGrad) {
        return prepared(async () => ({ out: tf.tidy(() => dense(x, weight, wg, wu, wd)) }), held, async (r) => ({ out_NH: await asF32(r.out) }));
      }
      return prepared(
        async () =>
          tf.tidy(() => {
            const { value, grads } = tf.valueAndGrads((xa: T, wa: T, g: T, u: T, d: T) => dense(xa, wa, g, u, d))([x, weight, wg, wu, wd], dOut);
            return { out: value, dx: grads[0], dw: grads[1], dg: grads[2], du: grads[3], dd: grads[4] };
          }),
        held,
        async (r) => ({
          out_NH: await asF32(r.out),
          dx_NH: await asF32(r.dx),
          dWeight_NK: await asF32(r.dw),
          dWgate_EHF: await fromHxEF(r.dg),
          dWup_EHF: await fromHxEF(r.du),
          dWdown_EFH: await asF32(r.dd),
        }),
      );
    }

    // Per-expert gather loop: one dense layer per expert (its own kernels), rows grouped by expert
    // on the host after reading the routing back, results gathered back into slot order and combined.
    const perExpert = (w: Float32Array, rows: number, cols: number) =>
      Array.from({ length: E }, (_, e) => f32(w.subarray(e * rows * cols, (e + 1) * rows * cols), [rows, cols]));
    const wgs = perExpert(inp.wGate_EHF, H, F);
    const wus = perExpert(inp.wUp_EHF, H, F);
    const wds = perExpert(inp.wDown_EFH, F, H);
    held.push(...wgs, ...wus, ...wds);
    const routing = async () => {
      const r = groupByExpert(await idx.data(), E, K);
      const used = Array.from({ length: E }, (_, e) => e).filter((e) => r.offsets[e + 1] > r.offsets[e]);
      return { ...r, used, tokenOfRow: i32(r.tokenOfRow, [N * K]), rowOfSlot: i32(r.rowOfSlot, [N * K]) };
    };
    type Routing = Awaited<ReturnType<typeof routing>>;
    // Arguments: x, weight, then gate, up and down kernels of the experts that have rows.
    const gathered = (r: Routing, args: T[]): T => {
      const [xa, wa] = args;
      const U = r.used.length;
      const xp = tf.gather(xa, r.tokenOfRow); // [R, H] in expert order
      const ys = r.used.map((e, i) => {
        const xe = tf.slice(xp, [r.offsets[e], 0], [r.offsets[e + 1] - r.offsets[e], H]);
        const a = tf.matMul(xe, args[2 + i]);
        return tf.matMul(tf.mul(silu(a), tf.matMul(xe, args[2 + U + i])), args[2 + 2 * U + i]);
      });
      const y = tf.reshape(tf.gather(tf.concat(ys, 0), r.rowOfSlot), [N, K, H]);
      return tf.sum(tf.mul(y, tf.expandDims(wa, 2)), 1);
    };
    const argsOf = (r: Routing) => [x, weight, ...r.used.map((e) => wgs[e]), ...r.used.map((e) => wus[e]), ...r.used.map((e) => wds[e])];
    let last: Routing | null = null;
    const call = async (): Promise<Record<string, T>> => {
      const r = await routing();
      last = r;
      const out = tf.tidy(() => {
        if (!withGrad) return { out: gathered(r, argsOf(r)) };
        const { value, grads } = tf.valueAndGrads((...a: T[]) => gathered(r, a))(argsOf(r), dOut);
        return { out: value, ...Object.fromEntries(grads.map((g, i) => [`g${i}`, g])) };
      });
      tf.dispose([r.tokenOfRow, r.rowOfSlot]);
      return out;
    };
    // Per-expert gradients back into [E, H, F] / [E, F, H]; experts without rows get exactly 0.
    const stack = async (r: Routing, res: Record<string, T>, first: number, size: number): Promise<Float32Array> => {
      const out = new Float32Array(E * size);
      for (const [i, e] of r.used.entries()) out.set(await res[`g${first + i}`].data(), e * size);
      return out;
    };
    return prepared(call, held, async (res) => {
      if (!withGrad) return { out_NH: await asF32(res.out) };
      const r = last!;
      const U = r.used.length;
      return {
        out_NH: await asF32(res.out),
        dx_NH: await asF32(res.g0),
        dWeight_NK: await asF32(res.g1),
        dWgate_EHF: await stack(r, res, 2, H * F),
        dWup_EHF: await stack(r, res, 2 + U, H * F),
        dWdown_EFH: await stack(r, res, 2 + 2 * U, F * H),
      };
    });
  }

  return { impl: 'tfjs', variants, missing: () => null, prepare };
}
