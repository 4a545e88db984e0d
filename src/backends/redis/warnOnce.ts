const emitted = new Set<string>();

/**
 * Emits a process warning once per process for each `code` and `key` (a server and what was found), so a
 * library that changes or distrusts a server's configuration says so once, not on every reconnect or by
 * every backend of the process.
 * @param code - the warning's code (`RX_ABORT_...`).
 * @param key - what makes this occurrence distinct (e.g. `host:port` and the value found).
 * @param message - the warning's text.
 */
export function warnOnce(code: string, key: string, message: string): void {
  const id = `${code}\n${key}`;
  if (emitted.has(id)) return;
  emitted.add(id);
  process.emitWarning(message, { code });
}
