/**
 * `moe info`: which GPU the engine would use and the limits that decide what
 * fits (binding sizes for expert weights, workgroup sizes and storage for
 * the kernels' tiles). Acquires the device exactly as training does.
 */
import type { AdapterSummary, Gpu } from '../gpu/index.ts';
import { acquireNodeGpu } from '../gpu/node.ts';
import { EXIT_OK, type Command } from './command.ts';

/** The limits kernels and model sizing depend on, in display order. */
export const INFO_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

export type InfoLimit = (typeof INFO_LIMITS)[number];

export interface GpuInfo {
  readonly provider: string;
  readonly adapter: Omit<AdapterSummary, 'provider'>;
  /** Features enabled on the device the engine opened (what kernels may use). */
  readonly features: readonly string[];
  /** Device limits (acquireGpu raises the important ones to the adapter's maximum). */
  readonly limits: Readonly<Record<InfoLimit, number>>;
  /** Notices from acquiring the device (e.g. the software-adapter warning). */
  readonly notices: readonly string[];
}

export function describeGpu(gpu: Gpu, notices: readonly string[] = []): GpuInfo {
  const { provider, ...adapter } = gpu.adapter;
  const deviceLimits = gpu.device.limits as unknown as Record<string, number>;
  const limits = Object.fromEntries(INFO_LIMITS.map((name) => [name, deviceLimits[name]])) as Record<InfoLimit, number>;
  return { provider, adapter, features: [...gpu.device.features].sort(), limits, notices: [...notices] };
}

export function formatGpuInfo(info: GpuInfo): string {
  const a = info.adapter;
  const shown = (v: string) => v || '(not reported)';
  const lines = [`provider: ${info.provider}`, 'adapter:'];
  lines.push(
    ...aligned([
      ['vendor', shown(a.vendor)],
      ['architecture', shown(a.architecture)],
      ['device', shown(a.device)],
      ['description', shown(a.description)],
      ['fallback', a.isFallback ? 'yes (software)' : 'no'],
    ]),
  );
  lines.push(`features: ${info.features.length ? info.features.join(', ') : '(none)'}`);
  lines.push('limits:', ...aligned(INFO_LIMITS.map((n) => [n, formatLimit(n, info.limits[n])])));
  for (const n of info.notices) lines.push(`note: ${n}`);
  return lines.join('\n');
}

function formatLimit(name: InfoLimit, value: number): string {
  if (value === undefined) return '(not reported)';
  const bytes = /Size$/.test(name) && !/WorkgroupSize/.test(name);
  return bytes ? `${value} (${humanBytes(value)})` : String(value);
}

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

/** Indented `key: value` rows with the values in one column. */
function aligned(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)} ${v}`);
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'show the GPU adapter, its features and the limits that matter',
  synopsis: '[--json]',
  details:
    'Opens the GPU the way training does (MOE_ADAPTER=auto|hardware|software) and prints what it found. ' +
    'Exits 1 with a hint when no WebGPU adapter is available.',
  options: {
    json: { type: 'boolean', description: 'print one JSON record instead of text' },
  },
  async run(args, io) {
    const notices: string[] = [];
    const gpu = await acquireNodeGpu({ notice: (m) => notices.push(m.replace(/^moe: /, '')) });
    try {
      const info = describeGpu(gpu, notices);
      io.out(args.values.json === true ? JSON.stringify(info, null, 2) : formatGpuInfo(info));
    } finally {
      gpu.destroy();
    }
    return EXIT_OK;
  },
};
