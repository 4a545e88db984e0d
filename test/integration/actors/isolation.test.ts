import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { actor, RedisBackend, RedisBroker } from '../../../src/index.js';
import {
  BEHAVIOURS,
  type BehaviourArgs,
  IsolateLog,
  isAlive,
  runningMarker,
} from '../../actors/isolation/support.js';
import { harness } from '../../actors/support.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';

const execFileAsync = promisify(execFile);
const abortFromChild = fileURLToPath(new URL('../fixtures/abortFromChild.ts', import.meta.url));

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server.stop());

it('on Redis, handlers that ignore their signal (busy loop in a thread and in a child process, async loop) are terminated when another process aborts them; the next tasks run', async () => {
  const prefix = `iso:${randomUUID()}:`;
  const backend = new RedisBackend({ client: server.client(), prefix: `${prefix}abort:` });
  const broker = new RedisBroker({ client: server.client(), prefix: `${prefix}broker:` });
  const h = harness({}, { broker, backend, close: () => backend.close() });
  const log = new IsolateLog();
  const options = { broker, terminateGrace: 100 } as const;
  const inThread = actor<BehaviourArgs, unknown>('in_thread', BEHAVIOURS, {
    ...options,
    isolation: 'thread',
  });
  const inProcess = actor<BehaviourArgs, unknown>('in_process', BEHAVIOURS, {
    ...options,
    isolation: 'process',
    execArgv: ['--import', 'tsx'],
  });
  const abortElsewhere = (...ids: string[]) =>
    execFileAsync(process.execPath, [
      '--import',
      'tsx',
      abortFromChild,
      server.url,
      `${prefix}abort:`,
      ...ids,
    ]);
  const succeeds = async (message: Promise<{ messageId: string }>) =>
    (await h.next('succeeded', (await message).messageId, 20_000)).result as { pid: number };
  try {
    h.worker({ concurrency: 2 });
    // Warm both pools, so the loops below are running when they are aborted.
    const [first] = await Promise.all([
      succeeds(inProcess.send('whoami', null)),
      succeeds(inThread.send('whoami', null)),
    ]);
    const [threadRunning, processRunning] = [runningMarker(), runningMarker()];
    const threadLoop = await inThread.send('busy-loop', threadRunning.path);
    const processLoop = await inProcess.send('busy-loop', processRunning.path);
    await threadRunning.running();
    await processRunning.running();
    await abortElsewhere(threadLoop.messageId, processLoop.messageId);
    for (const message of [threadLoop, processLoop]) {
      expect(await h.next('aborted', message.messageId)).toMatchObject({
        started: true,
        event: { reason: expect.stringMatching(/^from pid \d+$/) },
      });
    }
    // The next tasks run (in replacements).
    const [second] = await Promise.all([
      succeeds(inProcess.send('whoami', null)),
      succeeds(inThread.send('whoami', null)),
    ]);
    expect(second?.pid).not.toBe(first?.pid);
    // With concurrency 2 the next task may start in a second isolate while the first is still being killed.
    await log.next('terminated', threadLoop.messageId);
    await log.next('terminated', processLoop.messageId);
    expect(log.of('terminated', threadLoop.messageId)).toHaveLength(1);
    expect(log.of('terminated', processLoop.messageId)).toHaveLength(1);
    expect(isAlive(first?.pid ?? 0)).toBe(false);

    const asyncRunning = runningMarker();
    const asyncLoop = await inThread.send('async-loop', asyncRunning.path);
    await asyncRunning.running();
    await abortElsewhere(asyncLoop.messageId);
    for (const marker of [threadRunning, processRunning, asyncRunning]) marker.remove();
    await h.next('aborted', asyncLoop.messageId);
    await succeeds(inThread.send('whoami', null));
    await log.next('terminated', asyncLoop.messageId);
    expect(log.of('terminated', asyncLoop.messageId)).toHaveLength(1);
  } finally {
    await h.teardown();
    expect(log.alive).toBe(0);
    log.close();
  }
}, 60_000);
