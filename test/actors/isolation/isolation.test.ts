import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Actor, actor, IsolatedTaskError, type Isolation, MemoryBroker } from '../../../src/index.js';
import { type Harness, harness, sleep, typesOf } from '../support.js';
import {
  BEHAVIOURS,
  type BehaviourArgs,
  IsolateLog,
  isAlive,
  isolateHandles,
  runningMarker,
} from './support.js';

interface WhoAmI {
  pid: number;
  threadId: number;
}

describe.each<Isolation>(['thread', 'process'])('isolation %s', (isolation) => {
  let h: Harness;
  let log: IsolateLog;
  let handlesBefore: number;
  const declare = (
    options: { terminateGrace?: number; maxRetries?: number } = {},
  ): Actor<BehaviourArgs, unknown> =>
    actor<BehaviourArgs, unknown>('behave', BEHAVIOURS, {
      broker: h.broker,
      isolation,
      terminateGrace: 100,
      minBackoff: 0,
      // A TypeScript module in a child process: tsx as a flag works too (threads need no flag).
      ...(isolation === 'process' ? { execArgv: ['--import', 'tsx'] } : {}),
      ...options,
    });
  const whoami = async (behave: Actor<BehaviourArgs, unknown>): Promise<WhoAmI> => {
    const message = await behave.send('whoami', null);
    return (await h.next('succeeded', message.messageId, 15_000)).result as WhoAmI;
  };
  const idOf = (who: WhoAmI): number => (isolation === 'thread' ? who.threadId : who.pid);

  beforeEach(() => {
    handlesBefore = isolateHandles();
    log = new IsolateLog();
    h = harness();
  });
  afterEach(async () => {
    await h.teardown();
    // Nothing left: every isolate started has exited, and no thread or child handle remains.
    expect(log.alive).toBe(0);
    expect(isolateHandles()).toBe(handlesBefore);
    if (isolation === 'process') {
      for (const event of log.of('started')) expect(isAlive(event.isolateId)).toBe(false);
    }
    log.close();
  });

  it('a busy loop that never looks at its signal is terminated after the grace and reported aborted; the next task runs in a replacement', async () => {
    const behave = declare();
    h.worker({ concurrency: 1 });
    const first = await whoami(behave);
    const marker = runningMarker();
    const message = await behave.send('busy-loop', marker.path);
    await marker.running();
    marker.remove();
    await h.abortable.abort(message.messageId, { reason: 'too slow' });
    const aborted = await h.next('aborted', message.messageId);
    expect(aborted).toMatchObject({ started: true, graceful: false, event: { reason: 'too slow' } });
    const next = await whoami(behave);
    expect(log.of('terminated', message.messageId)).toHaveLength(1);
    expect(idOf(next)).not.toBe(idOf(first));
    expect(log.of('started')).toHaveLength(2);
  });

  it("inside the isolate, the signal's reason is an Abort, with its name and message", async () => {
    const behave = declare({ terminateGrace: 5000 });
    h.worker({ concurrency: 1 });
    // Warm: the module is loaded, so the handler listens before the abort message arrives.
    await whoami(behave);
    const report = join(mkdtempSync(join(tmpdir(), 'rx-abort-reason-')), 'reason.json');
    const message = await behave.send('signal-reason', report);
    await h.next('started', message.messageId);
    for (const started = Date.now(); !existsSync(`${report}.listening`); await sleep(5)) {
      if (Date.now() - started > 10_000) throw new Error('the handler never started listening');
    }
    await h.abortable.abort(message.messageId, { reason: 'seen inside' });
    await h.next('aborted', message.messageId);
    // Written by the handler when its signal aborts, in the isolate.
    let written: unknown;
    for (const started = Date.now(); written === undefined; await sleep(10)) {
      if (Date.now() - started > 10_000) throw new Error('the handler never wrote its signal reason');
      try {
        written = JSON.parse(readFileSync(report, 'utf8'));
      } catch {}
    }
    expect(written).toEqual({
      name: 'Abort',
      message: `Task ${JSON.stringify(message.messageId)} was aborted: seen inside`,
    });
    rmSync(dirname(report), { recursive: true });
  });

  it.runIf(isolation === 'thread')(
    'a cooperative handler that ends on its signal within the grace is not terminated: its isolate is reused',
    async () => {
      const behave = declare({ terminateGrace: 5000 });
      h.worker({ concurrency: 1 });
      const first = await whoami(behave);
      const message = await behave.send('cooperative', null);
      await h.next('started', message.messageId);
      await sleep(20);
      await h.abortable.abort(message.messageId);
      await h.next('aborted', message.messageId);
      const next = await whoami(behave);
      expect(idOf(next)).toBe(idOf(first));
      expect(log.of('terminated')).toHaveLength(0);
      expect(log.of('started')).toHaveLength(1);
    },
  );

  it('a handler error and an uncloneable result come back as IsolatedTaskError with the original message and stack', async () => {
    const behave = declare();
    h.worker({ concurrency: 1 });
    const thrown = await behave.send('throw', 7);
    const uncloneable = await behave.send('uncloneable', null);
    const threw = (await h.next('failed', thrown.messageId, 15_000)).error as IsolatedTaskError;
    expect(threw).toBeInstanceOf(IsolatedTaskError);
    expect(threw).toMatchObject({
      reason: 'threw',
      message: 'boom 7',
      actorName: 'behave',
      messageId: thrown.messageId,
      remote: { name: 'RangeError', message: 'boom 7' },
    });
    expect(threw.stack).toContain('behaviours.ts');
    expect((threw.cause as Error).name).toBe('RangeError');
    const failed = (await h.next('failed', uncloneable.messageId)).error as IsolatedTaskError;
    expect(failed).toMatchObject({ reason: 'uncloneable-result' });
    expect(failed.message).toMatch(/could not be cloned/);
    expect(log.of('started')).toHaveLength(1);
  });

  it('a crashed isolate fails its task (retried per maxRetries) and is replaced', async () => {
    const behave = declare({ maxRetries: 1 });
    h.worker({ concurrency: 1 });
    if (isolation === 'thread') {
      const exit = await behave.sendWithOptions({ args: ['exit', 3], maxRetries: 0 });
      const failed = (await h.next('failed', exit.messageId, 15_000)).error as IsolatedTaskError;
      expect(failed).toMatchObject({ reason: 'crashed' });
      expect(failed.message).toMatch(/exited with code 3/);
      await whoami(behave);
      expect(log.of('exited')).toHaveLength(1);
      expect(log.of('started')).toHaveLength(2);
      return;
    }
    const once = await behave.send('crash-once', null);
    expect((await h.next('retried', once.messageId, 15_000)).error).toMatchObject({
      reason: 'crashed',
      message: expect.stringMatching(/crashed on purpose/),
    });
    expect((await h.next('succeeded', once.messageId, 15_000)).result).toBe('second attempt');
    expect(log.of('exited')).toHaveLength(1);
    expect(log.of('started')).toHaveLength(2);
  });

  it('stop({ timeout }) terminates an isolate still running at the timeout; its message is returned to the queue', async () => {
    const behave = declare();
    const worker = h.worker({ concurrency: 2 });
    const message = await behave.send('busy-loop', null);
    await h.next('started', message.messageId, 15_000);
    await worker.stop({ timeout: 50 });
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'started', 'requeued']);
    expect(log.of('terminated', message.messageId)).toHaveLength(1);
    expect(log.alive).toBe(0);
    // The message is back in the queue: run it to its abort so the broker is empty for the teardown.
    h.worker({ concurrency: 1 });
    await h.next('started', message.messageId, 15_000);
    await h.abortable.abort(message.messageId);
    await h.next('aborted', message.messageId);
  });
});

