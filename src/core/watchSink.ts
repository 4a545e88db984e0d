import type { Subscriber, Unsubscribable } from 'rxjs';
import type { EventBackend } from '../backends/EventBackend.js';
import type { AbortEvent } from './AbortEvent.js';
import { Abort } from './errors/Abort.js';

/**
 * Where a watch delivers: an RxJS `Subscriber` is one, and so is a {@link CutSink}. Internal (not exported
 * from the package).
 */
export interface WatchSink<T = AbortEvent> {
  next(value: T): void;
  error(error: unknown): void;
  readonly closed: boolean;
}

/**
 * The key of an optional backend method, `backend[watchInto](id, sink)`: watch `id` and deliver straight
 * into `sink`, returning what releases the watch. It is what `backend.watch(id).subscribe(sink)` does
 * without the intermediate `Observable` and `Subscriber`, which is most of the heap a running abortable
 * task holds (bench/README.md, "Lean watches"). Backends without it are watched through
 * {@link EventBackend.watch}. Internal: not exported from the package, so the public API is unchanged.
 */
export const watchInto: unique symbol = Symbol('rx-abort.watchInto');

/** A backend with the {@link watchInto} fast path. */
export interface DirectWatchBackend {
  [watchInto](id: string, sink: WatchSink): Unsubscribable | undefined;
}

/**
 * Watches `id` on `backend` into `sink`, through {@link watchInto} when the backend has it, else through
 * `backend.watch(id)`.
 * @returns what releases the watch (nothing when it ended at once).
 */
export function watchBackend(backend: EventBackend, id: string, sink: WatchSink): Unsubscribable | undefined {
  const direct = (backend as Partial<DirectWatchBackend>)[watchInto];
  if (typeof direct === 'function') return direct.call(backend, id, sink);
  return backend
    .watch(id)
    .subscribe({ next: (event) => sink.next(event), error: (error) => sink.error(error) });
}

/** What a {@link CutSink} does with the first abort in mode `'abort'`. */
export type CutAction = 'emit' | 'complete' | 'throw';

/**
 * The end of an abort watch inside `abort$`, `takeUntilAborted` and `throwOnAbort`: one small object per
 * watch (no closures) that ignores `'cancel'` marks and, at the first `'abort'`, emits it and completes
 * (`'emit'`), completes (`'complete'`) or errors with {@link Abort} (`'throw'`) its subscriber.
 */
export class CutSink implements WatchSink {
  readonly #subscriber: Subscriber<never> | Subscriber<AbortEvent>;
  readonly #action: CutAction;

  constructor(subscriber: Subscriber<never> | Subscriber<AbortEvent>, action: CutAction) {
    this.#subscriber = subscriber;
    this.#action = action;
  }

  get closed(): boolean {
    return this.#subscriber.closed;
  }

  next(event: AbortEvent): void {
    if (event.mode !== 'abort') return;
    const subscriber = this.#subscriber;
    if (this.#action === 'throw') subscriber.error(new Abort(event));
    else {
      if (this.#action === 'emit') (subscriber as Subscriber<AbortEvent>).next(event);
      subscriber.complete();
    }
  }

  error(error: unknown): void {
    this.#subscriber.error(error);
  }
}
