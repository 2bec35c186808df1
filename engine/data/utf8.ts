/** Text checks for corpus files: bytes must be UTF-8 text, not binary. */
import { CorpusError } from './errors.ts';

/** Offset of the first byte that breaks UTF-8 (overlong forms, surrogates and > U+10FFFF included), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07];
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** The bytes without a leading UTF-8 byte-order mark; throws when they are not UTF-8 text. */
export function requireText(bytes: Uint8Array, name: string): Uint8Array {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new CorpusError(`corpus file '${name}' is binary (NUL byte at offset ${nul}); the corpus must be UTF-8 text (hint: remove it from the folder)`);
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const b = bytes[bad].toString(16).padStart(2, '0');
    throw new CorpusError(`corpus file '${name}' is not valid UTF-8 (byte 0x${b} at offset ${bad}); the corpus must be UTF-8 text (hint: convert it, e.g. iconv -t UTF-8)`);
  }
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bom ? bytes.subarray(3) : bytes;
}
