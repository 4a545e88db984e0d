import { encodeMark } from '../markValue.js';
import { mergeNotifyFlags, missingNotifyFlags } from '../notifyFlags.js';
import type { DiagnosedNode } from './DiagnosedNode.js';
import type { DiagnosisCheck } from './DiagnosisCheck.js';

/** The server settings the checks read, in one `CONFIG GET`. */
export const DIAGNOSED_SETTINGS = [
  'notify-keyspace-events',
  'maxmemory',
  'maxmemory-policy',
  'client-output-buffer-limit',
  'appendonly',
  'save',
] as const;

/** The settings read with `CONFIG GET`, or `undefined` for each when `CONFIG` is not allowed. */
export type ServerSettings = Partial<Record<(typeof DIAGNOSED_SETTINGS)[number], string>>;

/** A `CONFIG GET` reply (a flat `[name, value, ...]` list, or a map under RESP3) as a record. */
export function settingsOf(reply: unknown): ServerSettings {
  const settings: Record<string, string> = {};
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) settings[String(reply[i])] = String(reply[i + 1]);
  } else if (reply !== null && typeof reply === 'object') {
    for (const [name, value] of Object.entries(reply)) settings[name] = String(value);
  }
  return settings;
}

/** What a check needs to know: the node, whether it may change settings, and what to assume. */
export interface SettingsContext {
  readonly node: DiagnosedNode;
  readonly settings: ServerSettings;
  /** The reason `CONFIG GET` failed, when it did. */
  readonly configError: string | undefined;
  readonly fix: boolean;
  /** Aborts in one burst, for the output-buffer estimate. */
  readonly burst: number;
  /** Characters of a typical task id, for the output-buffer estimate. */
  readonly idLength: number;
  /** The mark key prefix (the client's `keyPrefix` included) and the database number. */
  readonly keyPrefix: string;
  readonly db: number;
}

const unreadable = (context: SettingsContext, name: DiagnosisCheck['name'], fix: string): DiagnosisCheck => ({
  name,
  node: context.node.label,
  status: 'warn',
  message: `cannot read ${name} (${context.configError ?? 'CONFIG GET refused'})`,
  fix,
});

const NOTIFY_FIX = (value: string): string =>
  `CONFIG SET notify-keyspace-events ${value} (and notify-keyspace-events ${value} in redis.conf, or your provider's setting)`;

/** `notify-keyspace-events` must include `K` and `$` (or `A`); `fix` merges the missing flags in. */
export async function checkNotifications(context: SettingsContext): Promise<DiagnosisCheck> {
  const { node } = context;
  const current = context.settings['notify-keyspace-events'];
  if (current === undefined) {
    return unreadable(
      context,
      'notify-keyspace-events',
      `ask the administrator for notify-keyspace-events K$ (the round trip below tests it)`,
    );
  }
  const missing = missingNotifyFlags(current);
  if (missing === '') {
    return {
      name: 'notify-keyspace-events',
      node: node.label,
      status: 'pass',
      message: `"${current}" includes K and $`,
    };
  }
  const merged = mergeNotifyFlags(current);
  if (context.fix) {
    try {
      await node.run('CONFIG', 'SET', 'notify-keyspace-events', merged);
      return {
        name: 'notify-keyspace-events',
        node: node.label,
        status: 'pass',
        message: `was "${current}", set to "${merged}" (lost on restart: put it in redis.conf too)`,
        changed: `notify-keyspace-events "${current}" -> "${merged}"`,
      };
    } catch (error) {
      return {
        name: 'notify-keyspace-events',
        node: node.label,
        status: 'fail',
        message: `"${current}" lacks ${missing} and CONFIG SET failed (${(error as Error).message})`,
        fix: NOTIFY_FIX(merged),
      };
    }
  }
  return {
    name: 'notify-keyspace-events',
    node: node.label,
    status: 'fail',
    message: `"${current}" lacks ${missing}: no abort is pushed to watchers`,
    fix: `${NOTIFY_FIX(merged)}, or rx-abort doctor --fix`,
  };
}

