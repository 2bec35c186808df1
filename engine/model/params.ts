/**
 * The model's parameters: names, shapes, initialisation and whether AdamW
 * decays them (matrices yes; norm gains no). One list, so the optimizer,
 * checkpoints and the parameter report all read the same thing.
 */
import type { ModelDims } from './dims.ts';

export type ParamPart = 'embedding' | 'router' | 'experts' | 'other';

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly part: ParamPart;
  readonly decay: boolean;
  /** Normal(0, std) when std > 0; `fill` otherwise. */
  readonly std: number;
  readonly fill?: number;
}

export function modelParamSpecs(d: ModelDims): ParamSpec[] {
  const { vocab: V, hidden: H, experts: E, ffn: F } = d;
  const specs: ParamSpec[] = [{ name: 'embed.table', shape: [V, H], part: 'embedding', decay: true, std: 1 }];
  for (let l = 0; l < d.layers; l++) {
    const p = `layers.${l}`;
    specs.push(
      { name: `${p}.norm.gain`, shape: [H], part: 'other', decay: false, std: 0, fill: 1 },
      { name: `${p}.moe.router`, shape: [H, E], part: 'router', decay: true, std: 1 / Math.sqrt(H) },
      { name: `${p}.moe.w_gate`, shape: [E, H, F], part: 'experts', decay: true, std: 1 / Math.sqrt(H) },
      { name: `${p}.moe.w_up`, shape: [E, H, F], part: 'experts', decay: true, std: 1 / Math.sqrt(H) },
      // Output projections start small so each residual branch begins near identity.
      { name: `${p}.moe.w_down`, shape: [E, F, H], part: 'experts', decay: true, std: 1 / Math.sqrt(F * 2 * d.layers) },
    );
  }
  specs.push(
    { name: 'final_norm.gain', shape: [H], part: 'other', decay: false, std: 0, fill: 1 },
    { name: 'lm_head', shape: [H, V], part: 'other', decay: true, std: 1 / Math.sqrt(H) },
  );
  return specs;
}

export function countParams(specs: readonly ParamSpec[]): Record<ParamPart | 'total', number> {
  const out = { embedding: 0, router: 0, experts: 0, other: 0, total: 0 };
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    out[s.part] += n;
    out.total += n;
  }
  return out;
}

/** Deterministic initial values from a seed (mulberry32 + Box-Muller), per parameter name. */
export function initParam(spec: ParamSpec, seed: number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (spec.std <= 0) return out.fill(spec.fill ?? 0);
  let state = (seed ^ hash32(spec.name)) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(next(), 1e-12);
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1)) * spec.std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
