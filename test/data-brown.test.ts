import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanBrownText } from '../engine/data/brown.ts';
import { brownCorpusFromTexts } from '../engine/data/load.ts';
import { brownCorpusDir, loadCorpusFromDisk } from '../engine/data/node-files.ts';

// Raw lines copied from the corpus (ca01, ca02, ck01); expected text written by hand from the rules in engine/data/brown.ts.
describe('Brown corpus cleaning', () => {
  it('strips tags, turns `` and \'\' into quotes and tidies spacing (ca01, first paragraph)', () => {
    const raw =
      "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj " +
      "primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./.\n";
    expect(cleanBrownText(raw)).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.\n',
    );
  });

  it('commas inside and after quotes (ca01)', () => {
    const raw =
      "\t``/`` Only/rb a/at relative/jj handful/nn of/in such/jj reports/nns was/bedz received/vbn ''/'' ,/, the/at jury/nn said/vbd ,/, " +
      "``/`` considering/in the/at widespread/jj interest/nn ''/'' ./.\n";
    expect(cleanBrownText(raw)).toBe('"Only a relative handful of such reports was received", the jury said, "considering the widespread interest".\n');
  });

  it('single quotes alternate opening and closing within a paragraph (ca02)', () => {
    const raw = "\t``/`` We're/ppss+ber getting/vbg more/ap '/' pro/jj '/' letters/nns than/in '/' con/jj '/' on/in horse/nn race/nn betting/nn ''/'' ,/, said/vbd Ratcliff/np ./.\n";
    expect(cleanBrownText(raw)).toBe('"We\'re getting more \'pro\' letters than \'con\' on horse race betting", said Ratcliff.\n');
  });

  it('a headline is its own paragraph; brackets hug their contents; a tagged slash is a word (ca02)', () => {
    const raw = [
      '\tFifty-three/cd of/in the/at 150/cd representatives/nns joined/vbd Grover/np ./.',
      'Paris/np-hl ,/,-hl Texas/np-hl (/(-hl sp./nn-hl )/)-hl ',
      '--/-- The/at board/nn of/in regents/nns has/hvz named/vbn Dr./nn-tl Clark/np of/in Hays/np ,/, Kan./np //in 1/2/cd ./.',
    ].join('\n');
    expect(cleanBrownText(raw)).toBe(
      'Fifty-three of the 150 representatives joined Grover.\n' + 'Paris, Texas (sp.)\n' + '-- The board of regents has named Dr. Clark of Hays, Kan. / 1/2.\n',
    );
  });

  it('sentences of one block form a paragraph; blank lines separate paragraphs (ck01)', () => {
    const raw = [
      '',
      'Thirty-three/cd-hl ',
      'Scotty/np did/dod not/* go/vb back/rb to/in school/nn ./.',
      'His/pp$ teacher/nn agreed/vbd ./.',
      '',
      '',
      '\tScotty/np accepted/vbd the/at decision/nn ;/. he/pps did/dod not/* enter/vb the/at arguments/nns ?/. !/.',
    ].join('\n');
    expect(cleanBrownText(raw)).toBe('Thirty-three\nScotty did not go back to school. His teacher agreed.\nScotty accepted the decision; he did not enter the arguments?!\n');
  });

  it('the installed ca01 file cleans to the expected opening', () => {
    const dir = brownCorpusDir();
    expect(dir).toBeDefined();
    const text = cleanBrownText(readFileSync(join(dir as string, 'ca01'), 'utf8'));
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    expect(lines[7]).toBe('Merger proposed');
    expect(lines[8]).toBe('However, the jury said it believes "these two offices should be combined to achieve greater efficiency and reduce the cost of administration".');
  });
});

describe('the Brown corpus as a training corpus', () => {
  const corpus = loadCorpusFromDisk('brown', 64);

  it('splits by document: every 10th file in sorted order is validation', () => {
    expect(corpus.trainDocuments).toHaveLength(450);
    expect(corpus.validationDocuments).toHaveLength(50);
    // ca01..ca44 come first, so the 10th..40th files are ca10..ca40, then cb06 (index 49).
    expect(corpus.validationDocuments.slice(0, 5)).toEqual(['ca10', 'ca20', 'ca30', 'ca40', 'cb06']);
    expect(corpus.trainDocuments.slice(0, 3)).toEqual(['ca01', 'ca02', 'ca03']);
    expect(new Set([...corpus.trainDocuments, ...corpus.validationDocuments]).size).toBe(500);
  });

  it('is plain ASCII text with no tags left', () => {
    const train = new TextDecoder().decode(corpus.train);
    expect(train.startsWith('The Fulton County Grand Jury said Friday')).toBe(true);
    expect(corpus.train.every((b) => b < 128)).toBe(true);
    // No tags and no `` quote marks remain ('' survives only inside words, as inch marks: 10'').
    expect(train).not.toMatch(/\/(at|nn|in|vbd|np)\b|``/);
    expect(train).not.toMatch(/(^|\s)''(\s|$)/);
    // Roughly 6 MB of text, about 10% of it validation.
    expect(corpus.train.length).toBeGreaterThan(4_000_000);
    const share = corpus.validation.length / (corpus.train.length + corpus.validation.length);
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
  });

  it('builds the same corpus from texts passed in directly (the browser path)', () => {
    const dir = brownCorpusDir() as string;
    const names = ['ca01', 'ca02', 'ca03', 'ca04', 'ca05', 'ca06', 'ca07', 'ca08', 'ca09', 'ca10', 'README'];
    const small = brownCorpusFromTexts(names.map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') })));
    expect(small.validationDocuments).toEqual(['ca10']);
    expect(small.trainDocuments).toHaveLength(9);
    // ca10 is also the first validation document of the full corpus.
    const firstVal = new TextDecoder().decode(corpus.validation.subarray(0, small.validation.length));
    expect(firstVal).toBe(new TextDecoder().decode(small.validation));
  });
});
