// A real S3-compatible server (npm `s3rver`) for tests, on 127.0.0.1 at a
// free port with its data in a fresh temporary directory.
//
// It runs in a child Node process because s3rver encrypts ListObjectsV2
// continuation tokens with a cipher that OpenSSL 3 only offers through its
// legacy provider: the child gets --openssl-legacy-provider, so `npm test`
// needs no NODE_OPTIONS. The child registers the test's access key (s3rver
// rejects unknown access key ids; it does not verify SigV4 signatures) and
// reports every request it finishes, in order, so tests can observe the
// upload order server-side.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface S3rverRequest {
  readonly method: string;
  /** Decoded path, e.g. /bucket/prefix/step=1/MANIFEST.json */
  readonly path: string;
  /** Query parameters, e.g. { partNumber: '2', uploadId: '…' }; flags such as ?uploads map to ''. */
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
}

export interface S3rverHandle {
  /** e.g. http://127.0.0.1:43125 */
  readonly endpoint: string;
  /**
   * Requests the server has finished, in completion order. The child reports
   * them over a pipe, which can lag behind the HTTP responses: call settle()
   * before reading this after a client call.
   */
  readonly requests: S3rverRequest[];
  /** Waits until every request finished so far is in `requests`, and returns it. */
  settle(): Promise<S3rverRequest[]>;
  /** Everything the child wrote, for diagnostics. */
  readonly output: string[];
  /** SIGSTOP / SIGCONT the server: a hung peer whose sockets stay open. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface S3rverOptions {
  readonly buckets: readonly string[];
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

// Runs inside the child (CommonJS, `node -e`). Parameters arrive by env.
const CHILD_SOURCE = `
const S3rver = require(process.env.S3RVER_MAIN);
const Account = require(process.env.S3RVER_ACCOUNT);
Account.DUMMY_ACCOUNT.createKeyPair(process.env.S3RVER_KEY_ID, process.env.S3RVER_SECRET);
const server = new S3rver({
  address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR,
  vhostBuckets: false,
  configureBuckets: JSON.parse(process.env.S3RVER_BUCKETS).map((name) => ({ name })),
});
server.middleware.unshift(async (ctx, next) => {
  try { await next(); } finally {
    const path = ctx.originalUrl.split('?')[0];
    const query = Object.fromEntries(new URLSearchParams(ctx.querystring));
    process.stdout.write('REQ ' + JSON.stringify({ method: ctx.method, path: decodeURIComponent(path), query, status: ctx.status }) + '\\n');
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
server.run().then(({ port }) => process.stdout.write('READY ' + port + '\\n'), (err) => { console.error(err); process.exit(1); });
`;

/** Fresh, recognisable credentials for one test file: scans for them must find nothing. */
export function testCredentials(): { readonly accessKeyId: string; readonly secretAccessKey: string } {
  return { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: `sEcReT-${randomBytes(18).toString('base64url')}` };
}

export async function startS3rver(options: S3rverOptions): Promise<S3rverHandle> {
  const require = createRequire(import.meta.url);
  const main = require.resolve('s3rver');
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SOURCE], {
    env: {
      PATH: process.env.PATH,
      S3RVER_MAIN: main,
      S3RVER_ACCOUNT: join(dirname(main), 'models', 'account.js'),
      S3RVER_DIR: directory,
      S3RVER_BUCKETS: JSON.stringify(options.buckets),
      S3RVER_KEY_ID: options.accessKeyId,
      S3RVER_SECRET: options.secretAccessKey,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const requests: S3rverRequest[] = [];
  const output: string[] = [];
  // Sentinel requests: once one is reported, every earlier report has arrived
  // too, since the child writes its reports in order to one pipe.
  const SENTINEL = '/__settle__/';
  const waiting = new Map<string, () => void>();
  let sentinels = 0;
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`startS3rver: no READY line within 30 s. Output: ${output.join('')}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`startS3rver: s3rver exited with code ${code} before it was ready. Output: ${output.join('')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        resolve(Number(line.slice('READY '.length)));
      } else if (line.startsWith('REQ ')) {
        const request = JSON.parse(line.slice('REQ '.length)) as S3rverRequest;
        if (request.path.startsWith(SENTINEL)) waiting.get(request.path)?.();
        else requests.push(request);
      }
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    requests,
    output,
    settle: async () => {
      const path = `${SENTINEL}${sentinels++}`;
      const seen = new Promise<void>((resolve) => waiting.set(path, resolve));
      await (await fetch(endpoint + path)).arrayBuffer(); // any answer will do (an S3 error)
      await seen;
      waiting.delete(path);
      return requests;
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGCONT');
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.stdin?.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
