/**
 * Dawn in Node (npm `webgpu`). Prefers a hardware adapter; when there is
 * none, points the Vulkan loader at SwiftShader (shipped by Debian's
 * `chromium` package) and tries again. Node-only: never import from kernels/.
 */
import { existsSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleepingWait } from './gpu-wait.ts';
import type { AdapterPreference, GpuProvider } from './provider.ts';
import { ensureDirSync } from '../node/dirs.ts';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: DawnModule | null = null;
async function loadDawn(): Promise<DawnModule> {
  if (!dawn) {
    dawn = (await import('webgpu')) as unknown as DawnModule;
    // WebGPU enums and classes (GPUBufferUsage, …) as globals, like a browser.
    for (const [k, v] of Object.entries(dawn.globals)) {
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    }
  }
  return dawn;
}

/** Vulkan needs a writable XDG_RUNTIME_DIR; set one when the environment has none. */
function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR && existsSync(process.env.XDG_RUNTIME_DIR)) return;
  const dir = join(tmpdir(), `moe-xdg-${process.getuid?.() ?? 0}`);
  ensureDirSync(dir, 0o700);
  process.env.XDG_RUNTIME_DIR = dir;
}

/** True when the machine exposes a GPU device node (NVIDIA, or DRM render nodes). */
export function hasGpuDeviceNode(): boolean {
  if (existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}

/**
 * Dawn instances must outlive their devices: when the GPU object from
 * create() is garbage-collected while a device made from it still runs,
 * SwiftShader's worker threads crash (mutex assertions, segfaults). Keep
 * every instance for the life of the process.
 */
const liveInstances: GPU[] = [];

function provider(name: string, gpu: GPU): GpuProvider {
  liveInstances.push(gpu);
  return { name, requestAdapter: (options) => gpu.requestAdapter(options), softwareWait: sleepingWait };
}

/**
 * Candidate providers in order of preference. Creating a Dawn instance reads
 * VK_ICD_FILENAMES, so the software instance is created only after the
 * hardware one has been tried (or skipped because no GPU node exists).
 */
export async function* nodeProviders(preference: AdapterPreference = 'auto'): AsyncGenerator<GpuProvider> {
  ensureRuntimeDir();
  const { create } = await loadDawn();
  const userIcd = process.env.VK_ICD_FILENAMES;
  // A VK_ICD_FILENAMES the user set is the only Vulkan driver Dawn will see, whatever the preference.
  if (userIcd || (preference !== 'software' && hasGpuDeviceNode())) {
    const missing = userIcd ? userIcd.split(':').filter((f) => f && !existsSync(f)) : [];
    const icd = `VK_ICD_FILENAMES=${userIcd}${missing.length ? `, no such file: ${missing.join(', ')}` : ''}`;
    yield provider(userIcd ? `dawn (${icd})` : 'dawn (hardware)', create([]));
  }
  if (preference === 'hardware') return;
  if (!userIcd && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    yield provider('dawn (SwiftShader)', create([]));
  } else if (!userIcd && !hasGpuDeviceNode()) {
    // No GPU node and no SwiftShader: still ask Dawn, it may find something (e.g. lavapipe).
    yield provider('dawn', create([]));
  }
}
