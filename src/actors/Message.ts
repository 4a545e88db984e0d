import { validateId } from '../core/validate.js';

/**
 * Per-message options, set with `sendWithOptions()`; each one overrides the actor's.
 */
export interface MessageOptions {
  /**
   * Whether this message can be skipped and stopped by an abort. Wins over the actor's `abortable` and the
   * `Abortable` middleware's default.
   * @default the actor's option
   */
  readonly abortable?: boolean;
  /** How many times a failed attempt is retried. @default the actor's `maxRetries` */
  readonly maxRetries?: number;
}

/**
 * A task sent to an actor: what `send()` returns and what a worker receives. Keep `messageId` to abort
 * the task from any process with `abort(messageId)`.
 *
 * Everything in a message is JSON; `args` are checked at `send()` so that the handler receives exactly
 * what was sent.
 *
 * @example
 * ```ts
 * import { MemoryBroker, abort, actor, type Message } from 'rx-abort';
 * const broker = new MemoryBroker();
 * const countWords = actor('count_words', (url: string) => url.length, { broker });
 * const message: Message<[string]> = await countWords.send('https://example.com');
 * console.log(message.messageId, message.actorName, message.args[0]);
 * ```
 */
export interface Message<Args extends readonly unknown[] = readonly unknown[]> {
  /** A unique id (a random UUID), kept by retries: the id to abort the task with. */
  readonly messageId: string;
  /** The name of the actor that runs it. */
  readonly actorName: string;
  /** The queue it is sent to (the actor's `queueName`). */
  readonly queueName: string;
  /** The handler's arguments, as JSON. */
  readonly args: Args;
  /** Per-message options (see {@link MessageOptions}). */
  readonly options: MessageOptions;
  /**
   * When this message (or this retry of it) was put on the queue, in milliseconds since the epoch (the
   * sending process's clock). A `cancel` mark older than this does not skip a retry.
   */
  readonly enqueuedAt: number;
  /** Milliseconds the message waits in the broker before a worker may take it, when it was delayed. */
  readonly delay?: number;
  /** How many attempts failed before this one: `0` for the first attempt, `n` for the n-th retry. */
  readonly retries: number;
}

/** Parses a message read back from a broker, or returns `undefined` when it is not one of ours. */
export function parseMessage(json: string): Message | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const message = value as Record<string, unknown>;
  if (
    !isValidId(message.messageId) ||
    typeof message.actorName !== 'string' ||
    typeof message.queueName !== 'string' ||
    !Array.isArray(message.args) ||
    typeof message.enqueuedAt !== 'number' ||
    typeof message.retries !== 'number' ||
    message.options === null ||
    typeof message.options !== 'object'
  ) {
    return undefined;
  }
  return value as Message;
}

const isValidId = (id: unknown): id is string => {
  try {
    validateId(id);
    return true;
  } catch {
    return false;
  }
};
