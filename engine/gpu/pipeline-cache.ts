import { kernelKey, type KernelSource } from './kernel.ts';

/**
 * Compiled pipelines keyed by kernelKey (shader, entry point, constants).
 * Compilation is synchronous from the caller's point of view; validation
 * errors are collected asynchronously with an error scope and reported
 * through `onError` with the kernel's name and the compiler's messages.
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  /** Error checks of pipelines created since the last checked(). */
  private checks: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly onError: (kernel: string, message: string) => void,
    private readonly onCompile?: (kernel: KernelSource) => void,
  ) {}

  /** Whether pipelines were created whose error checks have not been awaited. */
  get checking(): boolean {
    return this.checks.length > 0;
  }

  /**
   * Resolves when the checks of every pipeline created so far are in (their
   * errors reported through onError). A failed pipeline's own error, with
   * the compiler's messages, comes from its check, later than the errors of
   * the pipeline's uses: Gpu awaits the checks before throwing, so that
   * error, not an "invalid pipeline" one, is thrown.
   */
  async checked(): Promise<void> {
    while (this.checks.length > 0) await Promise.all(this.checks.splice(0));
  }

  get size(): number {
    return this.pipelines.size;
  }

  get(kernel: KernelSource): GPUComputePipeline {
    const key = kernelKey(kernel);
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    this.onCompile?.(kernel);
    this.device.pushErrorScope('validation');
    let module = this.modules.get(kernel.code);
    if (!module) {
      module = this.device.createShaderModule({ label: kernel.name, code: kernel.code });
      this.modules.set(kernel.code, module);
    }
    const pipeline = this.device.createComputePipeline({
      label: kernel.name,
      layout: 'auto',
      compute: { module, entryPoint: kernel.entryPoint ?? 'main', constants: { ...(kernel.constants ?? {}) } },
    });
    const shaderModule = module;
    const check = this.device.popErrorScope().then(async (err) => {
      if (!err) return;
      let details = '';
      try {
        const info = await shaderModule.getCompilationInfo();
        details = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `\n  ${kernel.name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`)
          .join('');
      } catch {
        // compilation info is optional; the validation message still names the kernel
      }
      this.onError(kernel.name, `pipeline creation failed: ${err.message}${details}`);
    }, () => {
      // popErrorScope rejects only when the device is gone, which Gpu reports as a lost device.
    });
    this.checks.push(check);
    this.pipelines.set(key, pipeline);
    return pipeline;
  }
}
