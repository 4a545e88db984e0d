import type { Observable } from 'rxjs';
import type { Actor } from '../actor.js';
import type { Message } from '../Message.js';
import type { TaskContext } from '../TaskContext.js';
import { IsolatePool } from './IsolatePool.js';

/**
 * A worker's isolates: one {@link IsolatePool} per isolated actor, each of at most `size` isolates (the
 * worker's concurrency), made when the actor's first task runs. Internal to {@link Worker}.
 */
export class IsolatePools {
  readonly #size: number;
  readonly #pools = new Map<Actor, IsolatePool>();

  /** @param size - the most isolates per actor (the worker's concurrency). */
  constructor(size: number) {
    this.#size = size;
  }

  /**
   * The task's Observable: in the actor's pool when it is isolated, else `actor.process()` in this process.
   */
  process(actor: Actor, message: Message, context: TaskContext): Observable<unknown> {
    const spec = actor.isolation;
    if (spec === undefined) return actor.process(message, context);
    let pool = this.#pools.get(actor);
    if (pool === undefined) {
      pool = new IsolatePool(actor.name, spec, this.#size);
      this.#pools.set(actor, pool);
    }
    return pool.run(message, context);
  }

  /** Isolates alive, over every pool. */
  get size(): number {
    let size = 0;
    for (const pool of this.#pools.values()) size += pool.size;
    return size;
  }

  /** Terminates every isolate; resolves when all have exited. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
  }
}
