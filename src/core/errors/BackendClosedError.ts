/**
 * The error an {@link EventBackend} rejects or errors with once it has been closed.
 *
 * @example
 * ```ts
 * import { BackendClosedError, MemoryBackend } from 'rx-abort';
 * const backend = new MemoryBackend();
 * await backend.close();
 * await backend.read('job-1').catch((error) => console.log(error instanceof BackendClosedError));
 * ```
 */
export class BackendClosedError extends Error {
  /** Always `'BackendClosedError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'BackendClosedError';
  constructor(backend: string) {
    super(`The ${backend} event backend is closed`);
  }
}