const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024
    ? `${Math.round((bytes / 1024 / 1024) * 10) / 10}mb`
    : bytes >= 1024
      ? `${Math.round((bytes / 1024) * 10) / 10}kb`
      : `${bytes}b`;

/** Marks can be evicted under `maxmemory` with any policy but `noeviction`. Never changed by `fix`. */
export function checkEviction(context: SettingsContext): DiagnosisCheck {
  const { node, settings } = context;
  const policy = settings['maxmemory-policy'];
  if (policy === undefined) {
    return unreadable(
      context,
      'maxmemory-policy',
      'ask the administrator for maxmemory-policy noeviction (for example a parameter group setting)',
    );
  }
  const maxmemory = Number(settings.maxmemory ?? '0');
  const fix = 'CONFIG SET maxmemory-policy noeviction (and maxmemory-policy noeviction in redis.conf)';
  if (policy === 'noeviction') {
    return { name: 'maxmemory-policy', node: node.label, status: 'pass', message: 'noeviction' };
  }
  if (maxmemory === 0) {
    return {
      name: 'maxmemory-policy',
      node: node.label,
      status: 'warn',
      message: `${policy} with no maxmemory: nothing is evicted now, but marks would be once a maxmemory is set`,
      fix: `${fix} (not changed by --fix: it decides what every key on the server may lose)`,
    };
  }
  return {
    name: 'maxmemory-policy',
    node: node.label,
    status: 'fail',
    message: `${policy} with maxmemory ${formatBytes(maxmemory)}: abort marks can be evicted before their window ends`,
    fix: `${fix} (not changed by --fix: it decides what every key on the server may lose)`,
  };
}

/** The `pubsub` class of a `client-output-buffer-limit` value: hard and soft bytes, soft seconds. */
export function pubsubLimits(value: string): { hard: number; soft: number; seconds: number } | undefined {
  const match = /pubsub (\d+) (\d+) (\d+)/.exec(value);
  if (match === null) return undefined;
  return { hard: Number(match[1]), soft: Number(match[2]), seconds: Number(match[3]) };
}

/**
 * Bytes one message on a keyspace channel takes in a subscriber's output buffer:
 * `*3 $7 message $<n> <channel> $<m> <message>` in RESP (RESP3's `>3` push has the same length), for a
 * channel of `channelLength` characters. `message` is an event name (`set`, `expire`) or a mark value
 * published on the channel.
 */
export function keyspaceMessageBytes(channelLength: number, message = 'set'): number {
  const bulk = (length: number): number => 1 + String(length).length + 2 + length + 2;
  return 4 + bulk('message'.length) + bulk(channelLength) + bulk(Buffer.byteLength(message));
}

/**
 * The value `abort()` publishes with its `SET` for a typical abort (mode `abort`, no graceful deadline, no
 * reason; a reason adds its JSON length): see `MarkWriter`.
 */
export const typicalPublishedMark = (): string =>
  encodeMark({ id: '', mode: 'abort', abortTimeout: 0, at: Date.now() });

const MB = 1024 * 1024;

/**
 * A burst of `burst` aborts of watched ids puts two messages per abort into a subscriber's output buffer,
 * both on the id's keyspace channel: the keyspace event `set` and the mark's value, which `abort()`
 * publishes with it (one hop); three with the `g` flag (`expire` too). Past the hard limit (or the soft
 * limit for its seconds) Redis disconnects the subscriber. It then re-reads its marks after reconnecting,
 * so aborts land late rather than never. `fix` raises the pubsub limits to fit.
 */
