/**
 * Where adapters come from. The browser and Deno have `navigator.gpu`;
 * Node gets Dawn through `./node-provider.ts` (the only file here that
 * imports Node modules, loaded by the CLI and the tests, never by kernels).
 */
import type { GpuWait } from './gpu-wait.ts';

export interface GpuProvider {
  /** Short name for notices: 'navigator.gpu', 'dawn (hardware)', 'dawn (SwiftShader)'. */
  readonly name: string;
  requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null>;
  /** How to await GPU promises when this provider's adapter is a software one (see gpu-wait.ts); absent: plain await. */
  readonly softwareWait?: GpuWait;
}

export type AdapterPreference = 'auto' | 'hardware' | 'software';

/** The runtime's built-in WebGPU (browser tab, Deno), or null when absent. */
export function navigatorProvider(): GpuProvider | null {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const gpu = nav?.gpu;
  if (!gpu) return null;
  return { name: 'navigator.gpu', requestAdapter: (options) => gpu.requestAdapter(options) };
}
