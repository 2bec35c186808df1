// S3 endpoint and credentials, read ONLY from the environment.
//
// Secrets never leave this module as values: the config carries a credential
// provider (a closure), its enumerable fields hold no secret, and its
// description for logs names the access key only as redacted. `redact()`
// removes the secret strings from any text, as a last line of defence for
// messages that pass through the store (SDK errors, logs).

import { S3Client } from '@aws-sdk/client-s3';

export type Environment = Readonly<Record<string, string | undefined>>;

interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3Config {
  /** Custom endpoint (S3-compatible server); undefined means AWS itself. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** Path-style addressing (http://host/bucket/key) whenever an endpoint is given. */
  readonly forcePathStyle: boolean;
  /** Resolves the credentials for the SDK; the values stay in this closure. */
  readonly credentials: () => Promise<S3Credentials>;
  /** A one-line description safe for logs (no secret values). */
  describe(): string;
  /** Replaces every secret value occurring in `text` by '<redacted>'. */
  redact(text: string): string;
}

export const DEFAULT_REGION = 'us-east-1';

function required(env: Environment, name: string, hint: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`s3ConfigFromEnv: environment variable ${name} is not set (S3 checkpoint tier). Hint: ${hint}`);
  }
  return value;
}

function checkedEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The raw value is shown: an endpoint is an address, not a secret; but
    // one with credentials embedded is refused below before it is echoed.
    throw new Error(`s3ConfigFromEnv: S3_ENDPOINT_URL is not a URL. Hint: write it as http://127.0.0.1:9000 or https://s3.example.com`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error('s3ConfigFromEnv: S3_ENDPOINT_URL must not contain credentials (user:password@). Hint: put them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error('s3ConfigFromEnv: S3_ENDPOINT_URL must not have a query string or fragment. Hint: write it as http://127.0.0.1:9000 or https://s3.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`s3ConfigFromEnv: S3_ENDPOINT_URL must be http:// or https://, got ${url.protocol}//. Hint: write it as http://127.0.0.1:9000`);
  }
  return raw;
}

/**
 * Reads S3_ENDPOINT_URL (optional), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN (optional) and AWS_REGION / AWS_DEFAULT_REGION (default
 * us-east-1). Throws naming the first missing variable.
 */
export function s3ConfigFromEnv(env: Environment = process.env): S3Config {
  const credentialHint = 'export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (credentials are read only from the environment, never from the config)';
  const accessKeyId = required(env, 'AWS_ACCESS_KEY_ID', credentialHint);
  const secretAccessKey = required(env, 'AWS_SECRET_ACCESS_KEY', credentialHint);
  const sessionToken = env.AWS_SESSION_TOKEN?.trim() ? env.AWS_SESSION_TOKEN : undefined;
  const rawEndpoint = env.S3_ENDPOINT_URL?.trim() ? env.S3_ENDPOINT_URL.trim() : undefined;
  const endpoint = rawEndpoint === undefined ? undefined : checkedEndpoint(rawEndpoint);
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || DEFAULT_REGION;
  const secrets = [accessKeyId, secretAccessKey, ...(sessionToken ? [sessionToken] : [])];
  const credentials: S3Credentials = sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };

  return {
    endpoint,
    region,
    forcePathStyle: endpoint !== undefined,
    credentials: async () => ({ ...credentials }),
    describe: () =>
      `S3 endpoint=${endpoint ?? 'aws-default'} region=${region} addressing=${endpoint !== undefined ? 'path-style' : 'virtual-hosted'} ` +
      `access_key=<redacted> secret=<redacted>${sessionToken ? ' session_token=<redacted>' : ''}`,
    redact: (text: string) => secrets.reduce((out, secret) => out.split(secret).join('<redacted>'), text),
  };
}

export interface S3ClientLimits {
  /** Silence on a socket after which a request fails (0 in the SDK: wait forever). */
  readonly socketTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly maxAttempts: number;
}

/** An SDK client for `config`, tolerant of S3-compatible servers, that gives up on a server that stops answering. */
export function createS3Client(config: S3Config, limits: S3ClientLimits): S3Client {
  // The pinned SDK runs on Node 20; its warning is about SDK releases after January 2027,
  // which this project does not install. Printed at every run it would bury real warnings.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: config.region,
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    credentials: config.credentials,
    // Recent SDKs add CRC checksums to every request by default; many
    // S3-compatible servers (s3rver, older MinIO) reject or ignore them.
    // Integrity is checked end to end by the manifest's sha256 anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: limits.connectionTimeoutMs, socketTimeout: limits.socketTimeoutMs },
    maxAttempts: limits.maxAttempts,
  });
}
