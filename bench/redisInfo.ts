import { Redis } from 'ioredis';
import { now } from './clock.js';

/** Counters read from one `INFO` reply. */
export interface RedisSnapshot {
  /** Shared-clock time of the reading, ms. */
  at: number;
  /** Calls per command name (`INFO commandstats`). */
  calls: Record<string, number>;
  /** `used_cpu_sys + used_cpu_user`, in seconds. */
  cpuSec: number;
  /** `pubsub_channels`: channels with at least one subscriber. */
  pubsubChannels: number;
  /** `used_memory`: bytes Redis has allocated (data, client buffers, pub/sub tables). */
  usedMemory: number;
  /** `connected_clients`. */
  connectedClients: number;
  /** `redis_version`. */
  version: string;
}

/** What Redis did between two snapshots. */
export interface RedisDelta {
  /** Wall time between them, ms. */
  wallMs: number;
  /** Commands executed, excluding the benchmark's own INFO calls. */
  commands: number;
  /** Of those, per command name (only names with calls). */
  byCommand: Record<string, number>;
  /** Commands per second over the window. */
  commandsPerSec: number;
  /** Redis CPU time (user + sys), ms. */
  cpuMs: number;
  /** Redis CPU time as a share of one core over the window, %. */
  cpuPct: number;
}

const field = (info: string, name: string): string | undefined =>
  new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/**
 * Reads Redis's own counters (`INFO`) on an admin connection, so the benchmark can report commands per
 * second and CPU over a window without counting its own reads.
 *
 * @example
 * ```ts
 * const info = new RedisInfo(port);
 * const before = await info.snapshot();
 * // ... workload ...
 * const delta = RedisInfo.delta(before, await info.snapshot());
 * ```
 */
export class RedisInfo {
  readonly #client: Redis;

  /** @param port - the Redis port on 127.0.0.1. */
  constructor(port: number) {
    this.#client = new Redis({ host: '127.0.0.1', port });
  }

  /** One `INFO everything` (a single command): command stats, CPU, pub/sub channels, memory, clients. */
  async snapshot(): Promise<RedisSnapshot> {
    const info = await this.#client.info('everything');
    const at = now();
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      calls[match[1] as string] = Number(match[2]);
    }
    return {
      at,
      calls,
      cpuSec: Number(field(info, 'used_cpu_sys') ?? 0) + Number(field(info, 'used_cpu_user') ?? 0),
      pubsubChannels: Number(field(info, 'pubsub_channels') ?? 0),
      usedMemory: Number(field(info, 'used_memory') ?? 0),
      connectedClients: Number(field(info, 'connected_clients') ?? 0),
      version: field(info, 'redis_version') ?? 'unknown',
    };
  }

  /**
   * What happened between two snapshots; INFO calls are excluded (the later snapshot counts the earlier
   * one's INFO).
   */
  static delta(before: RedisSnapshot, after: RedisSnapshot): RedisDelta {
    const byCommand: Record<string, number> = {};
    let commands = 0;
    for (const [name, calls] of Object.entries(after.calls)) {
      const diff = calls - (before.calls[name] ?? 0);
      if (name === 'info' || diff <= 0) continue;
      byCommand[name] = diff;
      commands += diff;
    }
    const wallMs = after.at - before.at;
    const cpuMs = (after.cpuSec - before.cpuSec) * 1000;
    return {
      wallMs,
      commands,
      byCommand,
      commandsPerSec: (commands / wallMs) * 1000,
      cpuMs,
      cpuPct: (cpuMs / wallMs) * 100,
    };
  }

  /** Runs any command (PUBSUB NUMSUB, CONFIG GET) on the admin connection. */
  call(command: string, ...args: string[]): Promise<unknown> {
    return this.#client.call(command, ...args);
  }

  /** Closes the admin connection. */
  close(): void {
    this.#client.disconnect();
  }
}
