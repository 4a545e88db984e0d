import { asyncScheduler, filter, firstValueFrom, map, observeOn, Subject, startWith, timeout } from 'rxjs';
import { validateMilliseconds, validateOptions } from '../core/validate.js';
import type { Actor } from './actor.js';
import type { Broker, BrokerMiddleware, Delivery, JoinOptions, ReceiveOptions } from './Broker.js';
import { ActorAlreadyDeclaredError } from './errors/ActorAlreadyDeclaredError.js';
import { ActorNotFoundError } from './errors/ActorNotFoundError.js';
import { BrokerClosedError } from './errors/BrokerClosedError.js';
import { type Message, parseMessage } from './Message.js';
import { MiddlewareList } from './MiddlewareList.js';
import { validateCount, validateName } from './validate.js';

/** The longest a single timer waits (Node.js timers overflow beyond it). */
const MAX_TIMER = 2 ** 31 - 1;

interface Delayed {
  readonly dueAt: number;
  readonly queueName: string;
  readonly payload: string;
}

interface Waiter {
  readonly options: ReceiveOptions;
  readonly resolve: (deliveries: Delivery[]) => void;
}

/** Message counts of a {@link MemoryBroker}, for tests and monitoring. */
export interface MemoryBrokerStats {
  /** Messages waiting on their queue. */
  readonly ready: number;
  /** Messages waiting for their delay. */
  readonly delayed: number;
  /** Messages received by a worker and not yet acknowledged or returned. */
  readonly unacked: number;
  /** `receive` calls waiting for a message. */
  readonly waiting: number;
}

/**
 * A broker in this process: the embedded default of {@link getBroker}, for single-process use, demos and
 * tests. It mirrors {@link RedisBroker}'s semantics: messages are stored as JSON (a handler never shares
 * objects with the sender), delivered at least once (a received message is held until it is acknowledged,
 * and a returned one goes back to the front of its queue), and delayed messages wait for their delay.
 *
 * Delays use one timer for the earliest due message. It keeps the process alive only while a worker waits
 * for messages (a started worker will get the message when it is due); once every worker has stopped, the
 * timer no longer holds the process, so a script whose work is done exits even with messages still delayed.
 * `close()` clears it.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, MemoryBroker, Worker, actor } from 'rx-abort';
 * const broker = new MemoryBroker();
 * broker.addMiddleware(new Abortable({ backend: new MemoryBackend() }));
 * const greet = actor('greet', (name: string) => `hello ${name}`, { broker });
 * const worker = new Worker(broker).start();
 * await greet.send('world');
 * await broker.join();
 * await worker.stop();
 * await broker.close();
 * ```
 */
export class MemoryBroker implements Broker {
  readonly #middleware = new MiddlewareList();
  readonly #actors = new Map<string, Actor>();
  readonly #queues = new Map<string, string[]>();
  readonly #delayed: Delayed[] = [];
  readonly #unacked = new Map<string, number>();
  readonly #waiters = new Set<Waiter>();
  readonly #changes = new Subject<void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDueAt = Number.POSITIVE_INFINITY;
  #closed = false;

  get middleware(): readonly BrokerMiddleware[] {
    return this.#middleware.list;
  }

