import type { Redis } from 'ioredis';
import { CommandRunner } from '../CommandRunner.js';

/** One server the diagnosis talks to: its `host:port` and a bounded way to send it commands. */
export interface DiagnosedNode {
  /** `host:port`, as shown in the checks. */
  readonly label: string;
  /** The connection to it. */
  readonly client: Redis;
  /** Sends one command (bounded by the command timeout) and resolves its reply. */
  run(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** A {@link DiagnosedNode} on `client`, each command bounded by `timeout` milliseconds. */
export function diagnosedNode(client: Redis, timeout: number): DiagnosedNode {
  const commands = new CommandRunner(client, timeout);
  const { host, port, path } = client.options as { host?: string; port?: number; path?: string };
  return {
    label: path !== undefined && path !== '' ? path : `${host ?? '127.0.0.1'}:${port ?? 6379}`,
    client,
    run: (command, ...args) => commands.run(command, () => client.call(command, ...args)),
  };
}

/** A reply's lines as `name:value` pairs (INFO sections). */
export function infoFields(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of String(reply).split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
