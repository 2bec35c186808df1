export { acquireGpu, isFallbackAdapter, summarize, type AcquireOptions } from './device.ts';
export { ceilDiv, dispatch1d, dispatch2d, foldWorkgroups, type Workgroups } from './dispatch.ts';
export { GpuDeviceLostError, GpuKernelError, GpuUnavailableError } from './errors.ts';
export { Gpu, type AdapterSummary, type Binding, type GpuOptions } from './gpu.ts';
export { kernelKey, wgslConsts, type KernelSource } from './kernel.ts';
export { packParams, type ParamField } from './params.ts';
export { Profiler, type KernelTiming } from './profiler.ts';
export { navigatorProvider, type AdapterPreference, type GpuProvider } from './provider.ts';
export { byteSize, numel, shapeString, type DType, type HostArray, type Tensor } from './tensor.ts';
