import type { AbortEvent, AbortOutcome } from '../../index.js';
import { connect } from '../connect.js';
import type { Output } from '../Output.js';
import { type CommandLine, UsageError } from '../parseCommandLine.js';
import { describeOutcome, storedOutcome } from './describeOutcome.js';

type Run = Extract<CommandLine, { kind: 'run' }>;

/** A mark for people: `mode abort, reason "x", 2026-12-01T20:00:00.000Z`. */
export function describeMark(mark: AbortEvent): string {
  return [
    `mode ${mark.mode}`,
    ...(mark.abortTimeout > 0 ? [`graceful ${mark.abortTimeout} ms`] : []),
    ...(mark.reason === undefined ? [] : [`reason ${JSON.stringify(mark.reason)}`]),
    `at ${new Date(mark.at).toISOString()}`,
  ].join(', ');
}

const describeTimeLeft = (left: number | null): string =>
  left === null ? 'expired' : left === Number.POSITIVE_INFINITY ? 'no expiry' : `${left} ms left`;

/** `rx-abort status <id...>`: the live mark and outcome of each id, and the time left in its window. */
export async function statusCommand(line: Run, output: Output): Promise<number> {
  const connection = connect(line.global, 'status');
  try {
    let reads: Array<[Promise<AbortEvent | null>, Promise<number | null>, Promise<AbortOutcome | null>]>;
    try {
      reads = line.ids.map((id) => [
        connection.abortable.aborted(id),
        connection.backend.timeLeft(id),
        connection.abortable.outcome(id),
      ]);
    } catch (error) {
      throw new UsageError((error as Error).message, 'status'); // an invalid id
    }
    for (const read of reads) for (const promise of read) promise.catch(() => {}); // awaited below, in order
    for (const [index, id] of line.ids.entries()) {
      const [markRead, timeLeftRead, outcomeRead] = reads[index] ?? [];
      const mark = (await markRead) ?? null;
      const timeLeft = (await timeLeftRead) ?? null;
      const outcome = (await outcomeRead) ?? null;
      const { id: _id, ...stored } = mark ?? { id };
      const outcomeText = outcome === null ? 'no outcome reported' : `outcome: ${describeOutcome(outcome)}`;
      output.result(
        mark === null
          ? `${id}: no live abort mark; ${outcomeText}`
          : `${id}: aborted (${describeMark(mark)}), ${describeTimeLeft(timeLeft)}; ${outcomeText}`,
        {
          type: 'status',
          id,
          mark: mark === null ? null : stored,
          timeLeft: mark === null ? null : timeLeft === Number.POSITIVE_INFINITY ? 'none' : timeLeft,
          outcome: storedOutcome(outcome),
        },
      );
    }
    return 0;
  } finally {
    await connection.close();
  }
}
