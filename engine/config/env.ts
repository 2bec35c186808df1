/**
 * Environment overrides: MOE_<SECTION>__<KEY>=value (e.g.
 * MOE_TRAINING__MAX_STEPS=10) replaces training.max_steps. The text is
 * parsed to the field's type (integer, number, true/false, string, or
 * '' / 'null' for a field that may be null) and then validated exactly like
 * a value from a file; errors name the variable. Variables without the
 * double underscore (MOE_ADAPTER, MOE_DEBUG) are not config overrides.
 */
import type { FieldSpec } from './schema.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvOverride {
  readonly variable: string;
  /** Lower-cased section and key as written in the variable. */
  readonly section: string;
  readonly key: string;
  readonly text: string;
}

const OVERRIDE = /^MOE_([A-Za-z0-9_]+?)__([A-Za-z0-9_]+)$/;

/** The MOE_<SECTION>__<KEY> variables in `env`, sorted by name so errors come out in a stable order. */
export function envOverrides(env: Env): EnvOverride[] {
  const out: EnvOverride[] = [];
  for (const variable of Object.keys(env).sort()) {
    const m = OVERRIDE.exec(variable);
    const text = env[variable];
    if (!m || text === undefined) continue;
    out.push({ variable, section: m[1].toLowerCase(), key: m[2].toLowerCase(), text });
  }
  return out;
}

/** The environment variable that overrides `section.key`. */
export function envVariableFor(section: string, key: string): string {
  return `MOE_${section.toUpperCase()}__${key.toUpperCase()}`;
}

const NUMBER_TEXT = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const TRUE_TEXT = /^(true|1|yes|on)$/i;
const FALSE_TEXT = /^(false|0|no|off)$/i;

/**
 * The text as a value of the field's type. Text that does not parse is
 * returned as the string itself, so validation reports it with the rule
 * (`must be an integer, got string 'ten'`) like a wrong type in a file.
 */
export function parseEnvValue(spec: FieldSpec, text: string): unknown {
  const t = text.trim();
  switch (spec.type) {
    case 'int':
    case 'number':
      return NUMBER_TEXT.test(t) ? Number(t) : text;
    case 'bool':
      if (TRUE_TEXT.test(t)) return true;
      if (FALSE_TEXT.test(t)) return false;
      return text;
    case 'string?':
      return t === '' || t.toLowerCase() === 'null' ? null : text;
    case 'string':
    case 'enum':
      return text;
  }
}
