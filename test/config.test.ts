import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  checkConfigText,
  configFromObject,
  defaultConfig,
  formatIssue,
  gradientAccumulationSteps,
  modelConfigHash,
  parseConfigText,
  type ConfigIssue,
} from '../engine/config/index.ts';
import { sha256Hex } from '../engine/config/sha256.ts';
import { loadConfigFile } from '../engine/config/node.ts';

/** Issues of a YAML text, formatted as users see them. */
function errorsOf(text: string, env: Record<string, string> = {}): string[] {
  return checkConfigText(text, { origin: 't.yaml', env }).issues.map(formatIssue);
}

function issuesOf(text: string, env: Record<string, string> = {}): readonly ConfigIssue[] {
  return checkConfigText(text, { origin: 't.yaml', env }).issues;
}

describe('shipped configs', () => {
  it('smoke, default and large_scale load with their values', () => {
    const smoke = loadConfigFile('configs/smoke.yaml', {});
    expect(smoke.model.hidden_dim).toBe(16);
    expect(smoke.training.max_steps).toBe(4);
    expect(smoke.checkpoint.remote_uri).toBeNull();
    expect(gradientAccumulationSteps(smoke)).toBe(2);

    const dflt = loadConfigFile('configs/default.yaml', {});
    expect(dflt.model.vocab_size).toBe(256);
    expect(dflt.training.corpus).toBe('brown');
    expect(dflt.training.learning_rate).toBe(3e-3);

    const large = loadConfigFile('configs/large_scale.yaml', {});
    expect(large.parallelism.world_size).toBe(16);
    expect(large.checkpoint.remote_uri).toBe('s3://moe-engine-checkpoints/large_scale');
    expect(gradientAccumulationSteps(large)).toBe(4); // 512 / (8 x 16)
  });

  it('missing fields take the schema defaults; the result is frozen', () => {
    const c = parseConfigText('model:\n  hidden_dim: 32\n');
    expect(c.model.hidden_dim).toBe(32);
    expect(c.model.num_experts).toBe(defaultConfig().model.num_experts);
    expect(c.telemetry).toEqual(defaultConfig().telemetry);
    expect(Object.isFrozen(c) && Object.isFrozen(c.model)).toBe(true);
    // An empty section means "all defaults".
    expect(parseConfigText('checkpoint:\n').checkpoint).toEqual(defaultConfig().checkpoint);
  });
});

