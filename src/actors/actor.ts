import { randomUUID } from 'node:crypto';
import { from, isObservable, type Observable, of } from 'rxjs';
import { validateBoolean, validateOptions } from '../core/validate.js';
import type { Broker } from './Broker.js';
import { getBroker } from './getBroker.js';
import { isAsyncIterable, isPromiseLike } from './handlerOutput.js';
import {
  ISOLATION_KEYS,
  type IsolatedActorOptions,
  type IsolationSpec,
  validateIsolation,
} from './isolation/IsolatedActorOptions.js';
import type { Message, MessageOptions } from './Message.js';
import type { TaskContext } from './TaskContext.js';
import { validateArgs, validateDelay, validateMaxRetries, validateName } from './validate.js';

/**
 * A handler: takes the message args, then the {@link TaskContext} as its last argument, and returns an
 * Observable, a promise, an async iterable or a plain value (the task's result).
 */
// biome-ignore lint/suspicious/noExplicitAny: handler parameters are inferred from the user's function.
export type ActorHandler = (...args: any[]) => unknown;

type FixedLength<P extends readonly unknown[]> = number extends P['length'] ? never : P;

/** Whether a last parameter is the context: a TaskContext fits it, and it is not `unknown` or `any`. */
type IsContext<Last> = unknown extends Last ? false : [TaskContext] extends [Last] ? true : false;

/**
 * The message args of a handler type: its parameters without the trailing context parameter.
 *
 * The last parameter is taken as the context when a {@link TaskContext} can be passed to it and it is not
 * typed `unknown` or `any` (annotate it: `{ signal }: TaskContext`, or a `Pick` of it; a last parameter
 * typed `object` is taken as the context too). Every other parameter must be sent: the context is always
 * passed right after the args that were sent, so optional parameters become required (JSON has no
 * `undefined`: use `T | null`). Rest parameters cannot be typed this way: a handler with one gets `never`
 * args (declare an array parameter instead).
 *
 * @example
 * ```ts
 * import type { ActorArgs, TaskContext } from 'rx-abort';
 * type Args = ActorArgs<(url: string, depth: number | null, context: TaskContext) => Promise<number>>;
 * const args: Args = ['https://example.com', null];
 * ```
 */
export type ActorArgs<H extends ActorHandler> =
  Required<Parameters<H>> extends readonly [...infer Args, infer Last]
    ? IsContext<Last> extends true
      ? Args
      : FixedLength<Required<Parameters<H>>>
    : FixedLength<Required<Parameters<H>>>;

/**
 * The result type of a handler type: what its Observable emits last, what its promise resolves to, or the
 * plain value it returns.
 *
 * @example
 * ```ts
 * import type { ActorResult } from 'rx-abort';
 * const words: ActorResult<(url: string) => Promise<number>> = 42;
 * ```
 */
export type ActorResult<H extends ActorHandler> =
  ReturnType<H> extends Observable<infer T>
    ? T
    : ReturnType<H> extends PromiseLike<infer T>
      ? T
      : ReturnType<H> extends AsyncIterable<infer T>
        ? T
        : ReturnType<H>;

/** Options of {@link actor}. */
export interface ActorOptions {
  /**
   * The queue its messages go to; a worker consumes the queues it is given.
   * @default 'default'
   */
  queueName?: string;
  /**
   * Whether its messages can be skipped and stopped by an abort. A message's own option wins; when neither
   * says, the `Abortable` middleware's `abortable` default applies.
   * @default the Abortable middleware's default (true)
   */
  abortable?: boolean;
  /**
   * How many times a failed attempt is retried (with the same `messageId`). An aborted task is never
   * retried, nor is one that failed after an abort was requested.
   * @default 0
   */
  maxRetries?: number;
  /** Delay before the first retry, in milliseconds; it doubles for each further retry. @default 1000 */
  minBackoff?: number;
  /** The longest delay between retries, in milliseconds. @default 300_000 */
  maxBackoff?: number;
  /** The broker to declare the actor on. @default the default broker, {@link getBroker}() */
  broker?: Broker;
}

