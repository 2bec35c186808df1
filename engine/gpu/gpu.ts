/**
 * The GPU runtime a kernel launcher talks to: records dispatches into one
 * command encoder (one compute pass per dispatch, so the profiler can time
 * each kernel), submits in batches, owns the pipeline cache and buffer pool,
 * and turns WebGPU's asynchronous errors into exceptions that name the
 * kernel. No Node imports: this file runs in a browser too.
 */
import { BufferPool } from './buffer-pool.ts';
import type { Workgroups } from './dispatch.ts';
import { GpuDeviceLostError, GpuKernelError } from './errors.ts';
import { plainWait, type GpuWait } from './gpu-wait.ts';
import type { KernelSource } from './kernel.ts';
import { PipelineCache } from './pipeline-cache.ts';
import { Profiler } from './profiler.ts';
import { byteSize, dtypeOf, numel, type DType, type HostArray, type Tensor } from './tensor.ts';
import { OperandTextures, textureOperandProblem, textureOperandsByDefault, type MatrixStack, type TextureBinding } from './texture-operand.ts';

export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallback: boolean;
  readonly provider: string;
}

export interface GpuOptions {
  /** Time every kernel (timestamp queries when the device has them). */
  readonly profile?: boolean;
  /** Wrap every dispatch in an error scope, so a failure names its kernel exactly (slow). */
  readonly validateEachDispatch?: boolean;
  /** Called with each kernel when its pipeline is compiled (e.g. to dump the WGSL). */
  readonly onCompile?: (kernel: KernelSource) => void;
  /** How to await GPU promises (gpu-wait.ts); acquireGpu picks the provider's software wait for a software adapter. Default: plain await. */
  readonly wait?: GpuWait;
  /**
   * Let kernels that can read a matrix operand through a texture do so
   * (texture-operand.ts). Default: on SwiftShader, where it was measured
   * faster; storage buffers elsewhere.
   */
  readonly textureOperands?: boolean;
}

export type Binding = Tensor | GPUBuffer | TextureBinding;

/** A WebGPU error that only reports the use of an object an earlier error made invalid. */
function isConsequence(e: Error): boolean {
  return /is invalid due to a previous error/.test(e.message);
}

function bindingResource(b: Binding): GPUBindingResource {
  if ('view' in b) return b.view;
  return { buffer: 'buffer' in b ? b.buffer : b };
}

