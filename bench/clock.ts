/**
 * The shared clock of every benchmark process: milliseconds since the epoch with sub-microsecond
 * resolution, `performance.timeOrigin + performance.now()`. Processes on one machine agree on it to within
 * microseconds (see `estimateClockOffset`), so a time taken in one process can be subtracted from a time
 * taken in another.
 *
 * @example
 * ```ts
 * const start = now();
 * const elapsedMs = now() - start;
 * ```
 * @returns the current time in milliseconds.
 */
export const now = (): number => performance.timeOrigin + performance.now();

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `task` but rejects with a message naming `what` if it takes longer than `ms`: every wait in the
 * benchmark is bounded.
 */
export function withTimeout<T>(task: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([task, timeout]).finally(() => clearTimeout(timer));
}

/** An estimate of how far another process's clock is from ours. */
export interface ClockOffset {
  /** Their clock minus ours, in ms (at the sample with the shortest round trip). */
  readonly offsetMs: number;
  /** Half that round trip: the estimate is good to within this, in ms. */
  readonly uncertaintyMs: number;
}

/**
 * Estimates another process's clock offset NTP-style: asks for its time `samples` times and keeps the
 * sample with the shortest round trip.
 * @param readRemote - resolves to the other process's {@link now}.
 * @param samples - how many round trips to make.
 * @returns the offset and its uncertainty.
 */
export async function estimateClockOffset(
  readRemote: () => Promise<number>,
  samples = 30,
): Promise<ClockOffset> {
  let best: ClockOffset = { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < samples; i++) {
    const sent = now();
    const remote = await readRemote();
    const received = now();
    const halfRoundTrip = (received - sent) / 2;
    if (halfRoundTrip < best.uncertaintyMs) {
      best = { offsetMs: remote - (sent + halfRoundTrip), uncertaintyMs: halfRoundTrip };
    }
  }
  return best;
}
