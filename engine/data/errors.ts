/** Errors about the training text: they name the corpus or file, what is wrong and a hint. */
export class CorpusError extends Error {
  override name = 'CorpusError';
}

export const CORPUS_HINT = "training.corpus is 'brown' (the bundled Brown corpus) or a path to a UTF-8 text file or a folder of them";
