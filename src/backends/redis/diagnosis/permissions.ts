import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keyspaceChannel, probeKey } from '../keys.js';
import { isPermissionError, isReplyError } from '../replyErrors.js';
import type { DiagnosedNode } from './DiagnosedNode.js';
import type { DiagnosisCheck } from './DiagnosisCheck.js';

/** One command the library (or the CLI) sends, with the ACL rule that allows it. */
export interface PermissionNeed {
  readonly command: readonly string[];
  readonly rule: string;
  /** `true`: RedisBackend does not work without it; `false`: recommended (a warning). */
  readonly required: boolean;
  readonly why: string;
  /** Tried for real on a connection per group: a refused EXEC leaves its connection inside MULTI. */
  readonly group: 'plain' | 'transaction' | 'subscriber';
}

/** What the permission check needs to know. */
export interface PermissionContext {
  readonly node: DiagnosedNode;
  /** The mark key prefix, the client's `keyPrefix` included. */
  readonly keyPrefix: string;
  readonly db: number;
  /** The user name from the connection options, used when `ACL WHOAMI` is refused. */
  readonly username: string | undefined;
  readonly timeout: number;
}

/**
 * The commands of README's "A least-privilege Redis user" (test/integration/hardening/ACL.md), on a key
 * and a channel under the prefix, then the recommended ones: `PUBLISH` on that channel (one hop, see
 * `MarkWriter`), `MGET` and `EXISTS` (bulk re-reads, see `KeyReader`), `INFO`, `CONFIG GET` and `PTTL`. Tried for real, the `PUBLISH` sends a message that is
 * not a mark on the probe key's channel, which nobody watches.
 */
export function permissionNeeds(keyPrefix: string, db: number): PermissionNeed[] {
  const key = probeKey(keyPrefix, `doctor-${randomUUID()}`);
  const channel = keyspaceChannel(db, key);
  return [
    { command: ['GET', key], rule: '+get', required: true, why: 'aborted() and re-reads', group: 'plain' },
    {
      command: ['SET', key, '1', 'PX', '1000'],
      rule: '+set',
      required: true,
      why: 'abort()',
      group: 'plain',
    },
    { command: ['MULTI'], rule: '+multi', required: true, why: 'abort([...ids])', group: 'transaction' },
    { command: ['EXEC'], rule: '+exec', required: true, why: 'abort([...ids])', group: 'transaction' },
    {
      command: ['SUBSCRIBE', channel],
      rule: '+subscribe',
      required: true,
      why: 'watching',
      group: 'subscriber',
    },
    {
      command: ['UNSUBSCRIBE', channel],
      rule: '+unsubscribe',
      required: true,
      why: 'releasing a watch',
      group: 'subscriber',
    },
    ...(db === 0
      ? []
      : [
          {
            command: ['SELECT', String(db)],
            rule: '+select',
            required: true,
            why: `database ${db}`,
            group: 'plain' as const,
          },
        ]),
    {
      command: ['PUBLISH', channel, 'rx-abort doctor'],
      rule: '+publish',
      required: false,
      why: 'one-hop aborts: without it abort() falls back to SET, event, GET and leaves a NOPERM in ACL LOG',
      group: 'plain',
    },
    {
      command: ['MGET', key, key],
      rule: '+mget',
      required: false,
      why: 're-reads of watched keys in bulk: without it they go key by key and leave a NOPERM in ACL LOG',
      group: 'plain',
    },
    {
      command: ['EXISTS', key, key],
      rule: '+exists',
      required: false,
      why: 're-reads of watched keys in bulk (with MGET)',
      group: 'plain',
    },
    { command: ['INFO'], rule: '+info', required: false, why: "ioredis's ready check", group: 'plain' },
    {
      command: ['CONFIG', 'GET', 'notify-keyspace-events'],
      rule: '+config|get',
      required: false,
      why: 'checking notifications without a probe key',
      group: 'plain',
    },
    { command: ['PTTL', key], rule: '+pttl', required: false, why: 'rx-abort status', group: 'plain' },
  ];
}

/** The ACL rule that lifts a refusal, from its message; `need.rule` when the message names no key or channel. */
function ruleFor(message: string, need: PermissionNeed, keyPrefix: string, db: number): string {
  if (/\bkey/i.test(message)) return `~${keyPrefix}*`;
  if (/\bchannel/i.test(message)) return `&${keyspaceChannel(db, keyPrefix)}*`;
  const command = /run the '([^']+)' command/.exec(message)?.[1];
  return command === undefined ? need.rule : `+${command}`;
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Asks `ACL DRYRUN` for each need; `undefined` when this user may not ask. */
async function dryRun(
  node: DiagnosedNode,
  user: string,
  list: readonly PermissionNeed[],
): Promise<string[] | undefined> {
  const answers: string[] = [];
  for (const need of list) {
    try {
      answers.push(String(await node.run('ACL', 'DRYRUN', user, ...need.command)));
    } catch (error) {
      if (answers.length === 0) return undefined; // ACL DRYRUN refused (or an old server)
      answers.push(errorMessage(error));
    }
  }
  return answers;
}

