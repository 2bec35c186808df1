/**
 * Reuses storage buffers by exact byte size. A released buffer keeps its old
 * contents; kernels must never read what they did not write. To catch such
 * reads in tests, `poison` asks the Gpu to fill every acquired buffer with
 * NaN bits (in command order, see Gpu.empty).
 */
export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08 /* COPY_DST */;

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  poison = false;
  allocated = 0;
  reused = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, label: string): GPUBuffer {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.reused++;
      buffer.label = label;
    } else {
      this.allocated++;
      buffer = this.device.createBuffer({ label, size, usage: STORAGE_USAGE });
    }
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const list = this.free.get(buffer.size) ?? [];
    list.push(buffer);
    this.free.set(buffer.size, list);
  }

  /** Destroys every pooled (free) buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }
}
