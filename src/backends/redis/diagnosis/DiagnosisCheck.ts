/** The verdict of one {@link DiagnosisCheck}: fine, worth a look, or broken for this library. */
export type DiagnosisStatus = 'pass' | 'warn' | 'fail';

/** The names of the checks {@link diagnoseRedis} runs, one per concern. */
export type DiagnosisCheckName =
  | 'connection'
  | 'cluster'
  | 'notify-keyspace-events'
  | 'maxmemory-policy'
  | 'pubsub-buffer'
  | 'persistence'
  | 'replication'
  | 'permissions'
  | 'round-trip';

/**
 * One line of a Redis diagnosis: what was checked, on which node, the verdict, and for a warning or a
 * failure the exact command or setting that fixes it.
 *
 * @example
 * ```ts
 * import type { DiagnosisCheck } from 'rx-abort';
 * const check: DiagnosisCheck = {
 *   name: 'maxmemory-policy',
 *   node: '127.0.0.1:6379',
 *   status: 'fail',
 *   message: 'allkeys-lru with maxmemory 100mb: abort marks can be evicted before their window ends',
 *   fix: 'CONFIG SET maxmemory-policy noeviction',
 * };
 * console.log(`${check.status} ${check.name}: ${check.message}`);
 * ```
 */
export interface DiagnosisCheck {
  /** What was checked. */
  readonly name: DiagnosisCheckName;
  /** The node (`host:port`) it was checked on. */
  readonly node: string;
  /** `'pass'`, `'warn'` (works, with a risk) or `'fail'` (the library cannot work as promised). */
  readonly status: DiagnosisStatus;
  /** What was found, in a sentence. */
  readonly message: string;
  /** For `warn` and `fail`: the exact command or setting that fixes it. */
  readonly fix?: string;
  /** What `fix: true` changed on the server (`notify-keyspace-events "" -> "K$"`), if anything. */
  readonly changed?: string;
  /** The measured time in milliseconds (the round trip). */
  readonly ms?: number;
}

/**
 * The result of {@link diagnoseRedis}: every check in order, and `ok` when none failed.
 *
 * @example
 * ```ts
 * import type { RedisDiagnosis } from 'rx-abort';
 * const report = (diagnosis: RedisDiagnosis): number => (diagnosis.ok ? 0 : 1);
 * ```
 */
export interface RedisDiagnosis {
  /** `true` when no check failed (warnings allowed). */
  readonly ok: boolean;
  /** Every check that ran, in order, one per concern and node. */
  readonly checks: readonly DiagnosisCheck[];
}