/**
 * Tries each need for real, on a connection of its own per group (a GET, a SET of a probe key that expires
 * in 1 s, an empty MULTI/EXEC, a SUBSCRIBE and UNSUBSCRIBE of the probe key's channel, ...): for users who
 * may not run `ACL DRYRUN`. Resolves `'OK'` or the refusal for each.
 */
async function tryEach(
  node: DiagnosedNode,
  list: readonly PermissionNeed[],
  timeout: number,
): Promise<string[]> {
  const bounded = <T>(promise: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no reply within ${timeout} ms`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  const answers = new Map<PermissionNeed, string>();
  for (const group of ['plain', 'transaction', 'subscriber'] as const) {
    const members = list.filter((need) => need.group === group);
    const connection: Redis = node.client.duplicate({ lazyConnect: true, maxRetriesPerRequest: 0 });
    connection.on('error', () => {}); // failures surface as command rejections
    try {
      await bounded(connection.connect());
      for (const need of members) {
        const [name = '', ...args] = need.command;
        try {
          if (name === 'SUBSCRIBE') await bounded(connection.subscribe(...args));
          else if (name === 'UNSUBSCRIBE') await bounded(connection.unsubscribe(...args));
          else await bounded(connection.call(name, ...args));
          answers.set(need, 'OK');
        } catch (error) {
          // Any other error reply (EXEC without MULTI, WRONGTYPE, ...) comes after the ACL check passed.
          answers.set(need, isReplyError(error) && !isPermissionError(error) ? 'OK' : errorMessage(error));
        }
      }
    } catch (error) {
      for (const need of members) if (!answers.has(need)) answers.set(need, errorMessage(error));
    } finally {
      connection.disconnect();
    }
  }
  return list.map((need) => answers.get(need) ?? 'no answer');
}

/**
 * The current user's permissions for the commands the library needs: `ACL WHOAMI`, then `ACL DRYRUN` for
 * each command where this user may ask, else each command tried for real on a probe key under the prefix.
 * Fails when a required command, key or channel is refused, with the `ACL SETUSER` rules that fix it.
 */
export async function checkPermissions(context: PermissionContext): Promise<DiagnosisCheck> {
  const { node, keyPrefix, db } = context;
  const list = permissionNeeds(keyPrefix, db);
  let user = context.username ?? 'default';
  let answers: string[] | undefined;
  try {
    user = String(await node.run('ACL', 'WHOAMI'));
    answers = await dryRun(node, user, list);
  } catch {
    // ACL WHOAMI refused: a restricted user (or a server without ACLs); try the commands themselves.
  }
  const how = answers === undefined ? 'tried each command on a probe key' : 'ACL DRYRUN';
  answers ??= await tryEach(node, list, context.timeout);
  const refused = list
    .map((need, index) => ({ need, answer: answers[index] ?? 'no answer' }))
    .filter(({ answer }) => answer !== 'OK');
  const rules = (required: boolean): string[] => [
    ...new Set(
      refused
        .filter(({ need }) => need.required === required)
        .map(({ need, answer }) => ruleFor(answer, need, keyPrefix, db)),
    ),
  ];
  const describe = (required: boolean): string =>
    refused
      .filter(({ need }) => need.required === required)
      .map(({ need, answer }) => `${need.command[0]} (${need.why}): ${answer.replace(/^NOPERM /, '')}`)
      .join('; ');
  const missing = rules(true);
  const recommended = rules(false);
  if (missing.length > 0) {
    return {
      name: 'permissions',
      node: node.label,
      status: 'fail',
      message: `user "${user}" (${how}) may not run: ${describe(true)}`,
      fix: `ACL SETUSER ${user} ${[...missing, ...recommended].join(' ')}`,
    };
  }
  if (recommended.length > 0) {
    return {
      name: 'permissions',
      node: node.label,
      status: 'warn',
      message: `user "${user}" (${how}) has what RedisBackend needs, but not: ${describe(false)}`,
      fix: `ACL SETUSER ${user} ${recommended.join(' ')}`,
    };
  }
  return {
    name: 'permissions',
    node: node.label,
    status: 'pass',
    message: `user "${user}" may run every command the library needs (${how})`,
  };
}