/**
 * Options of {@link Actor.sendWithOptions}: the args, a delay, and per-message {@link MessageOptions}.
 * `args` may be left out for an actor that takes none.
 */
export type SendOptions<Args extends readonly unknown[]> = MessageOptions & {
  /**
   * Milliseconds the message waits in the broker before a worker may take it (at most 10 years).
   * @default 0
   */
  readonly delay?: number;
} & (Args extends readonly [] ? { readonly args?: Args } : { readonly args: Args });

/**
 * An actor: a named handler declared on a broker. Send it messages with {@link Actor.send}; a
 * {@link Worker} on the same broker runs them. Create actors with {@link actor}.
 *
 * @example
 * ```ts
 * import { MemoryBroker, actor, type Actor } from 'rx-abort';
 * const broker = new MemoryBroker();
 * const add: Actor<[number, number], number> = actor('add', (a: number, b: number) => a + b, { broker });
 * console.log(add.name, add.queueName, (await add.send(1, 2)).messageId);
 * ```
 */
export class Actor<Args extends readonly unknown[] = readonly unknown[], Result = unknown> {
  /** The actor's name, unique on its broker. */
  readonly name: string;
  /** The queue its messages go to. */
  readonly queueName: string;
  /** Its `abortable` option (`undefined`: the middleware's default decides). */
  readonly abortable: boolean | undefined;
  /** How many times a failed attempt is retried. */
  readonly maxRetries: number;
  /** Delay before the first retry, in milliseconds. */
  readonly minBackoff: number;
  /** The longest delay between retries, in milliseconds. */
  readonly maxBackoff: number;
  /** The broker it is declared on. */
  readonly broker: Broker;
  /** Where its handler runs when it is isolated (declared with a module URL), else `undefined`. */
  readonly isolation: IsolationSpec | undefined;
  readonly #handler: ActorHandler | undefined;

  /**
   * Declares the actor on `options.broker` (default: the default broker). Prefer {@link actor}, which infers
   * the argument types from the handler.
   * @param name - unique on the broker.
   * @param handler - the handler, or for an isolated actor the URL of the module whose default export it
   * is (then `options.isolation` is required).
   * @param options - see {@link ActorOptions} and {@link IsolatedActorOptions}.
   * @throws TypeError / RangeError for an invalid name, handler or option; ActorAlreadyDeclaredError when
   * the broker has another actor with this name.
   */
  constructor(
    name: string,
    handler: ActorHandler | URL | string,
    options?: ActorOptions | IsolatedActorOptions,
  ) {
    this.name = validateName(name, 'name');
    const checked = validateOptions<IsolatedActorOptions>(options, {
      queueName: true,
      abortable: true,
      maxRetries: true,
      minBackoff: true,
      maxBackoff: true,
      broker: true,
      isolation: true,
      terminateGrace: true,
      execArgv: true,
      resourceLimits: true,
    });
    if (typeof handler === 'function') {
      const isolationKey = ISOLATION_KEYS.find((key) => checked[key] !== undefined);
      if (isolationKey !== undefined) {
        throw new TypeError(
          `options.${isolationKey} needs a module URL instead of a handler function: actor(name, new URL('./handler.js', import.meta.url), { isolation: 'thread' })`,
        );
      }
      this.#handler = handler;
      this.isolation = undefined;
    } else if ((handler instanceof URL || typeof handler === 'string') && checked.isolation !== undefined) {
      this.#handler = undefined;
      this.isolation = validateIsolation(handler, checked);
    } else {
      throw new TypeError(
        handler instanceof URL || typeof handler === 'string'
          ? "handler must be a function; a module URL declares an isolated actor and needs options.isolation ('thread' or 'process')"
          : 'handler must be a function, or a module URL for an isolated actor',
      );
    }
    this.queueName =
      checked.queueName === undefined ? 'default' : validateName(checked.queueName, 'options.queueName');
    this.abortable = validateBoolean(checked.abortable, 'options.abortable');
    this.maxRetries =
      checked.maxRetries === undefined ? 0 : validateMaxRetries(checked.maxRetries, 'options.maxRetries');
    this.minBackoff =
      checked.minBackoff === undefined ? 1000 : validateDelay(checked.minBackoff, 'options.minBackoff');
    this.maxBackoff =
      checked.maxBackoff === undefined ? 300_000 : validateDelay(checked.maxBackoff, 'options.maxBackoff');
    if (this.maxBackoff < this.minBackoff) {
      throw new RangeError(
        `options.maxBackoff (${this.maxBackoff}) must not be less than options.minBackoff (${this.minBackoff})`,
      );
    }
    const broker = checked.broker ?? getBroker();
    if (broker === null || typeof broker !== 'object' || typeof broker.declareActor !== 'function') {
      throw new TypeError('options.broker must be a Broker (for example new MemoryBroker())');
    }
    this.broker = broker;
    broker.declareActor(this as unknown as Actor);
  }

