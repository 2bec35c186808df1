/**
 * One `moe train` per checkpoint directory (Node). Two runs writing one
 * checkpoint.dir delete each other's saves: each one's startup sweep and
 * retention remove the other's temporaries and step directories mid-write,
 * and their steps interleave, so a later resume may load a step of either.
 *
 * The lock is a listening Unix socket in Linux's abstract namespace, named
 * after the directory's canonical path: the kernel releases it when the
 * process dies (kill -9 included), so there is no stale lock file to clean
 * up, and a pid reused in a restarted container cannot be mistaken for the
 * holder. It covers processes on this machine (this network namespace); a
 * run on another machine sharing the directory over the network is not
 * seen. Elsewhere than Linux there is no lock (abstract sockets are Linux's).
 */
import { createHash } from 'node:crypto';
import { createConnection, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { canonicalPath } from '../engine/node/dirs.ts';

export interface DirLock {
  /** Frees the directory for another run (also happens when the process exits). */
  release(): Promise<void>;
}

/** Who holds a lock, as the holder tells a process that asks. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO 8601. */
  readonly since: string;
}

export class DirLockedError extends Error {
  override name = 'DirLockedError';
  constructor(
    message: string,
    readonly holder: LockHolder | null,
  ) {
    super(message);
  }
}

/** The abstract socket name for `dir`: a hash of its canonical path, so two spellings of one directory share it. */
export function lockName(dir: string): string {
  const digest = createHash('sha256').update(canonicalPath(dir)).digest('hex').slice(0, 32);
  return `\0moe-engine-checkpoint-dir-${digest}`;
}

/**
 * Takes the lock of `dir` for this process, or throws DirLockedError naming
 * the process that holds it. `what` names the directory in the message
 * (e.g. "checkpoint.dir /data/ckpt"). Where no socket can be made, `warn`
 * says so and the run goes on unlocked.
 */
export async function lockDir(dir: string, what: string, warn: (message: string) => void = () => {}): Promise<DirLock> {
  const none: DirLock = { release: async () => {} };
  if (process.platform !== 'linux') return none;
  const name = lockName(dir);
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  // Whoever connects is told who holds the directory.
  const server = createServer((socket) => socket.end(JSON.stringify(me)));
  try {
    await listen(server, name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      // A sandbox without Unix sockets: the lock guards against a mistake, it must not stop a run.
      warn(`${what} is not locked against a second run on this machine: ${(e as Error).message}`);
      return none;
    }
    const holder = await askHolder(name);
    const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'another process on this machine';
    throw new DirLockedError(
      `${what} is in use by another moe train (${who}); two runs in one directory would delete each other's checkpoints. ` +
        'Hint: wait for that run to finish or stop it, or give this run another checkpoint.dir',
      holder,
    );
  }
  // The lock must not keep a finished run alive.
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function listen(server: Server, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The holder's self-description, or null when it cannot be had (it is exiting, or is not a moe-engine process). */
function askHolder(name: string): Promise<LockHolder | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(name);
    const done = (holder: LockHolder | null) => {
      socket.destroy();
      resolve(holder);
    };
    socket.setTimeout(2000, () => done(null));
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', () => done(null));
    socket.on('end', () => {
      try {
        const h = JSON.parse(text) as LockHolder;
        done(Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.since === 'string' ? h : null);
      } catch {
        done(null);
      }
    });
  });
}
