import type { AbortEvent } from '../../index.js';
import { connect } from '../connect.js';
import type { Output } from '../Output.js';
import { type CommandLine, UsageError } from '../parseCommandLine.js';

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

/** `rx-abort status <id...>`: the live mark of each id and the time left in its window. */
export async function statusCommand(line: Run, output: Output): Promise<number> {
  const connection = connect(line.global, 'status');
  try {
    let reads: Array<[Promise<AbortEvent | null>, Promise<number | null>]>;
    try {
      reads = line.ids.map((id) => [connection.abortable.aborted(id), connection.backend.timeLeft(id)]);
    } catch (error) {
      throw new UsageError((error as Error).message, 'status'); // an invalid id
    }
    for (const read of reads) read[1].catch(() => {}); // awaited below, after its mark
    for (const [index, id] of line.ids.entries()) {
      const [markRead, timeLeftRead] = reads[index] ?? [Promise.resolve(null), Promise.resolve(null)];
      const mark = await markRead;
      const timeLeft = await timeLeftRead;
      const { id: _id, ...stored } = mark ?? { id };
      output.result(
        mark === null
          ? `${id}: no live abort mark`
          : `${id}: aborted (${describeMark(mark)}), ${describeTimeLeft(timeLeft)}`,
        {
          type: 'status',
          id,
          mark: mark === null ? null : stored,
          timeLeft: mark === null ? null : timeLeft === Number.POSITIVE_INFINITY ? 'none' : timeLeft,
        },
      );
    }
    return 0;
  } finally {
    await connection.close();
  }
}