export class Gpu {
  readonly pipelines: PipelineCache;
  readonly pool: BufferPool;
  readonly profiler: Profiler | null;
  private encoder: GPUCommandEncoder | null = null;
  private transient: GPUBuffer[] = [];
  private pendingError: Error | null = null;
  private lost: GpuDeviceLostError | null = null;
  private lastKernel = '(none)';
  private dispatchesInEncoder = 0;
  private nanSource: GPUBuffer | null = null;
  private readonly wait: GpuWait;
  private readonly operandTextures: OperandTextures;
  /** Whether kernels may read matrix operands through textures (GpuOptions.textureOperands); tests switch it. */
  textureOperands: boolean;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    private readonly options: GpuOptions = {},
  ) {
    this.pipelines = new PipelineCache(device, (k, m) => this.fail(new GpuKernelError(k, m)), options.onCompile);
    this.pool = new BufferPool(device);
    this.operandTextures = new OperandTextures(device);
    this.textureOperands = options.textureOperands ?? textureOperandsByDefault(adapter);
    this.wait = options.wait ?? plainWait;
    this.profiler = options.profile ? new Profiler(device, this.wait) : null;
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.fail(new GpuKernelError(kernelNamedIn(ev.error.message) ?? this.lastKernel, ev.error.message));
    };
    void device.lost.then((info) => {
      if (info.reason === 'destroyed') return;
      this.lost = new GpuDeviceLostError(
        `GPU device lost (${info.reason}): ${info.message}. Last kernel recorded: '${this.lastKernel}'. ` +
          'Long dispatches can trip the driver watchdog; smaller batches or sequence lengths may help.',
      );
    });
  }

  /** Largest staging buffer readMany allocates (also capped by the device's maxBufferSize). */
  stagingChunkBytes = 64 * 1024 * 1024;

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  get maxWorkgroupsPerDimension(): number {
    return this.device.limits.maxComputeWorkgroupsPerDimension;
  }

  // ---- tensors -----------------------------------------------------------

  /** A new tensor from the pool. Contents are undefined (NaN when the pool poisons). */
  empty(shape: readonly number[], dtype: DType, label: string): Tensor {
    this.checkBindingSize(byteSize(shape), label);
    const buffer = this.pool.acquire(byteSize(shape), label);
    if (this.pool.poison) this.poisonBuffer(buffer);
    return { buffer, shape: [...shape], dtype, label };
  }

  /**
   * Fills a buffer with NaN bits as a command in the encoder, so it lands
   * after the commands already recorded (a queue.writeBuffer would jump
   * ahead of them and could wipe a buffer that pending passes still use).
   */
  private poisonBuffer(buffer: GPUBuffer): void {
    if (!this.nanSource || this.nanSource.size < buffer.size) {
      // The old source may still be used by recorded copies: destroy it after the submit.
      if (this.nanSource) this.transient.push(this.nanSource);
      const size = Math.max(buffer.size, 1 << 16);
      this.nanSource = this.device.createBuffer({ label: 'nan-source', size, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
      new Uint32Array(this.nanSource.getMappedRange()).fill(0x7fc00000);
      this.nanSource.unmap();
    }
    this.currentEncoder().copyBufferToBuffer(this.nanSource, 0, buffer, 0, buffer.size);
  }

  /** A new tensor filled with zeros (cleared on the GPU timeline, in order with dispatches). */
  zeros(shape: readonly number[], dtype: DType, label: string): Tensor {
    const t = this.empty(shape, dtype, label);
    this.clear(t);
    return t;
  }

  clear(t: Tensor): void {
    this.currentEncoder().clearBuffer(t.buffer);
  }

  upload(data: HostArray, shape: readonly number[], label: string): Tensor {
    if (numel(shape) !== data.length) {
      throw new Error(`upload '${label}': shape [${shape.join(', ')}] holds ${numel(shape)} values, data has ${data.length}`);
    }
    const t = this.empty(shape, dtypeOf(data), label);
    this.write(t, data);
    return t;
  }

  /** Overwrites a tensor from the host. Commands recorded so far are submitted first, so they see the old contents. */
  write(t: Tensor, data: HostArray): void {
    if (data.length !== numel(t.shape)) {
      throw new Error(`write '${t.label}': tensor has ${numel(t.shape)} values, data has ${data.length}`);
    }
    if (this.dispatchesInEncoder > 0 || this.encoder) this.submit();
    if (data.length > 0) this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  release(...tensors: Tensor[]): void {
    for (const t of tensors) this.pool.release(t.buffer);
  }

  async read(t: Tensor): Promise<HostArray> {
    const n = numel(t.shape);
    const bytes = await this.readBytes(t.buffer, n * 4);
    return t.dtype === 'f32' ? new Float32Array(bytes) : t.dtype === 'u32' ? new Uint32Array(bytes) : new Int32Array(bytes);
  }

  async readF32(t: Tensor): Promise<Float32Array> {
    if (t.dtype !== 'f32') throw new Error(`readF32 '${t.label}': tensor is ${t.dtype}`);
    return (await this.read(t)) as Float32Array;
  }

  async readU32(t: Tensor): Promise<Uint32Array> {
    if (t.dtype !== 'u32') throw new Error(`readU32 '${t.label}': tensor is ${t.dtype}`);
    return (await this.read(t)) as Uint32Array;
  }

  /**
   * Reads several tensors with one submit and one wait: the once-per-step
   * readback of losses, counts and norms, and a checkpoint's capture of
   * every parameter and moment. The bytes go through staging buffers of at
   * most `stagingChunkBytes` each (a tensor may span several), so a model
   * larger than the device's maxBufferSize can still be read back; each
   * staging buffer is freed as soon as its bytes are on the host.
   */
  async readMany(tensors: readonly Tensor[]): Promise<HostArray[]> {
    const sizes = tensors.map((t) => numel(t.shape) * 4);
    const outputs = sizes.map((n) => new ArrayBuffer(n));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total === 0) {
      await this.sync();
    } else {
      const chunk = Math.max(4, Math.floor(Math.min(this.stagingChunkBytes, this.device.limits.maxBufferSize) / 4) * 4);
      // Pieces of tensors, in order, packed into staging buffers of at most `chunk` bytes.
      const stagings: { buffer: GPUBuffer; pieces: { tensor: number; from: number; at: number; bytes: number }[] }[] = [];
      let room = 0;
      let placed = 0;
      const encoder = this.currentEncoder();
      tensors.forEach((t, i) => {
        for (let from = 0; from < sizes[i]; ) {
          if (room === 0) {
            const size = Math.min(chunk, total - placed);
            stagings.push({ buffer: this.device.createBuffer({ label: `read:many#${stagings.length}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }), pieces: [] });
            room = size;
          }
          const staging = stagings[stagings.length - 1];
          const at = staging.buffer.size - room;
          const bytes = Math.min(room, sizes[i] - from);
          encoder.copyBufferToBuffer(t.buffer, from, staging.buffer, at, bytes);
          staging.pieces.push({ tensor: i, from, at, bytes });
          from += bytes;
          room -= bytes;
          placed += bytes;
        }
      });
      this.submit();
      try {
        await this.wait(Promise.all(stagings.map((s) => s.buffer.mapAsync(GPUMapMode.READ))));
      } catch (e) {
        for (const s of stagings) s.buffer.destroy();
        throw await this.mapFailure(e, `reading ${tensors.map((t) => `'${t.label}'`).join(', ')}`);
      }
      for (const s of stagings) {
        const mapped = new Uint8Array(s.buffer.getMappedRange());
        for (const p of s.pieces) new Uint8Array(outputs[p.tensor], p.from, p.bytes).set(mapped.subarray(p.at, p.at + p.bytes));
        s.buffer.unmap();
        s.buffer.destroy();
      }
      await this.throwPending();
    }
    return tensors.map((t, i) => (t.dtype === 'f32' ? new Float32Array(outputs[i]) : t.dtype === 'u32' ? new Uint32Array(outputs[i]) : new Int32Array(outputs[i])));
  }

  /** Copies `bytes` from a buffer to the host. One stall: call once per step, not per layer. */
  async readBytes(buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    if (bytes === 0) {
      this.submit();
      await this.sync();
      return new ArrayBuffer(0);
    }
    const staging = this.device.createBuffer({ label: `read:${buffer.label}`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.currentEncoder().copyBufferToBuffer(buffer, offset, staging, 0, bytes);
    this.submit();
    try {
      await this.wait(staging.mapAsync(GPUMapMode.READ));
    } catch (e) {
      staging.destroy();
      throw await this.mapFailure(e, `reading '${buffer.label}'`);
    }
    const out = staging.getMappedRange().slice(0);
    staging.destroy();
    await this.throwPending();
    return out;
  }

  // ---- dispatch ----------------------------------------------------------

  /**
   * Records one kernel launch. `bindings` follow the convention: outputs,
   * then inputs, in the order of the shader's @binding numbers; `params`
   * (from packParams) becomes the last binding as a uniform buffer.
   */
  dispatch(kernel: KernelSource, bindings: readonly Binding[], workgroups: Workgroups, params?: ArrayBuffer): void {
    if (this.lost) throw this.lost;
    const [x, y, z] = workgroups;
    if (x === 0 || y === 0 || z === 0) return; // nothing to do; an empty launch costs nothing
    const max = this.maxWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new GpuKernelError(kernel.name, `dispatch [${x}, ${y}, ${z}] exceeds maxComputeWorkgroupsPerDimension (${max}); fold it with dispatch1d`);
    }
    // Set before anything of this launch reaches Dawn: validation errors can arrive synchronously.
    this.lastKernel = kernel.name;
    const pipeline = this.pipelines.get(kernel);
    const entries: GPUBindGroupEntry[] = bindings.map((b, i) => ({ binding: i, resource: bindingResource(b) }));
    if (params) {
      const ubuf = this.device.createBuffer({ label: `${kernel.name}:params`, size: params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      this.device.queue.writeBuffer(ubuf, 0, params);
      this.transient.push(ubuf);
      entries.push({ binding: bindings.length, resource: { buffer: ubuf } });
    }
    if (this.options.validateEachDispatch) this.device.pushErrorScope('validation');
    const bindGroup = this.device.createBindGroup({ label: kernel.name, layout: pipeline.getBindGroupLayout(0), entries });
    if (this.profiler?.full) this.submit();
    const encoder = this.currentEncoder();
    const timestampWrites = this.profiler?.passWrites(kernel.name);
    const pass = encoder.beginComputePass(timestampWrites ? { label: kernel.name, timestampWrites } : { label: kernel.name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    this.dispatchesInEncoder++;
    if (this.options.validateEachDispatch) {
      void this.device.popErrorScope().then((err) => {
        if (err) this.fail(new GpuKernelError(kernel.name, err.message));
      });
    }
  }

  /**
   * Whether `m`, the matrices of a tensor, can be read through a texture
   * here: textureOperands is on and the device's limits allow it.
   */
  canTexture(m: MatrixStack): boolean {
    return this.textureOperands && textureOperandProblem(m, this.device.limits) === null;
  }

  /**
   * Records the copy of `t` into the texture of `slot` (one per slot and
   * size, reused) and returns it as a binding; check canTexture first.
   */
  texture(slot: string, t: Tensor, m: MatrixStack): TextureBinding {
    if (this.lost) throw this.lost;
    return this.operandTextures.fill(this.currentEncoder(), slot, t, m);
  }

  /** Bytes of GPU memory held by operand textures (copies of weights). */
  get textureBytes(): number {
    return this.operandTextures.bytes;
  }

  /** Submits the recorded commands. Cheap when nothing is recorded. */
  submit(): void {
    if (this.lost) throw this.lost;
    if (!this.encoder) return;
    const encoder = this.encoder;
    this.encoder = null;
    this.dispatchesInEncoder = 0;
    const afterSubmit = this.profiler?.beforeSubmit(encoder) ?? null;
    this.device.queue.submit([encoder.finish({ label: 'moe' })]);
    afterSubmit?.();
    // Destroying after submit is safe: the GPU keeps the memory until the work is done.
    for (const b of this.transient) b.destroy();
    this.transient = [];
  }

  /** Submits and waits for the GPU; throws the first error that happened since the last sync. */
  async sync(): Promise<void> {
    this.submit();
    await this.wait(this.device.queue.onSubmittedWorkDone());
    await this.throwPending();
  }

  /** Frees the device; later work on this Gpu throws GpuDeviceLostError instead of silently not running. */
  destroy(): void {
    this.pool.trim();
    this.operandTextures.destroy();
    this.device.destroy();
    this.lost ??= new GpuDeviceLostError('this Gpu was destroyed (Gpu.destroy); acquire a new one to run more work');
  }

  private currentEncoder(): GPUCommandEncoder {
    if (this.lost) throw this.lost;
    this.encoder ??= this.device.createCommandEncoder({ label: 'moe' });
    return this.encoder;
  }

  private checkBindingSize(bytes: number, label: string): void {
    const max = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > max) {
      throw new Error(`tensor '${label}' needs ${bytes} bytes, above maxStorageBufferBindingSize (${max}); use a smaller batch or shard the tensor`);
    }
  }

  /**
   * Keeps the first error, except that a root cause replaces its
   * consequences: Dawn reports each use of an invalid pipeline ("... is
   * invalid due to a previous error") as it happens, while the pipeline's own
   * error, with the compiler's messages, arrives later from its error scope.
   */
  private fail(e: Error): void {
    if (!this.pendingError || (isConsequence(this.pendingError) && !isConsequence(e))) this.pendingError = e;
  }

  /**
   * Why a readback's buffer mapping failed: the error recorded since the last
   * sync when there is one, else, for an abort (Dawn rejects with an empty
   * AbortError when the device goes away), a message that says so.
   */
  private async mapFailure(e: unknown, what: string): Promise<unknown> {
    await this.throwPending();
    if ((e as { name?: unknown })?.name !== 'AbortError') return e;
    const detail = (e as { message?: unknown }).message;
    return new GpuDeviceLostError(`${what}: the GPU device was destroyed or lost before the data came back${detail ? ` (${String(detail)})` : ''}`);
  }

  /** Throws the first error since the last call, after the checks of newly compiled pipelines are in. */
  private async throwPending(): Promise<void> {
    if (this.pipelines.checking) await this.wait(this.pipelines.checked());
    if (this.lost) throw this.lost;
    const e = this.pendingError;
    if (e) {
      this.pendingError = null;
      throw e;
    }
  }
}

/** Dawn quotes object labels in its messages: [ComputePipeline "router_fwd"]. */
function kernelNamedIn(message: string): string | null {
  // Dawn writes a descriptor's label in doubled quotes: [BindGroupDescriptor ""name""].
  const m = /\[(?:Invalid )?(?:ComputePipeline|ComputePassEncoder|BindGroup|ShaderModule)(?:Descriptor)?\s+"+([^"]+)"+\]/.exec(message);
  return m ? m[1] : null;
}
