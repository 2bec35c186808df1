/** Data: corpus loading and cleaning, splits, seeded training windows, validation batches. Browser-safe (disk access is in ./node-files.ts). */
export { BROWN_FILE_NAME, cleanBrownText } from './brown.ts';
export { gatherWindows, type TokenBatch } from './batch.ts';
export { VALIDATION_EVERY, VALIDATION_FRACTION, corpusFromDocuments, corpusFromText, isValidationDocument, requireWindow, type Corpus, type CorpusDocument } from './corpus.ts';
export { CorpusError } from './errors.ts';
export type { CorpusFiles } from './files.ts';
export { BROWN, brownCorpusFromTexts, loadCorpus, type LoadCorpusOptions } from './load.ts';
export { Prng, type PrngState } from './prng.ts';
export { WindowSampler, type SamplerState } from './sampler.ts';
export { firstInvalidUtf8, requireText } from './utf8.ts';
export { validationBatchCount, validationBatches, validationWindowCount } from './validation.ts';