describe('config validation errors name the field, the rule and the line', () => {
  it('top_k above num_experts', () => {
    expect(errorsOf('model:\n  num_experts: 8\n  top_k: 9\n')).toEqual(['model.top_k: must be <= model.num_experts (8), got 9 (t.yaml:3)']);
  });

  it('warm-up not shorter than the run', () => {
    expect(errorsOf('training:\n  max_steps: 100\n  warmup_steps: 100\n')).toEqual([
      'training.warmup_steps: must be < training.max_steps (100), got 100 (t.yaml:3)',
    ]);
  });

  it('unknown keys and sections suggest the intended name', () => {
    expect(errorsOf('model:\n  hiden_dim: 64\n')).toEqual(["model.hiden_dim: unknown key; did you mean 'hidden_dim'? (t.yaml:2)"]);
    expect(errorsOf('trainng:\n  seed: 1\n')[0]).toMatch(/^trainng: unknown section; did you mean 'training'\? .*\(t\.yaml:1\)$/);
    expect(errorsOf('training:\n  hidden_dim: 64\n')).toEqual(["training.hidden_dim: unknown key; 'hidden_dim' belongs in model (model.hidden_dim) (t.yaml:2)"]);
    expect(errorsOf('model:\n  colour: red\n')[0]).toMatch(/^model\.colour: unknown key \(known keys of model: hidden_dim, num_layers,/);
  });

  it('wrong types are errors, not coercions', () => {
    expect(errorsOf('model:\n  hidden_dim: "64"\n')).toEqual(["model.hidden_dim: must be an integer, got string '64' (t.yaml:2)"]);
    expect(errorsOf('model:\n  hidden_dim: 64.5\n')).toEqual(['model.hidden_dim: must be an integer, got 64.5 (t.yaml:2)']);
    // YAML 1.2: `yes` is a string, not a boolean.
    expect(errorsOf('model:\n  drop_tokens: yes\n')).toEqual(["model.drop_tokens: must be true or false, got string 'yes' (t.yaml:2)"]);
    expect(errorsOf('training:\n  learning_rate: .inf\n')).toEqual(['training.learning_rate: must be a finite number, got .inf (t.yaml:2)']);
    expect(errorsOf('model: [1, 2]\n')[0]).toMatch(/^model: must be a mapping of fields \(hidden_dim, .*\), got a list \(t\.yaml:1\)$/);
    expect(errorsOf('- model\n')[0]).toMatch(/^config: must be a mapping with sections model, training, .*got a list/);
  });

  it('ranges and enums state the bound or the supported values', () => {
    expect(errorsOf('model:\n  num_layers: 0\n')).toEqual(['model.num_layers: must be >= 1, got 0 (t.yaml:2)']);
    expect(errorsOf('training:\n  beta2: 1\n')).toEqual(['training.beta2: must be < 1, got 1 (t.yaml:2)']);
    expect(errorsOf('training:\n  learning_rate: 0\n')).toEqual(['training.learning_rate: must be > 0, got 0 (t.yaml:2)']);
    expect(errorsOf('model:\n  vocab_size: 512\n')).toEqual(['model.vocab_size: must be 256: tokens are bytes (byte-level model), got 512 (t.yaml:2)']);
    expect(errorsOf('model:\n  dtype: bfloat16\n')).toEqual(["model.dtype: 'bfloat16' is not implemented yet (supported: float32) (t.yaml:2)"]);
    expect(errorsOf('model:\n  dtype: fp32\n')).toEqual(["model.dtype: must be one of float32, got string 'fp32' (t.yaml:2)"]);
    expect(errorsOf('model:\n  attention: causal\n')).toEqual(["model.attention: 'causal' is not implemented yet (supported: none) (t.yaml:2)"]);
  });

  it('rules between sections: batch divisibility, parallel degrees, elastic bounds', () => {
    const text = [
      'model:',
      '  num_experts: 6',
      'training:',
      '  global_batch_size: 12',
      '  micro_batch_size: 4',
      'parallelism:',
      '  world_size: 8',
      '  expert_parallel: 4',
      '  data_parallel: 2',
      'elastic:',
      '  min_workers: 2',
      '  max_workers: 4',
      '  heartbeat_ms: 1000',
      '  timeout_ms: 1000',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'training.global_batch_size: must be a multiple of training.micro_batch_size x parallelism.data_parallel (4 x 2 = 8), got 12 ' +
        '(gradient accumulation needs whole micro-batches on every worker) (t.yaml:4)',
      'parallelism.expert_parallel: must divide model.num_experts (6) so every worker owns the same number of experts, got 4 (t.yaml:8)',
      'parallelism.world_size: must be within [elastic.min_workers (2), elastic.max_workers (4)], got 8 (t.yaml:7)',
      'elastic.timeout_ms: must be > elastic.heartbeat_ms (1000) (a worker needs time to miss a heartbeat), got 1000 (t.yaml:14)',
    ]);
  });

  it('collects every error of a file and throws them together', () => {
    const text = 'model:\n  hiden_dim: 64\n  top_k: 0\ntraining:\n  max_steps: -1\n  corpus: ""\n';
    expect(issuesOf(text).map((i) => i.path)).toEqual(['model.hiden_dim', 'model.top_k', 'training.max_steps', 'training.corpus']);
    let thrown: unknown;
    try {
      parseConfigText(text, { origin: 'bad.yaml' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const err = thrown as ConfigError;
    expect(err.issues).toHaveLength(4);
    expect(err.message).toMatch(/^invalid config bad\.yaml: 4 errors\n/);
    expect(err.message).toContain('training.corpus: must not be empty (bad.yaml:6)');
  });

  it('YAML syntax errors and duplicate keys carry their line', () => {
    expect(errorsOf('model:\n  top_k: 2\n  top_k: 3\n')).toEqual(['config: YAML syntax: Map keys must be unique (t.yaml:3)']);
    const [syntax] = issuesOf('model:\n  hidden_dim: [1\n');
    expect(syntax.message).toMatch(/^YAML syntax: /);
    expect(syntax.source).toMatchObject({ kind: 'file', name: 't.yaml' });
    expect(errorsOf('')).toEqual([expect.stringMatching(/^config: is empty; expected a mapping with sections model, training/)]);
  });
});

describe('environment overrides MOE_<SECTION>__<KEY>', () => {
  it('parse to the field type and win over the file', () => {
    const env = {
      MOE_TRAINING__MAX_STEPS: '10',
      MOE_TRAINING__LEARNING_RATE: '1e-3',
      MOE_MODEL__DROP_TOKENS: 'false',
      MOE_CHECKPOINT__REMOTE_URI: 's3://my-bucket/run1',
      MOE_TELEMETRY__PATH: 'out/t.jsonl',
      MOE_ADAPTER: 'software', // not an override: no double underscore
    };
    const c = parseConfigText('training:\n  max_steps: 400\n  warmup_steps: 5\n', { env });
    expect(c.training.max_steps).toBe(10);
    expect(c.training.learning_rate).toBe(1e-3);
    expect(c.model.drop_tokens).toBe(false);
    expect(c.checkpoint.remote_uri).toBe('s3://my-bucket/run1');
    expect(c.telemetry.path).toBe('out/t.jsonl');
    expect(parseConfigText('checkpoint:\n  remote_uri: s3://a-bucket\n', { env: { MOE_CHECKPOINT__REMOTE_URI: '' } }).checkpoint.remote_uri).toBeNull();
  });

  it('bad values are validated like file values and name the variable', () => {
    const text = 'model:\n  num_experts: 8\n';
    expect(errorsOf(text, { MOE_TRAINING__MAX_STEPS: 'ten' })).toEqual(["training.max_steps: must be an integer, got string 'ten' (environment MOE_TRAINING__MAX_STEPS)"]);
    expect(errorsOf(text, { MOE_MODEL__TOP_K: '9' })).toEqual(['model.top_k: must be <= model.num_experts (8), got 9 (environment MOE_MODEL__TOP_K)']);
    expect(errorsOf('model:\n  top_k: 4\n', { MOE_MODEL__NUM_EXPERTS: '2' })).toEqual([
      'model.top_k: must be <= model.num_experts (2, from MOE_MODEL__NUM_EXPERTS), got 4 (t.yaml:2)',
    ]);
    expect(errorsOf(text, { MOE_MODEL__DROP_TOKENS: 'maybe' })).toEqual([
      "model.drop_tokens: must be true or false, got string 'maybe' (environment MOE_MODEL__DROP_TOKENS)",
    ]);
  });

  it('unknown variables are errors with a suggestion', () => {
    expect(errorsOf('model:\n  top_k: 2\n', { MOE_TRAINING__MAXSTEPS: '3' })).toEqual([
      "training.maxsteps: unknown key; did you mean 'max_steps'? (environment MOE_TRAINING__MAXSTEPS)",
    ]);
    expect(errorsOf('model:\n  top_k: 2\n', { MOE_TRAINIG__SEED: '3' })[0]).toMatch(
      /^trainig\.seed: MOE_TRAINIG__SEED names no config section; unknown section; did you mean 'training'\?/,
    );
  });
});

describe('no secrets in config', () => {
  it('keys that look like credentials are rejected with the environment hint', () => {
    const errors = errorsOf('checkpoint:\n  aws_secret_access_key: abc\n  password: hunter2\nauth_token: x\n');
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e).toMatch(/looks like a credential; configs must not hold secrets; set credentials in the environment instead \(AWS_ACCESS_KEY_ID/);
    expect(errors.join('\n')).not.toMatch(/hunter2|abc/);
    expect(errorsOf('model:\n  top_k: 2\n', { MOE_ELASTIC__SECRET: 's3cr3t' })[0]).toMatch(/^elastic\.secret: looks like a credential.*\(environment MOE_ELASTIC__SECRET\)$/);
  });

  it('URIs with embedded credentials are rejected and masked in the message', () => {
    const [userinfo] = errorsOf('checkpoint:\n  remote_uri: s3://AKIAABCDEFGHIJKLMNOP:wJalrXUtnFEMI@bucket/p\n');
    expect(userinfo).toMatch(/^checkpoint\.remote_uri: must not contain user:password@ credentials; .*got string 's3:\/\/\*\*\*@bucket\/p' \(t\.yaml:2\)$/);
    expect(userinfo).not.toMatch(/wJalr|AKIAABCD/);
    const [signed] = errorsOf('checkpoint:\n  remote_uri: "s3://bucket/p?X-Amz-Signature=deadbeef"\n');
    expect(signed).toMatch(/must not carry signatures or tokens in its query/);
    expect(signed).not.toContain('deadbeef');
    // Query strings of any name (an Azure-style sig=, a fragment) are refused too, and masked.
    for (const uri of ['s3://bucket1/run/?sv=2020&sig=LEAKsig', 's3://bucket1/run#LEAKfrag', 'file:///tmp/x?LEAKq']) {
      const [problem] = errorsOf(`checkpoint:\n  remote_uri: "${uri}"\n`);
      expect(problem).toMatch(/^checkpoint\.remote_uri: must not have a query string or fragment/);
      expect(problem).not.toContain('LEAK');
    }
    expect(errorsOf('elastic:\n  rendezvous: ws://user:pw@host:29400\n')[0]).toMatch(/^elastic\.rendezvous: must not contain user:password@/);
    expect(errorsOf('checkpoint:\n  remote_uri: http://bucket\n')[0]).toMatch(/^checkpoint\.remote_uri: must be s3:\/\/bucket\[\/prefix\]/);
  });
});

describe('model config hash', () => {
  it('is SHA-256 of the canonical model-shaping fields', () => {
    const c = defaultConfig();
    // Written out independently: sorted keys, the versioned prefix, node:crypto.
    const canonical =
      'moe-model-shape/v1\n{"attention":"none","dtype":"float32","ffn_dim":128,"hidden_dim":64,"num_experts":4,"num_layers":2,' +
      '"router_bias_balancing":false,"sequence_length":64,"vocab_size":256}';
    expect(modelConfigHash(c)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('ignores key order and non-shaping fields, changes with shapes', () => {
    const a = parseConfigText('model:\n  hidden_dim: 32\n  ffn_dim: 64\n');
    const b = parseConfigText('training:\n  max_steps: 70\nmodel:\n  ffn_dim: 64\n  hidden_dim: 32\n  top_k: 1\n  capacity_factor: 2\n');
    expect(modelConfigHash(b)).toBe(modelConfigHash(a));
    expect(modelConfigHash(configFromObject({ model: { hidden_dim: 33, ffn_dim: 64 } }))).not.toBe(modelConfigHash(a));
  });

  it('sha256 matches node:crypto across block boundaries', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
      expect(sha256Hex(bytes), `length ${n}`).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
