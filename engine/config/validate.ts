/**
 * Turns a parsed document (plain JS values, from YAML or built in code)
 * plus environment overrides into a validated MoeConfig, collecting every
 * problem: unknown keys (with a did-you-mean), keys that look like
 * credentials, wrong types, values out of range, and rules between fields.
 * Missing fields take the schema's defaults.
 */
import { CREDENTIAL_HINT, looksLikeCredentialKey, redactForMessage } from './credentials.ts';
import { envOverrides, parseEnvValue, type Env } from './env.ts';
import type { ConfigIssue, ValueSource } from './errors.ts';
import { CROSS_RULES } from './rules.ts';
import { CONFIG_SCHEMA, SECTION_NAMES, fieldSpec, sectionKeys, type FieldSpec } from './schema.ts';
import { closestName } from './suggest.ts';
import type { MoeConfig, SectionName } from './types.ts';

export interface ConfigInput {
  /** The parsed document: a mapping of sections (null/undefined when the file was empty). */
  readonly document: unknown;
  /** Name used in issues: a file path, or a label such as 'inline config'. */
  readonly origin: string;
  /** 1-based line of the key at `path` in the source text, when known. */
  readonly lineOf?: (path: readonly string[]) => number | undefined;
  /** Environment for MOE_<SECTION>__<KEY> overrides; omit for none. */
  readonly env?: Env;
}

export interface ConfigCheck {
  /** The validated, frozen config; null when there are issues. */
  readonly config: MoeConfig | null;
  readonly issues: readonly ConfigIssue[];
  /** Where each field's value came from ('model.top_k' -> file line, env variable or default). */
  readonly sources: ReadonlyMap<string, ValueSource>;
}

export function checkConfig(input: ConfigInput): ConfigCheck {
  const issues: ConfigIssue[] = [];
  const fileSource = (path: readonly string[]): ValueSource => {
    const line = input.lineOf?.(path);
    return line === undefined ? { kind: 'file', name: input.origin } : { kind: 'file', name: input.origin, line };
  };
  const given = new Map<string, { value: unknown; source: ValueSource }>();

  collectFromDocument(input.document, fileSource, given, issues);
  collectFromEnv(input.env ?? {}, given, issues);

  const values = new Map<string, unknown>();
  const sources = new Map<string, ValueSource>();
  const invalid = new Set<string>();
  for (const section of SECTION_NAMES) {
    for (const key of sectionKeys(section)) {
      const path = `${section}.${key}`;
      const spec = fieldSpec(section, key) as FieldSpec;
      const entry = given.get(path);
      if (!entry) {
        values.set(path, spec.default);
        sources.set(path, { kind: 'default' });
        continue;
      }
      sources.set(path, entry.source);
      const result = checkField(spec, entry.value);
      if (result.ok) values.set(path, result.value);
      else {
        invalid.add(path);
        issues.push({ path, message: result.message, source: entry.source });
      }
    }
  }

  const ref = (path: string) => {
    const src = sources.get(path);
    const v = show(values.get(path));
    return src?.kind === 'env' ? `${path} (${v}, from ${src.variable})` : `${path} (${v})`;
  };
  for (const rule of CROSS_RULES) {
    if (rule.paths.some((p) => invalid.has(p))) continue;
    const message = rule.check({ value: (p) => values.get(p) as number | boolean | string | null, ref });
    if (message !== null) {
      const path = rule.paths[0];
      issues.push({ path, message, source: sources.get(path) ?? { kind: 'default' } });
    }
  }

  if (issues.length > 0) return { config: null, issues, sources };
  return { config: buildConfig(values), issues, sources };
}

function collectFromDocument(
  document: unknown,
  sourceOf: (path: readonly string[]) => ValueSource,
  given: Map<string, { value: unknown; source: ValueSource }>,
  issues: ConfigIssue[],
): void {
  if (document === null || document === undefined) {
    issues.push({ path: 'config', message: `is empty; expected a mapping with sections ${SECTION_NAMES.join(', ')}`, source: sourceOf([]) });
    return;
  }
  if (!isMapping(document)) {
    issues.push({ path: 'config', message: `must be a mapping with sections ${SECTION_NAMES.join(', ')}, got ${show(document)}`, source: sourceOf([]) });
    return;
  }
  for (const [section, body] of Object.entries(document)) {
    const source = sourceOf([section]);
    if (!isSection(section)) {
      issues.push({ path: section, message: unknownSectionMessage(section), source });
      continue;
    }
    // `checkpoint:` with nothing under it parses as null: all defaults.
    if (body === null) continue;
    if (!isMapping(body)) {
      issues.push({ path: section, message: `must be a mapping of fields (${sectionKeys(section).join(', ')}), got ${show(body)}`, source });
      continue;
    }
    for (const [key, value] of Object.entries(body)) {
      const path = `${section}.${key}`;
      const keySource = sourceOf([section, key]);
      const unknown = unknownKeyMessage(section, key);
      if (unknown) issues.push({ path, message: unknown, source: keySource });
      else given.set(path, { value, source: keySource });
    }
  }
}