export async function checkPubsubBuffer(context: SettingsContext): Promise<DiagnosisCheck> {
  const { node, settings, burst, idLength } = context;
  const value = settings['client-output-buffer-limit'];
  if (value === undefined) {
    return unreadable(
      context,
      'pubsub-buffer',
      'ask the administrator for client-output-buffer-limit pubsub with a hard limit above your largest burst of aborts',
    );
  }
  const limits = pubsubLimits(value);
  if (limits === undefined) {
    return {
      name: 'pubsub-buffer',
      node: node.label,
      status: 'warn',
      message: `no pubsub class in client-output-buffer-limit "${value}"`,
    };
  }
  const channelLength = `__keyspace@${context.db}__:${context.keyPrefix}`.length + idLength;
  const flags = settings['notify-keyspace-events'] ?? '';
  const withExpire = /[gA]/.test(flags);
  const events =
    keyspaceMessageBytes(channelLength) + (withExpire ? keyspaceMessageBytes(channelLength, 'expire') : 0);
  const published = keyspaceMessageBytes(channelLength, typicalPublishedMark());
  const perAbort = events + published;
  const bytes = perAbort * burst;
  const estimate = `${burst} aborts x ${perAbort} B (keyspace event${withExpire ? 's' : ''} ${events} B, published mark ${published} B) = ${formatBytes(bytes)}`;
  const limitText = `pubsub hard ${limits.hard === 0 ? 'none' : formatBytes(limits.hard)}, soft ${limits.soft === 0 ? 'none' : `${formatBytes(limits.soft)} for ${limits.seconds} s`}`;
  const overHard = limits.hard !== 0 && bytes >= limits.hard;
  const overSoft = limits.soft !== 0 && bytes >= limits.soft;
  if (!overHard && !overSoft) {
    return {
      name: 'pubsub-buffer',
      node: node.label,
      status: 'pass',
      message: `${estimate} fits (${limitText})`,
    };
  }
  const hard = Math.max(limits.hard, Math.ceil((bytes * 2) / MB) * MB);
  const soft = Math.max(limits.soft, Math.ceil(bytes / MB) * MB);
  const wanted = `pubsub ${hard / MB}mb ${soft / MB}mb ${limits.seconds}`;
  const fix = `CONFIG SET client-output-buffer-limit "${wanted}" (and client-output-buffer-limit ${wanted} in redis.conf)`;
  const consequence = overHard
    ? 'exceeds the hard limit: a subscriber that falls this far behind is disconnected at once'
    : `exceeds the soft limit: a subscriber that stays this far behind for ${limits.seconds} s is disconnected`;
  const message = `${estimate} ${consequence} (${limitText}; it re-reads its marks on reconnect, so aborts land late)`;
  if (context.fix) {
    try {
      await node.run('CONFIG', 'SET', 'client-output-buffer-limit', wanted);
      return {
        name: 'pubsub-buffer',
        node: node.label,
        status: 'pass',
        message: `${estimate}: raised the pubsub limits to ${wanted} (lost on restart: put it in redis.conf too)`,
        changed: `client-output-buffer-limit pubsub "${limits.hard} ${limits.soft} ${limits.seconds}" -> "${wanted}"`,
      };
    } catch (error) {
      return {
        name: 'pubsub-buffer',
        node: node.label,
        status: 'fail',
        message: `${message}; CONFIG SET failed (${(error as Error).message})`,
        fix,
      };
    }
  }
  return { name: 'pubsub-buffer', node: node.label, status: overHard ? 'fail' : 'warn', message, fix };
}

/** Without AOF, marks written since the last snapshot (or all of them) are lost when Redis restarts. */
export function checkPersistence(context: SettingsContext): DiagnosisCheck {
  const { node, settings } = context;
  const appendonly = settings.appendonly;
  const fix =
    'CONFIG SET appendonly yes (and appendonly yes in redis.conf; not changed by --fix: it is a disk decision)';
  if (appendonly === undefined) {
    return unreadable(
      context,
      'persistence',
      'ask the administrator for appendonly yes if aborts must survive a restart',
    );
  }
  if (appendonly === 'yes') {
    return { name: 'persistence', node: node.label, status: 'pass', message: 'appendonly yes' };
  }
  const save = settings.save ?? '';
  return {
    name: 'persistence',
    node: node.label,
    status: 'warn',
    message:
      save === ''
        ? 'no persistence (appendonly no, save ""): every abort mark is lost when the server restarts'
        : `RDB snapshots only (save "${save}"): marks written since the last snapshot are lost when the server restarts`,
    fix,
  };
}
