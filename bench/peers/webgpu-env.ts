/**
 * One Dawn WebGPU instance for the whole benchmark process, published as
 * `navigator.gpu` (with a `userAgent`, which jax-js reads). jax-js and
 * TF.js find WebGPU only there, and moe-engine is pointed at the same
 * instance, so all three run on the same adapter in the same process.
 *
 * Order matters: Dawn reads VK_ICD_FILENAMES when the instance is created
 * (so software WebGPU must be chosen before), and TF.js's WebGPU backend
 * checks navigator.gpu when it is imported (so this runs before it).
 * The instance stays referenced for the life of the process: a Dawn
 * instance collected while its devices live crashes SwiftShader.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { hasGpuDeviceNode, SWIFTSHADER_ICD } from '../../engine/gpu/node-provider.ts';

const liveInstances: GPU[] = [];

export function installNavigatorGpu(): GPU {
  if (liveInstances.length > 0) return liveInstances[0];
  // Same choice as engine/gpu/node-provider.ts and scripts/with-webgpu-env.sh:
  // a GPU device node or a caller's ICD wins, else SwiftShader when installed.
  if (!process.env.VK_ICD_FILENAMES && !hasGpuDeviceNode() && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  if (!process.env.XDG_RUNTIME_DIR || !existsSync(process.env.XDG_RUNTIME_DIR)) {
    const dir = join(tmpdir(), `moe-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  // WebGPU's enums and classes (GPUBufferUsage, …) as globals, like a browser.
  for (const [k, v] of Object.entries(globals as Record<string, unknown>)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const gpu = create([]);
  liveInstances.push(gpu);
  const userAgent = `Node.js/${process.versions.node} (moe-engine bench)`;
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent }, configurable: true, writable: true });
  return gpu;
}