describe('isolation thread', () => {
  let h: Harness;
  let log: IsolateLog;
  beforeEach(() => {
    log = new IsolateLog();
    h = harness();
  });
  afterEach(async () => {
    await h.teardown();
    expect(log.alive).toBe(0);
    log.close();
  });
  const declare = (options: { terminateGrace?: number; resourceLimits?: object } = {}) =>
    actor<BehaviourArgs, unknown>('behave', BEHAVIOURS, {
      broker: h.broker,
      isolation: 'thread',
      terminateGrace: 100,
      ...options,
    });

  it('an async loop that ignores its signal is terminated after the grace (default 250 ms) and reported aborted', async () => {
    const behave = actor<BehaviourArgs, unknown>('behave', BEHAVIOURS, {
      broker: h.broker,
      isolation: 'thread',
    });
    expect(behave.isolation?.terminateGrace).toBe(250);
    h.worker({ concurrency: 1 });
    // A warm isolate: the handler module is loaded, so the handler runs before the abort message arrives
    // (an abort that reaches the isolate while the module still loads ends the task unrun, nothing to kill).
    await h.next('succeeded', (await behave.send('whoami', null)).messageId, 15_000);
    const marker = runningMarker();
    const message = await behave.send('async-loop', marker.path);
    await marker.running();
    marker.remove();
    // The clock of IsolateEvent.at.
    const abortedAt = performance.timeOrigin + performance.now();
    await h.abortable.abort(message.messageId);
    await h.next('aborted', message.messageId);
    // Terminated after the grace, however long a loaded machine takes to get there.
    const terminated = await log.next('terminated', message.messageId);
    expect(terminated.at - abortedAt).toBeGreaterThanOrEqual(200);
    expect(log.of('terminated', message.messageId)).toHaveLength(1);
  });

  it('the pool holds at most concurrency isolates; a graceful abort: the handler sees abortRequested$ and finishes in time, or is terminated at the deadline', async () => {
    const behave = declare();
    h.worker({ concurrency: 2 });
    // The pool holds at most `concurrency` isolates, reused.
    const warm = await Promise.all([1, 2, 3, 4].map(() => behave.send('whoami', null)));
    for (const message of warm) await h.next('succeeded', message.messageId, 15_000);
    expect(log.of('started').length).toBeLessThanOrEqual(2);
    const inTime = await behave.send('graceful', 20);
    await h.next('started', inTime.messageId);
    await sleep(50);
    await h.abortable.abort(inTime.messageId, { abortTimeout: 300 });
    const succeeded = await h.next('succeeded', inTime.messageId);
    expect(succeeded.abortRequested).toBe(true);
    const { timeLeft } = succeeded.result as { timeLeft: number };
    expect(timeLeft).toBeGreaterThan(100);
    expect(timeLeft).toBeLessThanOrEqual(300);
    const late = await behave.send('graceful', 60_000);
    await h.next('started', late.messageId);
    await sleep(50);
    await h.abortable.abort(late.messageId, { abortTimeout: 200 });
    expect(await h.next('aborted', late.messageId)).toMatchObject({ graceful: true });
    await log.next('terminated', late.messageId);
    expect(log.of('terminated', inTime.messageId)).toHaveLength(0);
    expect(log.of('terminated', late.messageId)).toHaveLength(1);
  });

  it('a thread out of memory (resourceLimits) fails its task as crashed', async () => {
    const behave = declare({ resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
    h.worker({ concurrency: 1 });
    const message = await behave.send('oom', null);
    const failed = (await h.next('failed', message.messageId, 15_000)).error as IsolatedTaskError;
    expect(failed).toMatchObject({ reason: 'crashed', remote: { code: 'ERR_WORKER_OUT_OF_MEMORY' } });
  });
});

describe('actor(name, moduleUrl, options) validation', () => {
  const broker = new MemoryBroker();
  it('rejects bad modules and options with a TypeError naming them', () => {
    expect(() => actor('a1', BEHAVIOURS, { broker } as never)).toThrow(
      /a module URL declares an isolated actor and needs options\.isolation/,
    );
    expect(() => actor('a0', BEHAVIOURS, { broker, isolation: 'fork' as never })).toThrow(
      /options\.isolation must be 'thread' or 'process'/,
    );
    expect(() => actor('a2', './behaviours.ts', { broker, isolation: 'thread' })).toThrow(
      /moduleUrl must be a URL/,
    );
    expect(() => actor('a3', new URL('./missing.js', BEHAVIOURS), { broker, isolation: 'thread' })).toThrow(
      /moduleUrl names no file/,
    );
    expect(() => actor('a4', 'https://example.com/x.js', { broker, isolation: 'thread' })).toThrow(
      /moduleUrl/,
    );
    expect(() =>
      actor('a5', BEHAVIOURS, {
        broker,
        isolation: 'process',
        resourceLimits: { maxOldGenerationSizeMb: 64 },
      }),
    ).toThrow(/resourceLimits applies to isolation 'thread' only/);
    expect(() => actor('a6', BEHAVIOURS, { broker, isolation: 'thread', terminateGrace: -1 })).toThrow(
      /options\.terminateGrace/,
    );
    expect(() => actor('a7', BEHAVIOURS, { broker, isolation: 'thread', execArgv: [1] as never })).toThrow(
      /options\.execArgv/,
    );
    expect(() => actor('a8', () => 1, { broker, isolation: 'thread' } as never)).toThrow(
      /options\.isolation needs a module URL/,
    );
    expect(() => actor('a9', 42 as never, { broker })).toThrow(/handler must be a function, or a module URL/);
    expect(broker.actors).toHaveLength(0);
  });

  it('accepts a URL, a file: URL string and an absolute path', () => {
    const path = new URL(BEHAVIOURS).pathname;
    for (const [name, module] of [
      ['u1', BEHAVIOURS],
      ['u2', BEHAVIOURS.href],
      ['u3', path],
    ] as const) {
      expect(actor(name, module, { broker, isolation: 'thread' }).isolation?.moduleUrl).toBe(BEHAVIOURS.href);
    }
  });
});
