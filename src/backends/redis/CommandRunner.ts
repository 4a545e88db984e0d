import type { Cluster } from 'ioredis';
import { RedisAuthError } from './errors/RedisAuthError.js';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import { ReplicationTimeoutError } from './errors/ReplicationTimeoutError.js';
import { isAuthError, isReplyError, namedReplyError } from './replyErrors.js';
import type { RedisClient } from './types.js';

/** A command waiting for the client to be ready. */
interface Waiter {
  ready(): void;
  error(error: unknown): void;
}

/**
 * Runs commands on the user's client within a time bound: a command waits for the connection to be ready,
 * and rejects with {@link RedisUnavailableError} (the last connection error as its `cause`) when it has no
 * reply within `timeout` milliseconds. An error reply from the server is an answer rather than an outage:
 * NOPERM, WRONGPASS/NOAUTH and OOM become {@link RedisPermissionError}, {@link RedisAuthError} and
 * {@link RedisOutOfMemoryError} (the reply as `cause`), others (WRONGTYPE, ...) pass through as they are. A
 * command waiting for a connection that the server refuses to authenticate rejects at once with
 * {@link RedisAuthError}: waiting cannot help.
 *
 * Commands waiting for the client share one `ready` and one `error` listener, attached only while one
 * waits: a burst of aborts while Redis is down adds two listeners to the user's client, not two per command
 * (which tripped Node's MaxListenersExceededWarning past ten).
 */
export class CommandRunner {
  readonly #client: RedisClient | Cluster;
  /** Milliseconds a command may take, waiting for the connection included. */
  readonly timeout: number;
  readonly #waiting = new Set<Waiter>();

  constructor(client: RedisClient | Cluster, timeout: number) {
    this.#client = client;
    this.timeout = timeout;
  }

  /**
   * Runs `run` once the client is connected.
   * @param name - the command, for the error message.
   * @param timeout - the bound for this command (a `WAIT` adds its own timeout to `commandTimeout`).
   */
  run<T>(name: string, run: () => Promise<T>, timeout = this.timeout): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const client = this.#client;
      // The connection error, if one happens while this command waits: the cause of a timeout.
      let lastError: unknown;
      const waiter: Waiter = {
        ready: () => {
          this.#unwait(waiter);
          send();
        },
        error: (error) => {
          lastError = error;
          if (!isAuthError(error)) return;
          this.#unwait(waiter);
          clearTimeout(timer);
          reject(new RedisAuthError(name, { cause: error }));
        },
      };
      const timer = setTimeout(() => {
        this.#unwait(waiter);
        const cause =
          lastError ?? new Error(`connection status "${client.status}", no reply within ${timeout} ms`);
        reject(new RedisUnavailableError(name, timeout, { cause }));
      }, timeout);
      const send = (): void => {
        run().then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(
              isReplyError(error)
                ? namedReplyError(name, error)
                : error instanceof ReplicationTimeoutError
                  ? error
                  : new RedisUnavailableError(name, timeout, { cause: error }),
            );
          },
        );
      };
      if (client.status === 'ready' || client.status === 'wait') send();
      else this.#wait(waiter);
    });
  }

  #wait(waiter: Waiter): void {
    if (this.#waiting.size === 0) {
      this.#client.on('ready', this.#onWaitReady);
      this.#client.on('error', this.#onWaitError);
    }
    this.#waiting.add(waiter);
  }

  #unwait(waiter: Waiter): void {
    if (this.#waiting.delete(waiter) && this.#waiting.size === 0) {
      this.#client.off('ready', this.#onWaitReady);
      this.#client.off('error', this.#onWaitError);
    }
  }

  readonly #onWaitReady = (): void => {
    for (const waiter of [...this.#waiting]) waiter.ready();
  };

  readonly #onWaitError = (error: unknown): void => {
    for (const waiter of this.#waiting) waiter.error(error);
  };
}