function collectFromEnv(env: Env, given: Map<string, { value: unknown; source: ValueSource }>, issues: ConfigIssue[]): void {
  for (const o of envOverrides(env)) {
    const source: ValueSource = { kind: 'env', variable: o.variable };
    const path = `${o.section}.${o.key}`;
    if (!isSection(o.section)) {
      issues.push({ path, message: `${o.variable} names no config section; ${unknownSectionMessage(o.section)}`, source });
      continue;
    }
    const unknown = unknownKeyMessage(o.section, o.key);
    if (unknown) {
      issues.push({ path, message: unknown, source });
      continue;
    }
    given.set(path, { value: parseEnvValue(fieldSpec(o.section, o.key) as FieldSpec, o.text), source });
  }
}

function isSection(name: string): name is SectionName {
  return (SECTION_NAMES as string[]).includes(name);
}

function unknownSectionMessage(name: string): string {
  if (looksLikeCredentialKey(name)) return `looks like a credential; ${CREDENTIAL_HINT}`;
  const owner = SECTION_NAMES.find((s) => sectionKeys(s).includes(name));
  if (owner) return `unknown section; '${name}' is a field of ${owner} (write it under ${owner}:)`;
  const guess = closestName(name, SECTION_NAMES);
  return `unknown section${guess ? `; did you mean '${guess}'?` : ''} (sections: ${SECTION_NAMES.join(', ')})`;
}

/** Null when `section.key` is a field; otherwise why not, with a suggestion. */
function unknownKeyMessage(section: SectionName, key: string): string | null {
  if (fieldSpec(section, key)) return null;
  if (looksLikeCredentialKey(key)) return `looks like a credential; ${CREDENTIAL_HINT}`;
  const keys = sectionKeys(section);
  const guess = closestName(key, keys);
  if (guess) return `unknown key; did you mean '${guess}'?`;
  const owner = SECTION_NAMES.find((s) => s !== section && sectionKeys(s).includes(key.toLowerCase()));
  if (owner) return `unknown key; '${key}' belongs in ${owner} (${owner}.${key.toLowerCase()})`;
  return `unknown key (known keys of ${section}: ${keys.join(', ')})`;
}

type FieldResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Type, range and the field's own rule. */
export function checkField(spec: FieldSpec, value: unknown): FieldResult {
  const fail = (message: string): FieldResult => ({ ok: false, message });
  switch (spec.type) {
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`must be an integer, got ${show(value)}`);
      if (value < spec.min) return fail(`must be >= ${spec.min}, got ${value}`);
      if (value > spec.max) return fail(`must be <= ${spec.max}, got ${value}`);
      return custom(spec.check, value) ?? { ok: true, value };
    }
    case 'number': {
      if (typeof value !== 'number') return fail(`must be a number, got ${show(value)}`);
      if (!Number.isFinite(value)) return fail(`must be a finite number, got ${show(value)}`);
      if (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) {
        return fail(`must be ${spec.minExclusive ? '>' : '>='} ${spec.min}, got ${value}`);
      }
      if (spec.max !== undefined && (spec.maxExclusive ? value >= spec.max : value > spec.max)) {
        return fail(`must be ${spec.maxExclusive ? '<' : '<='} ${spec.max}, got ${value}`);
      }
      return custom(spec.check, value) ?? { ok: true, value };
    }
    case 'bool':
      if (typeof value !== 'boolean') return fail(`must be true or false, got ${show(value)}`);
      return { ok: true, value };
    case 'string':
      if (typeof value !== 'string') return fail(`must be a string, got ${show(value)}`);
      if (value.trim() === '') return fail('must not be empty');
      return custom(spec.check, value) ?? { ok: true, value };
    case 'string?': {
      // An empty value means "none", like null.
      const v = value === '' ? null : value;
      if (v !== null && typeof v !== 'string') return fail(`must be a string or null, got ${show(value)}`);
      return custom(spec.check, v) ?? { ok: true, value: v };
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        return fail(`must be one of ${spec.supported.join(', ')}, got ${show(value)}`);
      }
      if (!spec.supported.includes(value)) {
        return fail(`'${value}' is not implemented yet (supported: ${spec.supported.join(', ')})`);
      }
      return { ok: true, value };
    }
  }
}

function custom<T>(check: ((v: T) => string | null) | undefined, value: T): FieldResult | null {
  const problem = check?.(value) ?? null;
  return problem === null ? null : { ok: false, message: `${problem}, got ${show(value)}` };
}

/** A value as it reads in a message: strings quoted and redacted, structures named. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `string '${redactForMessage(value)}'`;
  if (typeof value === 'number') return Number.isNaN(value) ? '.nan' : Number.isFinite(value) ? String(value) : value > 0 ? '.inf' : '-.inf';
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function buildConfig(values: ReadonlyMap<string, unknown>): MoeConfig {
  const out: Record<string, Record<string, unknown>> = {};
  for (const section of SECTION_NAMES) {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(CONFIG_SCHEMA[section])) fields[key] = values.get(`${section}.${key}`);
    out[section] = Object.freeze(fields);
  }
  return Object.freeze(out) as unknown as MoeConfig;
}
