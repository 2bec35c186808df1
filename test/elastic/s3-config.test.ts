import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { s3ConfigFromEnv } from '../../elastic/s3-config.ts';

const KEY_ID = 'AKIATESTKEYID7Q2X';
const SECRET = 'wJalrTestSecret/K7MDENG+bPxRfiCY9x3';

describe('s3ConfigFromEnv', () => {
  it('names the missing variable', () => {
    expect(() => s3ConfigFromEnv({ AWS_SECRET_ACCESS_KEY: SECRET })).toThrow(/AWS_ACCESS_KEY_ID is not set/);
    expect(() => s3ConfigFromEnv({ AWS_ACCESS_KEY_ID: KEY_ID })).toThrow(/AWS_SECRET_ACCESS_KEY is not set/);
    expect(() => s3ConfigFromEnv({ AWS_ACCESS_KEY_ID: '  ', AWS_SECRET_ACCESS_KEY: SECRET })).toThrow(/AWS_ACCESS_KEY_ID is not set/);
  });

  it('does not echo the secret it did read when another variable is missing', () => {
    let message = '';
    try {
      s3ConfigFromEnv({ AWS_SECRET_ACCESS_KEY: SECRET });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/AWS_ACCESS_KEY_ID/);
    expect(message).not.toContain(SECRET);
  });

  it('defaults to us-east-1 and AWS addressing without an endpoint', () => {
    const config = s3ConfigFromEnv({ AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET });
    expect(config.region).toBe('us-east-1');
    expect(config.endpoint).toBeUndefined();
    expect(config.forcePathStyle).toBe(false);
  });

  it('prefers AWS_REGION over AWS_DEFAULT_REGION, and uses path-style with an endpoint', () => {
    const base = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, S3_ENDPOINT_URL: 'http://127.0.0.1:9000' };
    expect(s3ConfigFromEnv({ ...base, AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    const config = s3ConfigFromEnv({ ...base, AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-west-1' });
    expect(config.region).toBe('ap-south-1');
    expect(config.endpoint).toBe('http://127.0.0.1:9000');
    expect(config.forcePathStyle).toBe(true);
  });

  it('hands the credentials to the SDK only through the provider', async () => {
    const config = s3ConfigFromEnv({ AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: 'tok-123456' });
    expect(await config.credentials()).toEqual({ accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: 'tok-123456' });
    for (const text of [config.describe(), JSON.stringify(config), inspect(config, { depth: 5 })]) {
      expect(text).not.toContain(KEY_ID);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('tok-123456');
    }
    expect(config.describe()).toMatch(/access_key=<redacted> secret=<redacted> session_token=<redacted>/);
    expect(config.redact(`id ${KEY_ID} secret ${SECRET} again ${SECRET}`)).toBe('id <redacted> secret <redacted> again <redacted>');
  });

  it('rejects endpoints that are not http(s) URLs or that embed credentials, without echoing them', () => {
    const base = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET };
    expect(() => s3ConfigFromEnv({ ...base, S3_ENDPOINT_URL: 'not a url' })).toThrow(/S3_ENDPOINT_URL is not a URL/);
    expect(() => s3ConfigFromEnv({ ...base, S3_ENDPOINT_URL: 'ftp://host/' })).toThrow(/http:\/\/ or https:\/\//);
    let message = '';
    try {
      s3ConfigFromEnv({ ...base, S3_ENDPOINT_URL: 'http://user:hunter2pass@host:9000' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/must not contain credentials/);
    expect(message).not.toContain('hunter2pass');
    for (const endpoint of ['http://127.0.0.1:4999/?X-Amz-Signature=LEAKsig', 'http://127.0.0.1:4999/#LEAKfrag']) {
      try {
        s3ConfigFromEnv({ ...base, S3_ENDPOINT_URL: endpoint });
        message = 'accepted';
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/S3_ENDPOINT_URL must not have a query string or fragment/);
      expect(message).not.toContain('LEAK');
    }
  });
});
