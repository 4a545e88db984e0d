/**
 * Thrown by `actor()` (and `broker.declareActor()`) when another actor with the same name is already
 * declared on the broker: two handlers for one name would make messages go to whichever was declared last.
 *
 * @example
 * ```ts
 * import { ActorAlreadyDeclaredError, MemoryBroker, actor } from 'rx-abort';
 * const broker = new MemoryBroker();
 * actor('count_words', (url: string) => url.length, { broker });
 * try {
 *   actor('count_words', (url: string) => url.split(' ').length, { broker });
 * } catch (error) {
 *   if (error instanceof ActorAlreadyDeclaredError) console.log(error.message);
 * }
 * ```
 */
export class ActorAlreadyDeclaredError extends Error {
  /** Always `'ActorAlreadyDeclaredError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'ActorAlreadyDeclaredError';
  /** The name declared twice. */
  readonly actorName: string;

  /** @param actorName - the name declared twice. */
  constructor(actorName: string) {
    super(`An actor named ${JSON.stringify(actorName)} is already declared on this broker`);
    this.actorName = actorName;
  }
}