  get actors(): readonly Actor[] {
    return [...this.#actors.values()];
  }

  /** Message counts, over every queue or one. */
  stats(queueName?: string): MemoryBrokerStats {
    const queues = queueName === undefined ? [...this.#queues.values()] : [this.#queues.get(queueName) ?? []];
    return {
      ready: queues.reduce((sum, queue) => sum + queue.length, 0),
      delayed: this.#delayed.filter((item) => queueName === undefined || item.queueName === queueName).length,
      unacked:
        queueName === undefined
          ? [...this.#unacked.values()].reduce((sum, count) => sum + count, 0)
          : (this.#unacked.get(queueName) ?? 0),
      waiting: this.#waiters.size,
    };
  }

  addMiddleware(middleware: BrokerMiddleware): void {
    this.#middleware.add(middleware);
  }

  getMiddleware<T extends object>(type: abstract new (...args: never[]) => T): T | undefined {
    return this.#middleware.get(type);
  }

  declareActor(actor: Actor): void {
    const existing = this.#actors.get(actor.name);
    if (existing !== undefined && existing !== actor) throw new ActorAlreadyDeclaredError(actor.name);
    this.#actors.set(actor.name, actor);
  }

  getActor(name: string): Actor {
    const actor = this.#actors.get(name);
    if (actor === undefined) throw new ActorNotFoundError(name);
    return actor;
  }

  enqueue(message: Message): Promise<void> {
    if (this.#closed) return Promise.reject(new BrokerClosedError('memory'));
    const payload = JSON.stringify(message);
    if (message.delay !== undefined && message.delay > 0) {
      const item: Delayed = { dueAt: Date.now() + message.delay, queueName: message.queueName, payload };
      const index = this.#delayed.findIndex((other) => other.dueAt > item.dueAt);
      this.#delayed.splice(index === -1 ? this.#delayed.length : index, 0, item);
      this.#schedule();
    } else {
      this.#queue(message.queueName).push(payload);
      this.#dispatch();
    }
    this.#changes.next();
    return Promise.resolve();
  }

  receive(options: ReceiveOptions): Promise<Delivery[]> {
    if (this.#closed) return Promise.reject(new BrokerClosedError('memory'));
    const checked = validateReceiveOptions(options);
    if (checked.signal.aborted) return Promise.resolve([]);
    const taken = this.#take(checked);
    if (taken.length > 0) return Promise.resolve(taken);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        this.#keepAlive();
        resolve([]);
      };
      const waiter: Waiter = {
        options: checked,
        resolve: (deliveries) => {
          checked.signal.removeEventListener('abort', onAbort);
          this.#waiters.delete(waiter);
          this.#keepAlive();
          resolve(deliveries);
        },
      };
      this.#waiters.add(waiter);
      this.#keepAlive();
      checked.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  join(queueName?: string, options?: JoinOptions): Promise<void> {
    if (queueName !== undefined) validateName(queueName, 'queueName');
    const checked = validateOptions<JoinOptions>(options, { timeout: true });
    const limit =
      checked.timeout === undefined
        ? undefined
        : validateMilliseconds(checked.timeout, 'options.timeout', 0, MAX_TIMER);
    const empty$ = this.#changes.pipe(
      startWith(undefined),
      // Checked on a later macrotask, so that whoever acknowledged the last message (a worker) has
      // finished reacting to it (its events are out) when join resolves.
      observeOn(asyncScheduler),
      map(() => this.stats(queueName)),
      filter((stats) => stats.ready + stats.delayed + stats.unacked === 0),
      map(() => undefined),
    );
    return firstValueFrom(limit === undefined ? empty$ : empty$.pipe(timeout(limit)));
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of [...this.#waiters]) waiter.resolve([]);
    this.#changes.complete();
    return Promise.resolve();
  }

  #queue(queueName: string): string[] {
    let queue = this.#queues.get(queueName);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(queueName, queue);
    }
    return queue;
  }

  #take(options: ReceiveOptions): Delivery[] {
    const deliveries: Delivery[] = [];
    for (const queueName of options.queues) {
      const queue = this.#queues.get(queueName);
      while (queue !== undefined && queue.length > 0 && deliveries.length < options.max) {
        const payload = queue.shift() as string;
        const message = parseMessage(payload);
        if (message === undefined) continue;
        deliveries.push(this.#deliver(queueName, payload, message));
      }
    }
    return deliveries;
  }

  #deliver(queueName: string, payload: string, message: Message): Delivery {
    this.#unacked.set(queueName, (this.#unacked.get(queueName) ?? 0) + 1);
    let settled = false;
    const settle = (requeue: boolean): Promise<void> => {
      if (settled || this.#closed) return Promise.resolve();
      settled = true;
      this.#unacked.set(queueName, (this.#unacked.get(queueName) ?? 1) - 1);
      if (requeue) {
        this.#queue(queueName).unshift(payload);
        this.#dispatch();
      }
      this.#changes.next();
      return Promise.resolve();
    };
    return { message, ack: () => settle(false), nack: () => settle(true) };
  }

  #dispatch(): void {
    for (const waiter of [...this.#waiters]) {
      const taken = this.#take(waiter.options);
      if (taken.length > 0) waiter.resolve(taken);
    }
  }

  #schedule(): void {
    const next = this.#delayed[0];
    if (next === undefined || this.#closed) return;
    if (this.#timer !== undefined && this.#timerDueAt <= next.dueAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDueAt = next.dueAt;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerDueAt = Number.POSITIVE_INFINITY;
        this.#release();
      },
      Math.min(MAX_TIMER, Math.max(0, next.dueAt - Date.now())),
    );
    this.#keepAlive();
  }

  /**
   * The timer of the next delayed message keeps the process alive only while a worker waits to receive:
   * once every worker has stopped, a script whose work is done exits even with messages still delayed.
   */
  #keepAlive(): void {
    if (this.#timer === undefined) return;
    if (this.#waiters.size > 0) this.#timer.ref?.();
    else this.#timer.unref?.();
  }

  #release(): void {
    const now = Date.now();
    let released = false;
    while (this.#delayed[0] !== undefined && this.#delayed[0].dueAt <= now) {
      const item = this.#delayed.shift() as Delayed;
      this.#queue(item.queueName).push(item.payload);
      released = true;
    }
    if (released) {
      this.#dispatch();
      this.#changes.next();
    }
    this.#schedule();
  }
}

/** Checks {@link ReceiveOptions}. */
export function validateReceiveOptions(options: ReceiveOptions): ReceiveOptions {
  const checked = validateOptions<ReceiveOptions>(options, {
    queues: true,
    max: true,
    consumer: true,
    signal: true,
  });
  if (!Array.isArray(checked.queues) || checked.queues.length === 0) {
    throw new TypeError('options.queues must be a non-empty array of queue names');
  }
  checked.queues.forEach((queueName, index) => {
    validateName(queueName, `options.queues[${index}]`);
  });
  validateCount(checked.max, 'options.max', 1, Number.MAX_SAFE_INTEGER);
  if (typeof checked.consumer !== 'string' || checked.consumer.length === 0) {
    throw new TypeError('options.consumer must be a non-empty string');
  }
  if (!(checked.signal instanceof AbortSignal)) throw new TypeError('options.signal must be an AbortSignal');
  return checked as ReceiveOptions;
}
