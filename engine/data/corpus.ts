/**
 * A corpus is training and validation bytes (tokens are bytes, vocab 256).
 * Split rule, by document: documents in sorted name order, every 10th
 * (the 10th, 20th, ...) is validation, the rest training. A single text
 * has no documents: its last 10% of bytes is validation. Documents are
 * concatenated in order, each ending with '\n' and followed by a blank line.
 */
import { CORPUS_HINT, CorpusError } from './errors.ts';

export interface Corpus {
  /** 'brown', a path, or a label. */
  readonly source: string;
  readonly train: Uint8Array;
  readonly validation: Uint8Array;
  /** Document names in each split, in order (empty for a single text). */
  readonly trainDocuments: readonly string[];
  readonly validationDocuments: readonly string[];
}

export interface CorpusDocument {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Every 10th document (1-based 10th, 20th, ...) is validation. */
export const VALIDATION_EVERY = 10;
/** Fraction of a single text held out for validation (its tail). */
export const VALIDATION_FRACTION = 0.1;

export function isValidationDocument(indexInSortedOrder: number): boolean {
  return indexInSortedOrder % VALIDATION_EVERY === VALIDATION_EVERY - 1;
}

/** Documents split by the every-10th rule; they are sorted by name here (code-unit order, locale-independent). */
export function corpusFromDocuments(documents: readonly CorpusDocument[], source: string): Corpus {
  if (documents.length === 0) throw new CorpusError(`corpus '${source}' contains no text files (hint: ${CORPUS_HINT})`);
  if (documents.every((d) => d.bytes.length === 0)) throw new CorpusError(`corpus '${source}' is empty: all ${documents.length} files have 0 bytes`);
  if (documents.length < VALIDATION_EVERY) {
    throw new CorpusError(
      `corpus '${source}' has ${documents.length} files; the validation split takes every ${VALIDATION_EVERY}th file in sorted order, ` +
        `so at least ${VALIDATION_EVERY} are needed (hint: add files, or point training.corpus at a single file, whose last 10% is validation)`,
    );
  }
  const sorted = [...documents].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const train: CorpusDocument[] = [];
  const validation: CorpusDocument[] = [];
  sorted.forEach((d, i) => (isValidationDocument(i) ? validation : train).push(d));
  return {
    source,
    train: joinDocuments(train.map((d) => d.bytes)),
    validation: joinDocuments(validation.map((d) => d.bytes)),
    trainDocuments: train.map((d) => d.name),
    validationDocuments: validation.map((d) => d.name),
  };
}

/** One text: the first 90% of its bytes train, the last 10% validate. */
export function corpusFromText(text: string | Uint8Array, source: string): Corpus {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  if (bytes.length === 0) throw new CorpusError(`corpus '${source}' is empty (0 bytes) (hint: ${CORPUS_HINT})`);
  const cut = Math.floor(bytes.length * (1 - VALIDATION_FRACTION));
  return { source, train: bytes.subarray(0, cut), validation: bytes.subarray(cut), trainDocuments: [], validationDocuments: [] };
}

/** Throws unless both splits hold at least one window of sequence_length + 1 bytes. */
export function requireWindow(corpus: Corpus, sequenceLength: number): void {
  const need = sequenceLength + 1;
  for (const [split, bytes] of [
    ['training', corpus.train],
    ['validation', corpus.validation],
  ] as const) {
    if (bytes.length < need) {
      throw new CorpusError(
        `corpus '${corpus.source}': the ${split} split has ${bytes.length} bytes, shorter than one window of ` +
          `model.sequence_length + 1 = ${need} bytes (hint: use a longer text or a smaller model.sequence_length)`,
      );
    }
  }
}

function joinDocuments(parts: readonly Uint8Array[]): Uint8Array {
  const NL = 0x0a;
  const size = parts.reduce((n, p) => n + p.length + (p[p.length - 1] === NL ? 1 : 2), 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
    if (p[p.length - 1] !== NL) out[at++] = NL;
    out[at++] = NL;
  }
  return out;
}