  /**
   * Sends a message with these args to the actor's queue.
   *
   * @example
   * ```ts
   * import { MemoryBroker, abort, actor } from 'rx-abort';
   * const broker = new MemoryBroker();
   * const countWords = actor('count_words', (url: string) => url.length, { broker });
   * const message = await countWords.send('https://example.com');
   * console.log(message.messageId);
   * ```
   * @param args - the handler's arguments (JSON data).
   * @returns the message, once the broker holds it.
   * @throws TypeError synchronously for args that are not JSON data, naming the first bad one (`args[i]`).
   */
  send(...args: Args): Promise<Message<Args>> {
    return this.#enqueue(args, {});
  }

  /**
   * Sends a message with options: a `delay`, and per-message `abortable` and `maxRetries`.
   *
   * @example
   * ```ts
   * import { MemoryBroker, actor } from 'rx-abort';
   * const broker = new MemoryBroker();
   * const countWords = actor('count_words', (url: string) => url.length, { broker });
   * const later = await countWords.sendWithOptions({ args: ['https://example.com'], delay: 60 * 60 * 1000 });
   * await broker.close();
   * ```
   * @param options - see {@link SendOptions}.
   * @returns the message, once the broker holds it.
   * @throws TypeError / RangeError synchronously for bad args or options, naming them.
   */
  sendWithOptions(options: SendOptions<Args>): Promise<Message<Args>> {
    const checked = validateOptions<SendOptions<readonly unknown[]>>(options, {
      args: true,
      delay: true,
      abortable: true,
      maxRetries: true,
    });
    const args = checked.args === undefined ? [] : checked.args;
    return this.#enqueue(args as unknown as Args, {
      delay: checked.delay === undefined ? undefined : validateDelay(checked.delay, 'options.delay'),
      abortable: validateBoolean(checked.abortable, 'options.abortable'),
      maxRetries:
        checked.maxRetries === undefined
          ? undefined
          : validateMaxRetries(checked.maxRetries, 'options.maxRetries'),
    });
  }

  /**
   * Runs the handler for a message: what a {@link Worker} does. The returned Observable calls the handler
   * when subscribed.
   * @param message - the message (its `args` are spread before the context).
   * @param context - the task's context.
   */
  process(message: Message, context: TaskContext): Observable<Result> {
    if (this.#handler === undefined) {
      throw new TypeError(
        `Actor ${JSON.stringify(this.name)} runs in an isolate (${this.isolation?.isolation}): a Worker runs its tasks`,
      );
    }
    const output = this.#handler(...message.args, context);
    if (isObservable(output)) return output as Observable<Result>;
    if (isPromiseLike(output) || isAsyncIterable(output)) return from(output) as Observable<Result>;
    return of(output as Result);
  }

  /**
   * The delay before retry number `retries + 1`: `minBackoff * 2^retries`, at most `maxBackoff`.
   * @param retries - attempts that failed before the one that just failed (`0` after the first).
   */
  backoff(retries: number): number {
    return Math.min(this.maxBackoff, this.minBackoff * 2 ** Math.min(retries, 64));
  }

  #enqueue(
    args: Args,
    options: { delay?: number | undefined; abortable?: boolean | undefined; maxRetries?: number | undefined },
  ): Promise<Message<Args>> {
    validateArgs(args, 'args');
    const messageOptions: { abortable?: boolean; maxRetries?: number } = {};
    if (options.abortable !== undefined) messageOptions.abortable = options.abortable;
    if (options.maxRetries !== undefined) messageOptions.maxRetries = options.maxRetries;
    const message: Message<Args> = {
      messageId: randomUUID(),
      actorName: this.name,
      queueName: this.queueName,
      // A copy: the message keeps what was sent, whatever the caller does with its objects afterwards.
      args: JSON.parse(JSON.stringify(args)) as Args,
      options: messageOptions,
      enqueuedAt: Date.now(),
      retries: 0,
      ...(options.delay ? { delay: options.delay } : {}),
    };
    return this.broker.enqueue(message).then(() => message);
  }
}

