/** Errors raised by the GPU runtime. Messages name the kernel and give a hint. */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

export class GpuKernelError extends Error {
  override name = 'GpuKernelError';
  constructor(readonly kernel: string, message: string) {
    super(`kernel '${kernel}': ${message}`);
  }
}

export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

export const NO_ADAPTER_HINT = [
  'No WebGPU adapter was found.',
  'On Debian/Ubuntu without a GPU, install software WebGPU (SwiftShader):',
  '  apt-get install -y chromium libvulkan1',
  'then run with',
  '  VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp/moe-xdg',
  '(moe sets these itself when the file exists and VK_ICD_FILENAMES is unset). With an NVIDIA/AMD GPU, install its Vulkan driver (libvulkan1 plus the vendor ICD).',
  'In a browser: use a WebGPU-enabled browser over https or http://127.0.0.1.',
].join('\n');
