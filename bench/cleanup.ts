/**
 * Process-wide cleanup of everything the benchmark starts (redis-servers, worker and client processes):
 * runs on normal completion, on an error, and on SIGINT/SIGTERM/SIGHUP. As a last resort, the `exit`
 * handler SIGKILLs every process id still tracked.
 */

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
const pids = new Set<number>();
let installed = false;
let running: Promise<void> | undefined;

/**
 * Registers an async cleanup step.
 * @param cleanup - what to run.
 * @returns a function that unregisters it (call it once the resource is released normally).
 */
export function onCleanup(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/**
 * Tracks a child process id so the `exit` handler can SIGKILL it synchronously if it is still alive.
 * @param pid - the process id.
 * @returns a function that stops tracking it.
 */
export function trackPid(pid: number): () => void {
  if (pid > 0) pids.add(pid);
  return () => {
    pids.delete(pid);
  };
}

/**
 * Runs every registered cleanup step (in reverse order of registration), each bounded to 5 s.
 * @returns a promise that settles when all have run; calling it again returns the same promise.
 */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    for (const cleanup of [...cleanups].reverse()) {
      cleanups.delete(cleanup);
      await Promise.race([
        Promise.resolve()
          .then(cleanup)
          .catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
    }
  })();
  return running;
}

function killTracked(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
}

/**
 * Installs the signal and exit handlers (once): on SIGINT/SIGTERM/SIGHUP, clean up and exit with 130; on
 * process exit, SIGKILL whatever is still tracked.
 */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark's processes and servers...`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
  process.once('exit', killTracked);
}
