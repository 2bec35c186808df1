/**
 * Config problems are collected, never thrown one at a time: a user fixing
 * a file sees every error in one go. Each issue names the field path, where
 * the value came from (file and line, or the environment variable) and the
 * rule it breaks with the value it got.
 */

/** Where a value came from. */
export type ValueSource =
  | { readonly kind: 'file'; readonly name: string; readonly line?: number }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'default' };

export interface ConfigIssue {
  /** Dotted field path ('model.top_k'), or 'config' for the document as a whole. */
  readonly path: string;
  /** The rule and the value, e.g. "must be <= model.num_experts (8), got 9". */
  readonly message: string;
  readonly source: ValueSource;
}

export function formatSource(source: ValueSource): string {
  switch (source.kind) {
    case 'file':
      return source.line !== undefined ? `${source.name}:${source.line}` : source.name;
    case 'env':
      return `environment ${source.variable}`;
    case 'default':
      return 'default';
  }
}

/** `model.top_k: must be ..., got 9 (configs/x.yaml:5)`; env-sourced issues say so. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.source.kind === 'default' ? '' : ` (${formatSource(issue.source)})`;
  return `${issue.path}: ${issue.message}${where}`;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${formatIssue(i)}`).join('\n');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    /** What was being loaded: a file path, or a label such as 'inline config'. */
    readonly origin: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    const n = issues.length;
    super(
      `invalid config ${origin}: ${n} error${n === 1 ? '' : 's'}\n${formatIssues(issues)}\n` +
        'Hint: fields and their rules are in engine/config/schema.ts; `moe validate <file>` checks a file.',
    );
  }
}
