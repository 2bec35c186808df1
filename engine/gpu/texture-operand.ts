/**
 * Matrix operands read through textures. On software WebGPU (SwiftShader)
 * every storage-buffer load is a bounds-checked per-lane gather with a branch
 * per lane, while a texel fetch of an rgba32float texture brings four floats
 * for all four SIMD lanes at once: a GEMM that reads its B operand (the one
 * indexed by output column) from a texture ran 1.5x faster there
 * (bench/README.md), so it is the default there (textureOperandsByDefault).
 * Kernels that can use it take the operand as a texture_2d_array<f32>:
 * layer b = matrix b, texel (x, y) = row y, columns 4x .. 4x+3. Copies are
 * not compute passes, so the profiler does not time them. The matrices are copied from the tensor (copyBufferToTexture,
 * recorded in order with the dispatches) into a texture kept per slot and
 * size (until Gpu.destroy; Gpu.textureBytes says how much), so the copy is
 * the only extra cost: O(rows·cols) against the GEMM's O(M·rows·cols) when
 * each matrix meets M rows. Callers whose matrices meet few rows each (the
 * experts with few rows per expert) keep storage buffers.
 */
import { numel, type Tensor } from './tensor.ts';

/** A texture bound where a kernel declares texture_2d_array<f32>. */
export interface TextureBinding {
  readonly view: GPUTextureView;
  readonly label: string;
}

/** layers matrices of rows x cols floats, stored one after another in a tensor. */
export interface MatrixStack {
  readonly layers: number;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Whether texture operands are the default for this adapter: on SwiftShader,
 * where they were measured faster. Other software adapters (llvmpipe,
 * lavapipe) compile gathers with LLVM and were not measured; GPUs read
 * storage buffers well.
 */
export function textureOperandsByDefault(adapter: { readonly vendor: string; readonly architecture: string; readonly device: string; readonly description: string }): boolean {
  return /swiftshader/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`);
}

/** copyBufferToTexture needs bytesPerRow to be a multiple of this. */
const ROW_ALIGN_BYTES = 256;

/**
 * Why `m` cannot be copied into an operand texture on a device with these
 * limits (null when it can): each row must be whole rgba32float texels and a
 * multiple of 256 bytes (cols % 64 == 0), within the 2-D texture and
 * array-layer limits.
 */
export function textureOperandProblem(m: MatrixStack, limits: GPUSupportedLimits): string | null {
  if (m.layers < 1 || m.rows < 1 || m.cols < 1) return `empty matrices (${m.layers} x ${m.rows} x ${m.cols})`;
  if ((m.cols * 4) % ROW_ALIGN_BYTES !== 0) return `${m.cols} columns is not a multiple of ${ROW_ALIGN_BYTES / 4}`;
  const max2d = limits.maxTextureDimension2D;
  if (m.cols / 4 > max2d || m.rows > max2d) return `${m.rows} x ${m.cols / 4} texels exceeds maxTextureDimension2D (${max2d})`;
  if (m.layers > limits.maxTextureArrayLayers) return `${m.layers} matrices exceeds maxTextureArrayLayers (${limits.maxTextureArrayLayers})`;
  return null;
}

/** One texture per (slot, size), refilled at each use. */
export class OperandTextures {
  private readonly textures = new Map<string, { texture: GPUTexture; binding: TextureBinding }>();

  constructor(private readonly device: GPUDevice) {}

  /**
   * Records the copy of `t` (f32, layers·rows·cols values) into the slot's
   * texture and returns its binding. Commands are ordered on the encoder,
   * so a slot reused by a later kernel is overwritten only after earlier
   * kernels have read it.
   */
  fill(encoder: GPUCommandEncoder, slot: string, t: Tensor, m: MatrixStack): TextureBinding {
    const problem = textureOperandProblem(m, this.device.limits);
    if (problem) throw new Error(`texture operand '${slot}' for '${t.label}': ${problem}`);
    if (t.dtype !== 'f32' || numel(t.shape) !== m.layers * m.rows * m.cols) {
      throw new Error(`texture operand '${slot}': '${t.label}' [${t.shape.join(', ')}] ${t.dtype} does not hold ${m.layers} f32 matrices of ${m.rows} x ${m.cols}`);
    }
    const size: [number, number, number] = [m.cols / 4, m.rows, m.layers];
    const key = `${slot}:${size.join('x')}`;
    let entry = this.textures.get(key);
    if (!entry) {
      const texture = this.device.createTexture({ label: key, size, format: 'rgba32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
      entry = { texture, binding: { view: texture.createView({ dimension: '2d-array' }), label: key } };
      this.textures.set(key, entry);
    }
    encoder.copyBufferToTexture({ buffer: t.buffer, bytesPerRow: m.cols * 4, rowsPerImage: m.rows }, { texture: entry.texture }, size);
    return entry.binding;
  }

  /** Bytes held by the textures: a copy of each weight read through one, kept until destroy. */
  get bytes(): number {
    let n = 0;
    for (const { texture: t } of this.textures.values()) n += t.width * t.height * t.depthOrArrayLayers * 16;
    return n;
  }

  destroy(): void {
    for (const { texture } of this.textures.values()) texture.destroy();
    this.textures.clear();
  }
}
