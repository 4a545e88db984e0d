import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { lastValueFrom, NEVER } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { IsolatePool } from '../../../src/actors/isolation/IsolatePool.js';
import type { Message } from '../../../src/actors/Message.js';
import type { TaskContext } from '../../../src/actors/TaskContext.js';
import { ISOLATE_CHANNEL, type IsolateEvent, type Isolation } from '../../../src/index.js';
import { BEHAVIOURS, type BehaviourArgs, IsolateLog } from './support.js';

interface WhoAmI {
  readonly pid: number;
  readonly threadId: number;
}

const ACTOR = 'pooled';

/** One task of the behaviours module, as a worker hands it to the pool. */
function task(...args: BehaviourArgs): [Message, TaskContext] {
  const message: Message = {
    messageId: randomUUID(),
    actorName: ACTOR,
    queueName: 'default',
    args,
    options: {},
    enqueuedAt: Date.now(),
    retries: 0,
  };
  const context: TaskContext = {
    messageId: message.messageId,
    message,
    signal: new AbortController().signal,
    abortRequested$: NEVER,
    abortRequested: () => null,
  };
  return [message, context];
}

describe.each<Isolation>(['thread', 'process'])('IsolatePool, isolation %s', (isolation) => {
  let pool: IsolatePool | undefined;
  let log: IsolateLog | undefined;
  afterEach(async () => {
    await pool?.close();
    expect(log?.alive).toBe(0);
    log?.close();
  });

  // 'exited' is published as the isolate exits, before its task (none: it is idle) is told, while the pool
  // still lists it idle; its `exited` promise settles later (for a process, a turn of the loop after its
  // 'close'). A task sent in the event, or in a microtask right after it, used to get the dead isolate: it
  // failed as crashed, or waited forever (its run message dropped, its exit already reported).
  it.each([
    ['in the exit event', (send: () => void) => send()],
    ['just after the exit event', (send: () => void) => queueMicrotask(send)],
  ])(
    'never gives a task an isolate that exited while idle: a task sent %s runs in a replacement',
    async (_when, schedule) => {
      log = new IsolateLog();
      const pool1 = new IsolatePool(
        ACTOR,
        {
          isolation,
          moduleUrl: BEHAVIOURS.href,
          terminateGrace: 100,
          execArgv: isolation === 'process' ? ['--import', 'tsx'] : undefined,
          resourceLimits: undefined,
        },
        1,
      );
      pool = pool1;
      const idOf = (who: WhoAmI): number => (isolation === 'thread' ? who.threadId : who.pid);
      const second = new Promise<WhoAmI>((resolve, reject) => {
        const onEvent = (event: unknown): void => {
          const { type, actorName } = event as IsolateEvent;
          if (type !== 'exited' || actorName !== ACTOR) return;
          unsubscribe(ISOLATE_CHANNEL, onEvent);
          schedule(() =>
            lastValueFrom(pool1.run(...task('whoami', null))).then((who) => resolve(who as WhoAmI), reject),
          );
        };
        subscribe(ISOLATE_CHANNEL, onEvent);
      });
      // Returns, then exits by itself 300 ms later, idle.
      const first = (await lastValueFrom(pool1.run(...task('exit-after-return', 300)))) as WhoAmI;
      const next = await second;
      expect(idOf(next)).not.toBe(idOf(first));
      expect(log.of('exited')).toHaveLength(1);
      expect(log.of('started')).toHaveLength(2);
    },
    30_000,
  );
});
