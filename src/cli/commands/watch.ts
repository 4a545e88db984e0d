import type { Subscription } from 'rxjs';
import type { AbortEvent, AbortOutcome } from '../../index.js';
import { connect } from '../connect.js';
import { describeError } from '../describeError.js';
import type { Output } from '../Output.js';
import { type CommandLine, UsageError } from '../parseCommandLine.js';
import { describeOutcome } from './describeOutcome.js';
import { describeMark } from './status.js';

type Run = Extract<CommandLine, { kind: 'run' }>;

/** What ends a watch: the process's signals, injectable for tests of the function itself. */
export interface WatchSignals {
  once(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/**
 * `rx-abort watch <id...>`: prints each mark of the ids as it is written (a live one at once), in either
 * mode, and each outcome a worker reports, until SIGINT or SIGTERM; then unsubscribes every watch, closes the connection and resolves 0. A
 * watch that fails (notifications off, backend closed) ends it with 1.
 */
export async function watchCommand(line: Run, output: Output, signals: WatchSignals): Promise<number> {
  const ids = [...new Set(line.ids)];
  const connection = connect(line.global, 'watch');
  const subscriptions: Subscription[] = [];
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const onSignal = (): void => finish(0);
  signals.once('SIGINT', onSignal);
  signals.once('SIGTERM', onSignal);
  try {
    try {
      for (const id of ids) connection.abortable.aborted(id).catch(() => {}); // validates the id at once
    } catch (error) {
      throw new UsageError((error as Error).message, 'watch');
    }
    await connection.backend.ready();
    const last = new Map<string, string>();
    const lastOutcome = new Map<string, string>();
    const failed = (id: string) => (error: unknown) => {
      output.note(`rx-abort watch: ${id}: ${describeError(error, undefined)}`);
      finish(1);
    };
    for (const id of ids) {
      subscriptions.push(
        connection.backend.watch(id).subscribe({
          next: (mark: AbortEvent) => {
            // After a reconnect the live mark is read again: print each written mark once.
            const key = `${mark.mode}|${mark.at}|${mark.abortTimeout}|${mark.reason ?? ''}`;
            if (last.get(id) === key) return;
            last.set(id, key);
            const { id: _id, ...stored } = mark;
            output.result(`${new Date().toISOString()} ${mark.mode} ${id} (${describeMark(mark)})`, {
              type: 'abort',
              id,
              ...stored,
              seenAt: Date.now(),
            });
          },
          error: failed(id),
        }),
      );
      subscriptions.push(
        connection.backend.watchOutcome(id).subscribe({
          next: (outcome: AbortOutcome) => {
            const key = `${outcome.outcome}|${outcome.at}|${outcome.workerId ?? ''}`;
            if (lastOutcome.get(id) === key) return;
            lastOutcome.set(id, key);
            const { id: _id, ...stored } = outcome;
            output.result(`${new Date().toISOString()} outcome ${id}: ${describeOutcome(outcome)}`, {
              type: 'outcome',
              id,
              ...stored,
              seenAt: Date.now(),
            });
          },
          error: failed(id),
        }),
      );
    }
    if (output.json) output.result('', { type: 'watching', ids });
    else output.note(`watching ${ids.join(', ')} (Ctrl-C to stop)`);
    const code = await finished;
    for (const subscription of subscriptions) subscription.unsubscribe();
    if (output.json) output.result('', { type: 'end', watchedIds: connection.backend.watchedIds });
    return code;
  } finally {
    signals.off('SIGINT', onSignal);
    signals.off('SIGTERM', onSignal);
    for (const subscription of subscriptions) subscription.unsubscribe();
    await connection.close();
  }
}
