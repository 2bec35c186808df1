/**
 * Server-side entry to the runtime: Dawn (npm `webgpu`) in Node; in Deno,
 * which runs the same CLI, its built-in navigator.gpu (wgpu).
 */
import { acquireGpu, type AcquireOptions } from './device.ts';
import { GpuUnavailableError } from './errors.ts';
import type { Gpu } from './gpu.ts';
import { nodeProviders } from './node-provider.ts';
import { navigatorProvider } from './provider.ts';

export async function acquireNodeGpu(options: Omit<AcquireOptions, 'providers'> = {}): Promise<Gpu> {
  const preference = options.preference ?? adapterPreferenceFromEnv();
  const textureOperands = options.textureOperands ?? textureOperandsFromEnv();
  const builtIn = 'Deno' in globalThis ? navigatorProvider() : null;
  return acquireGpu({ ...options, preference, textureOperands, providers: builtIn ? [builtIn] : nodeProviders(preference) });
}

/**
 * MOE_TEXTURE_OPERANDS=auto|on|off (default auto: on for SwiftShader only,
 * texture-operand.ts); undefined for auto.
 */
export function textureOperandsFromEnv(): boolean | undefined {
  const v = (process.env.MOE_TEXTURE_OPERANDS ?? 'auto').toLowerCase();
  if (v === 'auto') return undefined;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new GpuUnavailableError(`MOE_TEXTURE_OPERANDS must be one of auto, on, off; got '${process.env.MOE_TEXTURE_OPERANDS}'`);
}

/** MOE_ADAPTER=hardware|software|auto (default auto). */
export function adapterPreferenceFromEnv(): 'auto' | 'hardware' | 'software' {
  const v = (process.env.MOE_ADAPTER ?? 'auto').toLowerCase();
  if (v === 'auto' || v === 'hardware' || v === 'software') return v;
  throw new GpuUnavailableError(`MOE_ADAPTER must be one of auto, hardware, software; got '${process.env.MOE_ADAPTER}'`);
}
