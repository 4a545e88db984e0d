import { ABORT_MODES, type AbortMode, type AbortOutcome } from '../../index.js';
import { connect } from '../connect.js';
import type { Output } from '../Output.js';
import { type CommandLine, integerOption, UsageError } from '../parseCommandLine.js';
import { describeOutcome, storedOutcome } from './describeOutcome.js';

type Run = Extract<CommandLine, { kind: 'run' }>;

/**
 * `rx-abort abort <id...>`: writes the marks and prints one line per id; with `--wait`, waits for each
 * id's outcome (`abortAndWait`), prints it, and resolves 1 when an id got none.
 */
export async function abortCommand(line: Run, output: Output): Promise<number> {
  const { values, ids, global } = line;
  const mode = (values.mode ?? 'abort') as AbortMode;
  if (!ABORT_MODES.includes(mode)) {
    throw new UsageError(
      `--mode must be ${ABORT_MODES.join(' or ')}, got ${JSON.stringify(values.mode)}`,
      'abort',
    );
  }
  const abortTtl = integerOption(values.ttl, 'ttl', 'abort');
  const abortTimeout = integerOption(values.timeout, 'timeout', 'abort') ?? 0;
  const reason = values.reason as string | undefined;
  const wait = integerOption(values.wait, 'wait', 'abort');
  const options = {
    mode,
    abortTimeout,
    ...(abortTtl === undefined ? {} : { abortTtl }),
    ...(reason === undefined ? {} : { reason }),
  };
  const connection = connect(global, 'abort');
  try {
    if (wait !== undefined) {
      let outcomes: Promise<Array<AbortOutcome | null>>;
      try {
        outcomes = connection.abortable.abortAndWait(ids, { ...options, timeout: wait });
      } catch (error) {
        throw new UsageError((error as Error).message, 'abort'); // invalid ids, ttl, timeout, reason or wait
      }
      const results = await outcomes;
      for (const [index, id] of ids.entries()) {
        const outcome = results[index] ?? null;
        output.result(
          outcome === null
            ? `${id}: no outcome within ${wait} ms (not picked up yet, finished before the abort, or unknown)`
            : `${id}: ${describeOutcome(outcome)}`,
          { type: 'outcome', id, outcome: storedOutcome(outcome) },
        );
      }
      return results.every((outcome) => outcome !== null) ? 0 : 1;
    }
    let written: Promise<void>;
    try {
      written = connection.abortable.abort(ids, options);
    } catch (error) {
      throw new UsageError((error as Error).message, 'abort'); // invalid ids, ttl, timeout or reason
    }
    await written;
    const ttl = abortTtl ?? connection.abortable.abortTtl;
    for (const id of new Set(ids)) {
      output.result(
        `aborted ${id} (mode ${mode}, window ${ttl} ms${abortTimeout > 0 ? `, graceful ${abortTimeout} ms` : ''}${reason === undefined ? '' : `, reason ${JSON.stringify(reason)}`})`,
        { type: 'abort', id, mode, abortTtl: ttl, abortTimeout, ...(reason === undefined ? {} : { reason }) },
      );
    }
    return 0;
  } finally {
    await connection.close();
  }
}
