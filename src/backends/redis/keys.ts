/** The default namespace of abort-mark keys. */
export const DEFAULT_PREFIX = 'rx-abort:';

/**
 * The Redis key holding the abort mark of `id`: the namespace prefix followed by the id, verbatim. Ids are
 * validated (no newline, carriage return or NUL), so a key of ours never contains a newline.
 */
export const markKey = (prefix: string, id: string): string => `${prefix}${id}`;

/**
 * The exact keyspace-notification channel of a key. It is subscribed with `SUBSCRIBE`, never
 * `PSUBSCRIBE`, so glob characters in an id match nothing but themselves.
 */
export const keyspaceChannel = (db: number, key: string): string => `__keyspace@${db}__:${key}`;

/**
 * The key of a notification probe: under the prefix, but with a newline no valid id can contain, so it
 * never collides with a task's mark.
 */
export const probeKey = (prefix: string, token: string): string => `${prefix}\nprobe:${token}`;

/**
 * The Redis key holding the abort outcome of `id`: under the prefix (so the ACL patterns `~<prefix>*` and
 * `&__keyspace@<db>__:<prefix>*` cover it), with a newline no valid id contains, so it never collides
 * with the mark of any id, nor with a probe key.
 */
export const outcomeKey = (prefix: string, id: string): string => `${prefix}\noutcome:${id}`;
