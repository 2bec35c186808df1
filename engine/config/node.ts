/** Node entry to config loading: reads the file, applies process.env overrides. Node-only. */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';
import type { Env } from './env.ts';
import { checkConfigText } from './parse.ts';
import type { ConfigCheck } from './validate.ts';
import type { MoeConfig } from './types.ts';

/** Every problem of a config file (an unreadable file is one issue). */
export function checkConfigFile(path: string, env: Env = process.env): ConfigCheck {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return {
      config: null,
      issues: [{ path: 'config', message: `cannot read: ${reason} (hint: configs/ holds smoke.yaml, default.yaml, large_scale.yaml)`, source: { kind: 'file', name: path } }],
      sources: new Map(),
    };
  }
  return checkConfigText(text, { origin: path, env });
}

/** The validated config of a file with environment overrides; throws ConfigError listing every problem. */
export function loadConfigFile(path: string, env: Env = process.env): MoeConfig {
  const result = checkConfigFile(path, env);
  if (!result.config) throw new ConfigError(path, result.issues);
  return result.config;
}
