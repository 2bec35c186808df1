/**
 * The only way the data code touches a file system, so the same loader
 * runs in Node (./node-files.ts) and the browser demo (which skips files
 * altogether and passes text to corpusFromDocuments / corpusFromText).
 */
export interface CorpusFiles {
  /** What is at `path`: a regular file, a directory, or nothing. */
  kind(path: string): 'file' | 'directory' | 'missing';
  /** Entry names (not paths) of a directory, in any order. */
  list(dir: string): string[];
  read(path: string): Uint8Array;
  /** `dir` + `name` with the platform's separator. */
  join(dir: string, name: string): string;
}
