/**
 * Process-wide cleanup of what the soak starts (redis-server, worker and client processes): each step runs
 * once, on normal completion, on an error, or on SIGINT/SIGTERM/SIGHUP (see {@link installSignalHandlers}).
 * As a last resort the `exit` handler SIGKILLs every process id still tracked.
 */

type Cleanup = () => Promise<unknown> | unknown;

/** Registered steps, and the run of each step once it started (so a second caller waits for the same run). */
const steps = new Set<Cleanup>();
const runs = new Map<Cleanup, Promise<void>>();
const pids = new Set<number>();
const STEP_TIMEOUT_MS = 5000;

/**
 * Registers a cleanup step.
 * @param step - what to run.
 * @returns a function that runs the step now (once; a caller that comes second waits for the same run).
 */
export function onCleanup(step: Cleanup): () => Promise<void> {
  steps.add(step);
  return () => runStep(step);
}

/**
 * Tracks a process id that the `exit` handler SIGKILLs if it is still alive.
 * @param pid - the process id.
 * @returns a function that stops tracking it.
 */
export function trackPid(pid: number | undefined): () => void {
  if (pid !== undefined && pid > 0) pids.add(pid);
  return () => {
    if (pid !== undefined) pids.delete(pid);
  };
}

/** Runs every registered step, the last registered first, each bounded to 5 s, and waits for those running. */
export async function cleanupAll(): Promise<void> {
  for (const step of [...steps].reverse()) await runStep(step);
  await Promise.all(runs.values());
}

function runStep(step: Cleanup): Promise<void> {
  let run = runs.get(step);
  if (run === undefined) {
    if (!steps.delete(step)) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    run = Promise.race([
      Promise.resolve()
        .then(step)
        .catch(() => {}),
      new Promise((resolve) => {
        timer = setTimeout(resolve, STEP_TIMEOUT_MS);
      }),
    ]).then(() => {
      clearTimeout(timer);
      runs.delete(step);
    });
    runs.set(step, run);
  }
  return run;
}

let installed = false;

/**
 * Makes SIGINT, SIGTERM and SIGHUP clean up and exit (130, 143, 129), and the `exit` event SIGKILL the
 * tracked processes. For the CLI only: a test runner keeps its own signal handling.
 */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [signal, code] of Object.entries(codes)) {
    process.once(signal, () => {
      console.error(`\nsoak: ${signal}, cleaning up`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
  process.once('exit', () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}
