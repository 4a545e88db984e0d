/**
 * The `notify-keyspace-events` flags the Redis backend needs: `K` (keyspace channel) and `$` (string
 * commands, so `SET` is published). `A` stands for all event classes and so includes `$`.
 */
export const REQUIRED_NOTIFY_FLAGS = 'K$';

/** The required flags missing from a `notify-keyspace-events` value (`''` when none is). */
export function missingNotifyFlags(current: string): string {
  let missing = '';
  if (!current.includes('K')) missing += 'K';
  if (!current.includes('$') && !current.includes('A')) missing += '$';
  return missing;
}

/** `current` with the required flags added, keeping every flag already there. */
export function mergeNotifyFlags(current: string): string {
  return current + missingNotifyFlags(current);
}
