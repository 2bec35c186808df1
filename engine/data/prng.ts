/**
 * xoshiro128** (Blackman & Vigna): a small, fast 32-bit generator whose
 * whole state is four u32 words, so a checkpoint can store it and a resumed
 * run continues the exact same stream. Seeded through splitmix32 so nearby
 * seeds give unrelated streams.
 */

export interface PrngState {
  readonly algorithm: 'xoshiro128**';
  readonly words: readonly [number, number, number, number];
}

export class Prng {
  private readonly s: Uint32Array;

  private constructor(words: ArrayLike<number>) {
    this.s = Uint32Array.from(words);
  }

  /** A generator for `seed` (any u32); `stream` separates independent uses of one seed. */
  static fromSeed(seed: number, stream = 0): Prng {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`Prng.fromSeed: seed must be a u32, got ${seed}`);
    let x = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    const words = [next(), next(), next(), next()];
    // The all-zero state is a fixed point of xoshiro; splitmix32 cannot give four zeros, but be explicit.
    if (!words.some((w) => w !== 0)) words[0] = 1;
    return new Prng(words);
  }

  static fromState(state: PrngState): Prng {
    const w = state?.words;
    const valid = state?.algorithm === 'xoshiro128**' && Array.isArray(w) && w.length === 4 && w.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    if (!valid) throw new TypeError(`Prng.fromState: expected {algorithm: 'xoshiro128**', words: four u32}, got ${JSON.stringify(state)}`);
    if (w.every((v) => v === 0)) throw new TypeError('Prng.fromState: the all-zero state is invalid for xoshiro128**');
    return new Prng(w);
  }

  state(): PrngState {
    const [a, b, c, d] = this.s;
    return { algorithm: 'xoshiro128**', words: [a, b, c, d] };
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform integer in [0, n), unbiased (rejection of the short last interval); n in [1, 2^32]. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`Prng.below: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
