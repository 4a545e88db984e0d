import type { Abortable } from '../core/Abortable.js';
import type { Actor } from './actor.js';
import type { Message } from './Message.js';
import type { Middleware } from './Middleware.js';

/** What `broker.addMiddleware()` accepts: the {@link Abortable} middleware, or a user {@link Middleware}. */
export type BrokerMiddleware = Abortable | Middleware;

/**
 * One message handed to a worker by {@link Broker.receive}. Until it is acknowledged or returned, no other
 * worker gets it (on Redis: until its worker is presumed dead, see `claimIdleTime`).
 *
 * @example
 * ```ts
 * import { MemoryBroker, actor } from 'rx-abort';
 * const broker = new MemoryBroker();
 * const ping = actor('ping', () => 'pong', { broker });
 * await ping.send();
 * const [delivery] = await broker.receive({ queues: ['default'], max: 1, consumer: 'me', signal: new AbortController().signal });
 * await delivery?.ack();
 * ```
 */
export interface Delivery {
  /** The message. */
  readonly message: Message;
  /** Acknowledges it: the task succeeded, failed for good, was skipped or was aborted. Idempotent. */
  ack(): Promise<void>;
  /** Returns it to its queue so that a worker (maybe another) receives it again. Idempotent. */
  nack(): Promise<void>;
}

/** Options of {@link Broker.receive}. */
export interface ReceiveOptions {
  /** The queues to take messages from, in order of preference. */
  readonly queues: readonly string[];
  /** The most messages to return: the worker's free slots, so it never takes what it cannot run. */
  readonly max: number;
  /** Who receives (a worker id): on Redis, the stream consumer name. */
  readonly consumer: string;
  /** Aborting it makes a waiting `receive` resolve `[]` at once. */
  readonly signal: AbortSignal;
}

/** Options of {@link Broker.join}. */
export interface JoinOptions {
  /** Reject with a `TimeoutError` (from RxJS) after this many milliseconds. @default no limit */
  readonly timeout?: number;
}

/**
 * Where messages wait for workers: {@link MemoryBroker} (one process, the embedded default) or
 * {@link RedisBroker} (many processes, Redis Streams). Actors are declared on a broker and workers consume
 * from it; middleware added to it (notably {@link Abortable}) is used by its workers.
 *
 * Delivery is at least once: a message is acknowledged only after its task succeeded, failed for good,
 * was skipped or was aborted; a worker that stops or dies returns its messages to the queue.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, MemoryBroker, setBroker, type Broker } from 'rx-abort';
 * const broker: Broker = new MemoryBroker();
 * broker.addMiddleware(new Abortable({ backend: new MemoryBackend() }));
 * setBroker(broker);
 * ```
 */
export interface Broker {
  /** The middleware added so far, in order. */
  readonly middleware: readonly BrokerMiddleware[];
  /** The actors declared on this broker. */
  readonly actors: readonly Actor[];

  /**
   * Adds a middleware (an {@link Abortable}, or a {@link Middleware}). Add it before workers start.
   * @throws TypeError when `middleware` is not an object.
   */
  addMiddleware(middleware: BrokerMiddleware): void;

  /** The first middleware that is an instance of `type`, e.g. `broker.getMiddleware(Abortable)`. */
  getMiddleware<T extends object>(type: abstract new (...args: never[]) => T): T | undefined;

  /**
   * Declares an actor (`actor()` does it for you).
   * @throws ActorAlreadyDeclaredError when another actor has this name.
   */
  declareActor(actor: Actor): void;

  /**
   * The actor declared with `name`.
   * @throws ActorNotFoundError when there is none.
   */
  getActor(name: string): Actor;

  /** Puts a message on its queue (after its `delay`, if any). Resolves once the broker holds it. */
  enqueue(message: Message): Promise<void>;

  /**
   * Takes up to `max` messages from `queues`, waiting until at least one is available or `signal` aborts
   * (then it resolves `[]`). Used by {@link Worker}.
   */
  receive(options: ReceiveOptions): Promise<Delivery[]>;

  /**
   * Resolves once the queue (or every queue, without `queueName`) holds no message: none ready, none
   * delayed, none received and not yet acknowledged. For tests, demos and scripts.
   */
  join(queueName?: string, options?: JoinOptions): Promise<void>;

  /** Stops delay timers, releases connections, and makes waiting `receive` calls resolve `[]`. */
  close(): Promise<void>;
}
