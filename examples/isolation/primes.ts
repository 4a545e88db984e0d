// The handler module of examples/isolation.ts: its default export is the actor's handler, called with the
// message args and then the task's context, in a worker thread.
import type { TaskContext } from '../../src/index.js';

/** Counts the primes below `limit` the slow way: a CPU-bound loop that never looks at its signal. */
export default function countPrimes(limit: number, _context: TaskContext): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