/**
 * Declares an actor on the default broker (or `options.broker`): a named handler that workers run for each
 * message sent to it. The handler gets the message args, then a {@link TaskContext} as its last argument,
 * and returns an Observable, a promise, an async iterable or a plain value. The args of `send()` are typed
 * from the handler's parameters (see {@link ActorArgs}).
 *
 * @example
 * ```ts
 * import { from } from 'rxjs';
 * import { abort, actor, type TaskContext } from 'rx-abort';
 * const countWords = actor('count_words', (url: string, { signal }: TaskContext) =>
 *   from(fetch(url, { signal }).then(async (response) => (await response.text()).split(/\s+/).length)),
 * );
 * const message = await countWords.send('https://example.com');
 * await abort(message.messageId);
 * ```
 * @param name - unique on the broker: 1 to 256 characters of `A-Z a-z 0-9 _ . : -`.
 * @param handler - the task (see {@link ActorHandler}).
 * @param options - see {@link ActorOptions}.
 * @returns the declared {@link Actor}.
 * @throws TypeError / RangeError synchronously for an invalid name, handler or option;
 * ActorAlreadyDeclaredError when the broker has another actor with this name.
 */
export function actor<H extends ActorHandler>(
  name: string,
  handler: H,
  options?: ActorOptions,
): Actor<ActorArgs<H>, ActorResult<H>>;
/**
 * Declares an isolated actor: its handler is the default export of the module at `moduleUrl`, with the
 * same `(...args, context)` signature, and runs in a pool of `worker_threads` (`isolation: 'thread'`) or
 * child processes (`'process'`) of the worker. Such a handler can be stopped even when it ignores its
 * `signal`: after an abort, an isolate whose task has not settled within `terminateGrace` is terminated.
 * Args and result cross by structured clone. Type the args and result with the type parameters.
 *
 * @example
 * ```ts
 * import { actor } from 'rx-abort';
 * // resize.js: export default function resize(path, width, { signal }) { ... }
 * const resize = actor<[path: string, width: number], string>(
 *   'resize',
 *   new URL('./resize.js', import.meta.url),
 *   { isolation: 'thread', terminateGrace: 100 },
 * );
 * ```
 * @param name - unique on the broker.
 * @param moduleUrl - a `URL`, a `file:` URL string, or an absolute path, of an existing module.
 * @param options - see {@link IsolatedActorOptions} (`isolation` is required).
 * @returns the declared {@link Actor}.
 * @throws TypeError / RangeError synchronously for an invalid name, module or option.
 */
export function actor<Args extends readonly unknown[] = unknown[], Result = unknown>(
  name: string,
  moduleUrl: URL | string,
  options: IsolatedActorOptions,
): Actor<Args, Result>;
export function actor(
  name: string,
  handler: ActorHandler | URL | string,
  options?: ActorOptions | IsolatedActorOptions,
): Actor<readonly unknown[], unknown> {
  return new Actor(name, handler, options);
}
