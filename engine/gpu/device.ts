/**
 * Picks an adapter and opens a device: a hardware adapter when one exists,
 * else the software one (SwiftShader) with a visible notice, else an error
 * that names the fix. Runtime-neutral: providers come from the caller
 * (navigator.gpu in a browser or Deno, Dawn in Node).
 */
import { GpuUnavailableError, NO_ADAPTER_HINT } from './errors.ts';
import type { GpuWait } from './gpu-wait.ts';
import { Gpu, type AdapterSummary, type GpuOptions } from './gpu.ts';
import { navigatorProvider, type AdapterPreference, type GpuProvider } from './provider.ts';

export interface AcquireOptions extends GpuOptions {
  readonly preference?: AdapterPreference;
  /** Where notices go (software fallback, missing timestamp queries). Default: console.warn. */
  readonly notice?: (message: string) => void;
  /** Adapter sources in order; default: navigator.gpu. */
  readonly providers?: Iterable<GpuProvider> | AsyncIterable<GpuProvider>;
}

/** Limits raised to what the adapter allows, because MoE weights outgrow the defaults. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

export function isFallbackAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return Boolean(info?.isFallbackAdapter ?? legacy) || /swiftshader|llvmpipe|lavapipe/i.test(`${info?.architecture} ${info?.description} ${info?.device}`);
}

export function summarize(adapter: GPUAdapter, provider: string): AdapterSummary {
  const info = adapter.info;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallback: isFallbackAdapter(adapter),
    provider,
  };
}

/** An adapter found, the provider it came from, and how to await GPU work if it is a software one. */
interface Candidate {
  readonly adapter: GPUAdapter;
  readonly provider: string;
  readonly softwareWait?: GpuWait;
}

export async function acquireGpu(options: AcquireOptions = {}): Promise<Gpu> {
  const notice = options.notice ?? ((m: string) => console.warn(m));
  const preference = options.preference ?? 'auto';
  const providers = options.providers ?? [navigatorProvider()].filter((p): p is GpuProvider => p !== null);
  let fallback: Candidate | null = null;
  let chosen: Candidate | null = null;
  const tried: string[] = [];
  for await (const provider of providers) {
    tried.push(provider.name);
    const adapter =
      preference === 'software'
        ? await provider.requestAdapter({ forceFallbackAdapter: true }).then((a) => a ?? provider.requestAdapter())
        : await provider.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) continue;
    if (!isFallbackAdapter(adapter) && preference !== 'software') {
      chosen = { adapter, provider: provider.name };
      break;
    }
    fallback ??= { adapter, provider: provider.name, softwareWait: provider.softwareWait };
    if (preference === 'software') break;
  }
  if (!chosen && fallback && preference === 'hardware') {
    throw new GpuUnavailableError(`A hardware GPU adapter was requested but only a software one was found (${fallback.provider}).`);
  }
  chosen ??= fallback;
  if (!chosen && preference === 'hardware') {
    throw new GpuUnavailableError(
      `No hardware GPU adapter was found (MOE_ADAPTER=hardware). Install the GPU's Vulkan driver, or set MOE_ADAPTER=auto or software to use software WebGPU.` +
        `\n(tried: ${tried.length ? tried.join(', ') : 'no hardware provider: no GPU device node and no VK_ICD_FILENAMES'})`,
    );
  }
  if (!chosen) {
    throw new GpuUnavailableError(`${NO_ADAPTER_HINT}\n(tried: ${tried.length ? tried.join(', ') : 'no WebGPU provider in this runtime'})`);
  }
  const { adapter, provider } = chosen;
  const summary = summarize(adapter, provider);
  if (summary.isFallback) {
    notice(
      `moe: no hardware GPU adapter; using the software adapter ${summary.description || summary.architecture} (${provider}). ` +
        'Its work runs on the CPU cores: expect a few GFLOP/s.',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  if (options.profile && requiredFeatures.length === 0) {
    notice('moe: this adapter has no timestamp-query feature; the profiler falls back to wall-clock time per submit.');
  }
  const device = await adapter.requestDevice({ label: 'moe', requiredFeatures, requiredLimits });
  const wait = options.wait ?? (summary.isFallback ? chosen.softwareWait : undefined);
  return new Gpu(device, summary, { ...options, wait });
}
