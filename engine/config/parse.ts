/**
 * YAML text to a validated config. Browser-safe (no file system): the CLI
 * reads files through ./node.ts, the web demo passes text or an object.
 * YAML syntax errors (including duplicate keys) are reported with their
 * line like any other issue.
 */
import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.ts';
import type { Env } from './env.ts';
import { checkConfig, type ConfigCheck } from './validate.ts';
import type { MoeConfig } from './types.ts';

export interface ParseOptions {
  /** Name used in errors: the file path or a label. Default 'inline config'. */
  readonly origin?: string;
  /** Environment for MOE_<SECTION>__<KEY> overrides; omit for none. */
  readonly env?: Env;
}

/** Every problem of a YAML config text, and the config when there are none. */
export function checkConfigText(text: string, options: ParseOptions = {}): ConfigCheck {
  const origin = options.origin ?? 'inline config';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => ({
      path: 'config',
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
      source: { kind: 'file', name: origin, line: lineCounter.linePos(e.pos[0]).line },
    }));
    return { config: null, issues, sources: new Map() };
  }
  const lineOf = (path: readonly string[]): number | undefined => {
    const node = keyNode(doc.contents, path);
    const start = node?.range?.[0];
    return start === undefined ? undefined : lineCounter.linePos(start).line;
  };
  return checkConfig({ document: doc.toJS({ maxAliasCount: 100 }), origin, lineOf, env: options.env });
}

/** The validated config of a YAML text; throws ConfigError listing every problem. */
export function parseConfigText(text: string, options: ParseOptions = {}): MoeConfig {
  const result = checkConfigText(text, options);
  if (!result.config) throw new ConfigError(options.origin ?? 'inline config', result.issues);
  return result.config;
}

/** A config from an object (e.g. built in code by the web demo), validated the same way. */
export function configFromObject(document: unknown, options: ParseOptions = {}): MoeConfig {
  const origin = options.origin ?? 'inline config';
  const result = checkConfig({ document, origin, env: options.env });
  if (!result.config) throw new ConfigError(origin, result.issues);
  return result.config;
}

/** The node of the key at `path` (so an error points at the key's line), or of the document for []. */
function keyNode(root: unknown, path: readonly string[]): Node | undefined {
  let node = root as Node | null | undefined;
  if (path.length === 0) return node ?? undefined;
  for (let i = 0; i < path.length; i++) {
    if (!isMap(node)) return undefined;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === path[i]);
    if (!pair) return undefined;
    if (i === path.length - 1) return isScalar(pair.key) ? pair.key : undefined;
    node = pair.value as Node | null;
  }
  return undefined;
}
