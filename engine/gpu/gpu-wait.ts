/**
 * How the runtime waits on a GPU promise (queue completion, buffer mapping).
 *
 * Dawn's Node bindings (npm `webgpu`) poll for finished GPU work on every
 * turn of the event loop, re-arming a setImmediate while any GPU promise is
 * pending, so a thread that awaits the GPU spins a whole CPU core. With a
 * hardware GPU that core is idle anyway. With a software adapter
 * (SwiftShader) the GPU's work runs on the same cores: on a 2-core machine
 * the spinning thread took about 40% of SwiftShader's two worker threads,
 * and the grouped expert kernels ran 1.7x slower with ±30% jitter (medians
 * 172 vs 100 ms at N=512 H=256 E=16 K=2; see bench/README.md).
 *
 * `sleepingWait` keeps the polling but sleeps the thread between turns
 * (Atomics.wait), for at most a tenth of the time waited so far and never
 * more than 2 ms, so a wait ends at most ~10% or 2 ms after the work does.
 * Other work in the process shares the cost. No turn is slept while Node
 * lists file system calls, socket writes or connects in flight, so
 * checkpoint writes and uploads run at full speed (and a write that stays
 * in flight, to a peer that does not read, turns the sleeping off: the GPU
 * waits are then as slow as plain ones). Work Node does not list gets one
 * turn per sleep while a wait is pending: a socket message that arrives is
 * handled up to 2 ms late (a chatty localhost request/response loop went
 * from about 30k to 230 round trips a second), and so is each step of a
 * chain of setImmediate, zlib or async crypto calls (a helper measured a
 * 32 MiB gzip stream at 0.36 -> 5.5 s). The engine's own checkpoint and S3
 * paths are file and socket I/O. A wait keeps the process alive only as
 * long as Dawn's polling does.
 * No Node imports: the file is shared with the browser bundle, where
 * `plainWait` is used (Atomics.wait is not allowed on a page's main thread).
 */

/** Awaits a promise of GPU work. */
export type GpuWait = <T>(p: Promise<T>) => Promise<T>;

/** The promise as it is. */
export const plainWait: GpuWait = (p) => p;

const MAX_SLEEP_MS = 2;
const MIN_SLEEP_MS = 0.05;

let sleeper: Int32Array | null = null;
/** GPU promises awaited through sleepingWait and not yet settled; one sleeper loop serves them all. */
let pending = 0;
let looping = false;
/** When the newest pending wait began: sleeps are a tenth of the time since, so a short wait is not overslept. */
let newestStart = 0;

/** True when this thread may block in Atomics.wait (Node and Deno, workers; not a page's main thread). */
export function canSleepThread(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics?.wait !== 'function') return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // value differs: returns at once, or throws where blocking is banned
    return true;
  } catch {
    return false;
  }
}

type Handle = { unref?: () => void };

/**
 * The next turn of the event loop. Unreferenced: like a plain await, the
 * loop alone does not keep the process alive (pending GPU work does, through
 * Dawn's own polling).
 */
function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => Handle }).setImmediate;
  return new Promise((resolve) => {
    const h: Handle = immediate ? immediate(resolve) : (setTimeout(resolve, 0) as unknown as Handle);
    h.unref?.();
  });
}

/**
 * Node's in-flight I/O requests: file system calls, socket writes and
 * connects. Each completes in a turn of the event loop, so sleeping between
 * turns while any is in flight would stretch a checkpoint's thousand
 * sequential writes by a sleep each (measured 142 ms -> 2.2 s). Long-lived
 * handles (an open socket, a server, a timer) do not count. Takes the names
 * process.getActiveResourcesInfo() lists.
 */
export function isIoRequest(resource: string): boolean {
  return /Req|WriteWrap|ConnectWrap|ShutdownWrap/.test(resource);
}

function ioInFlight(): boolean {
  const proc = (globalThis as { process?: { getActiveResourcesInfo?: () => string[] } }).process;
  return typeof proc?.getActiveResourcesInfo === 'function' && proc.getActiveResourcesInfo().some(isIoRequest);
}

/**
 * Sleeps between event-loop turns while any wait is pending. Overlapping
 * waits (a benchmark around an engine sync, a read while a step is pending)
 * share this one loop, so the thread sleeps once per turn, not once per wait.
 */
async function sleepWhilePending(): Promise<void> {
  looping = true;
  try {
    sleeper ??= new Int32Array(new SharedArrayBuffer(4));
    while (pending > 0) {
      await nextTurn();
      if (pending === 0) break;
      if (ioInFlight()) continue;
      Atomics.wait(sleeper, 0, 0, Math.min(MAX_SLEEP_MS, Math.max(MIN_SLEEP_MS, (performance.now() - newestStart) / 10)));
    }
  } finally {
    looping = false;
  }
}

export const sleepingWait: GpuWait = <T>(p: Promise<T>): Promise<T> => {
  pending++;
  newestStart = performance.now();
  const done = () => void pending--;
  p.then(done, done);
  if (!looping) void sleepWhilePending();
  return p;
};
