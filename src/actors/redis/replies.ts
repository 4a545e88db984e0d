/** One stream entry: its id and its fields (`null` for an entry deleted while pending). */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly string[] | null;
}

const isEntryList = (value: unknown): value is [string, string[] | null][] => Array.isArray(value);

/**
 * Parses an XREADGROUP reply in any of the shapes ioredis gives it: RESP2 `[[key, entries], ...]`, RESP3
 * with legacy mapping `[key, entries, key, entries, ...]`, or RESP3 mapped `{ key: entries }`; `null` when
 * nothing was read.
 */
export function parseReadReply(reply: unknown): Map<string, StreamEntry[]> {
  const streams = new Map<string, StreamEntry[]>();
  const add = (key: unknown, entries: unknown): void => {
    if (typeof key !== 'string' || !isEntryList(entries)) return;
    streams.set(key, parseEntries(entries));
  };
  if (reply === null || reply === undefined) return streams;
  if (Array.isArray(reply)) {
    if (typeof reply[0] === 'string') {
      for (let index = 0; index + 1 < reply.length; index += 2) add(reply[index], reply[index + 1]);
    } else {
      for (const pair of reply) if (Array.isArray(pair)) add(pair[0], pair[1]);
    }
  } else if (typeof reply === 'object') {
    for (const [key, entries] of Object.entries(reply)) add(key, entries);
  }
  return streams;
}

/** Parses the entries of a stream reply (`[[id, [field, value, ...]], ...]`). */
export function parseEntries(entries: unknown): StreamEntry[] {
  if (!Array.isArray(entries)) return [];
  const parsed: StreamEntry[] = [];
  for (const entry of entries) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
    const fields = Array.isArray(entry[1]) ? entry[1].map(String) : null;
    parsed.push({ id: entry[0], fields });
  }
  return parsed;
}

/** The `message` field of an entry, or `undefined`. */
export function messageField(entry: StreamEntry): string | undefined {
  const fields = entry.fields;
  if (fields === null) return undefined;
  for (let index = 0; index + 1 < fields.length; index += 2) {
    if (fields[index] === 'message') return fields[index + 1];
  }
  return undefined;
}
