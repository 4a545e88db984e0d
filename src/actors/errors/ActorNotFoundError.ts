/**
 * Thrown by `broker.getActor(name)` for a name no actor was declared with, and reported (as the `error`
 * of a `failed` worker event) for a message whose actor this worker's broker does not know. Such a
 * message is acknowledged and dropped: declare every actor in the worker process.
 *
 * @example
 * ```ts
 * import { ActorNotFoundError, MemoryBroker } from 'rx-abort';
 * try {
 *   new MemoryBroker().getActor('count_words');
 * } catch (error) {
 *   if (error instanceof ActorNotFoundError) console.log(error.actorName);
 * }
 * ```
 */
export class ActorNotFoundError extends Error {
  /** Always `'ActorNotFoundError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'ActorNotFoundError';
  /** The name that was looked up. */
  readonly actorName: string;

  /** @param actorName - the name that was looked up. */
  constructor(actorName: string) {
    super(`No actor named ${JSON.stringify(actorName)} is declared on this broker`);
    this.actorName = actorName;
  }
}
