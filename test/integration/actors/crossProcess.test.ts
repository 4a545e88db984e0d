import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, type Actor, actor, RedisBackend, RedisBroker } from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';

const fixture = fileURLToPath(new URL('./fixtures/workerProcess.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ChildEvent {
  readonly pid: number;
  readonly type: string;
  readonly messageId?: string;
  readonly at?: number;
  readonly [key: string]: unknown;
}

/** A worker process and the events it reported. */
class WorkerProcess {
  readonly events: ChildEvent[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;

  constructor(env: Record<string, string>) {
    this.child = fork(fixture, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message) => this.events.push(message as ChildEvent));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async next(type: string, messageId?: string, timeout = 10_000): Promise<ChildEvent> {
    const started = Date.now();
    for (;;) {
      const found = this.events.find(
        (event) => event.type === type && (messageId === undefined || event.messageId === messageId),
      );
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`worker ${this.pid} exited before '${type}'`);
      }
      if (Date.now() - started > timeout)
        throw new Error(`no '${type}' from worker ${this.pid} in ${timeout} ms`);
      await sleep(5);
    }
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send('stop');
    await Promise.race([this.exited, sleep(5000)]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

describe('across processes on real Redis', () => {
  let server: RedisServerHandle;
  let prefix: string;
  let broker: RedisBroker;
  let abortable: Abortable;
  let longTask: Actor<[ms: number]>;
  const children: WorkerProcess[] = [];

  const startWorker = async (env: Record<string, string> = {}) => {
    const worker = new WorkerProcess({ REDIS_URL: server.url, PREFIX: prefix, ...env });
    children.push(worker);
    await worker.next('ready', undefined, 20_000);
    return worker;
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());
  afterEach(async () => {
    for (const child of children.splice(0)) await child.stop();
    await broker.close();
    await abortable.close();
  });

  const client = () => {
    prefix = `x:${randomUUID()}:`;
    broker = new RedisBroker({ client: server.client(), prefix: `${prefix}broker:` });
    abortable = new Abortable({
      backend: new RedisBackend({ client: server.client(), prefix: `${prefix}abort:` }),
    });
    broker.addMiddleware(abortable);
    longTask = actor('long_task', (_ms: number) => undefined, { broker }) as Actor<[ms: number]>;
  };

  it('a client process aborts a task running in a worker process: the worker stops it and tears it down', async () => {
    client();
    const worker = await startWorker();
    const message = await longTask.send(60_000);
    await worker.next('started', message.messageId);
    await sleep(50);
    const abortedAt = performance.timeOrigin + performance.now();
    await abortable.abort(message.messageId, { reason: 'from the test process' });
    const teardown = await worker.next('teardown', message.messageId);
    const aborted = await worker.next('aborted', message.messageId);
    expect(aborted).toMatchObject({ started: true, event: { reason: 'from the test process' } });
    const latency = (teardown.at as number) - abortedAt;
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(1000);
    await broker.join(undefined, { timeout: 5000 });
  });

  it('a task aborted while queued is skipped by the worker process; others complete', async () => {
    client();
    const queued = await longTask.send(10);
    const cancelled = await longTask.send(10);
    const kept = await longTask.send(10);
    await abortable.abort(queued.messageId);
    await abortable.abort(cancelled.messageId, { mode: 'cancel' });
    const worker = await startWorker();
    expect((await worker.next('skipped', queued.messageId)).mode).toBe('abort');
    expect((await worker.next('skipped', cancelled.messageId)).mode).toBe('cancel');
    expect((await worker.next('succeeded', kept.messageId)).result).toMatch(/^done in \d+$/);
    expect(worker.events.filter((event) => event.type === 'started')).toHaveLength(1);
  });

  it('a worker killed mid-task (SIGKILL) has its message taken over by another worker', async () => {
    client();
    const doomed = await startWorker({ CLAIM_IDLE_TIME: '600' });
    const message = await longTask.send(300);
    await doomed.next('started', message.messageId);
    await doomed.kill();
    expect(await broker.stats('default')).toMatchObject({ length: 1, pending: 1 });
    const survivor = await startWorker({ CLAIM_IDLE_TIME: '600' });
    const done = await survivor.next('succeeded', message.messageId, 10_000);
    expect(done.result).toBe(`done in ${survivor.pid}`);
    await broker.join(undefined, { timeout: 5000 });
  });

  it('an abort issued while the killed worker held the message is honoured by the new owner', async () => {
    client();
    const doomed = await startWorker({ CLAIM_IDLE_TIME: '600' });
    const message = await longTask.send(60_000);
    await doomed.next('started', message.messageId);
    await doomed.kill();
    await abortable.abort(message.messageId, { reason: 'while orphaned' });
    const survivor = await startWorker({ CLAIM_IDLE_TIME: '600' });
    const skipped = await survivor.next('skipped', message.messageId, 10_000);
    expect(skipped).toMatchObject({ mode: 'abort', event: { reason: 'while orphaned' } });
    expect(survivor.events.filter((event) => event.type === 'started')).toHaveLength(0);
    await broker.join(undefined, { timeout: 5000 });
  });

  it('a worker process stopped gracefully returns its running task to the queue for another', async () => {
    client();
    const first = await startWorker();
    const message = await longTask.send(2500);
    await first.next('started', message.messageId);
    await first.stop();
    expect(
      first.events.find((event) => event.messageId === message.messageId && event.type === 'requeued'),
    ).toMatchObject({
      reason: 'shutdown',
    });
    const second = await startWorker();
    await second.next('succeeded', message.messageId, 10_000);
  });

  it('abortAndWait from the client process gets the outcome the worker process reports: skipped, stopped, finished', async () => {
    client();
    const politeTask = actor('polite_task', (_ms: number) => undefined, { broker }) as Actor<[ms: number]>;
    const queued = await longTask.send(10);
    const waitSkip = abortable.abortAndWait(queued.messageId, { timeout: 20_000 });
    const worker = await startWorker();
    const workerId = `child-${worker.pid}`;
    expect(await waitSkip).toEqual({
      id: queued.messageId,
      outcome: 'skipped',
      at: expect.any(Number),
      workerId,
    });

    const running = await longTask.send(60_000);
    const polite = await politeTask.send(60_000);
    const stubborn = await longTask.send(60_000);
    await worker.next('started', running.messageId);
    await worker.next('started', polite.messageId);
    await worker.next('started', stubborn.messageId);
    const [stopped, finished] = await abortable.abortAndWait([running.messageId, polite.messageId], {
      abortTimeout: 300,
      timeout: 10_000,
    });
    // polite_task finishes 10 ms after it is told; long_task does not, and is stopped at the deadline.
    expect(finished).toEqual({ id: polite.messageId, outcome: 'finished', at: expect.any(Number), workerId });
    expect(stopped).toEqual({ id: running.messageId, outcome: 'stopped', at: expect.any(Number), workerId });
    expect(await abortable.abortAndWait(stubborn.messageId, { timeout: 10_000 })).toMatchObject({
      outcome: 'stopped',
      workerId,
    });
    expect(await abortable.outcome(queued.messageId)).toMatchObject({ outcome: 'skipped', workerId });
    expect((abortable.backend as RedisBackend).watchedIds).toBe(0);
    await broker.join(undefined, { timeout: 5000 });
  });
});
