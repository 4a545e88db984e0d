import { describe, expect, it } from 'vitest';
import {
  checkEviction,
  checkPersistence,
  keyspaceMessageBytes,
  pubsubLimits,
  type SettingsContext,
  settingsOf,
} from '../../../../src/backends/redis/diagnosis/serverSettings.js';

const context = (settings: SettingsContext['settings']): SettingsContext => ({
  node: { label: 'n:1', client: {} as never, run: () => Promise.reject(new Error('not sent')) },
  settings,
  configError: undefined,
  fix: false,
  burst: 10_000,
  idLength: 36,
  keyPrefix: 'rx-abort:',
  db: 0,
});

describe('diagnosis of server settings (pure parts)', () => {
  it('counts the bytes of a keyspace message as RESP puts it in the output buffer', () => {
    const channel = '__keyspace@0__:rx-abort:job-1';
    const resp = `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$3\r\nset\r\n`;
    expect(keyspaceMessageBytes(channel.length)).toBe(Buffer.byteLength(resp));
    expect(keyspaceMessageBytes(channel.length, 'expire')).toBe(Buffer.byteLength(resp) + 3);
  });

  it('reads the pubsub class of client-output-buffer-limit, and CONFIG GET replies in both forms', () => {
    expect(pubsubLimits('normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60')).toEqual({
      hard: 33_554_432,
      soft: 8_388_608,
      seconds: 60,
    });
    expect(pubsubLimits('normal 0 0 0')).toBeUndefined();
    expect(settingsOf(['maxmemory', '0', 'save', ''])).toEqual({ maxmemory: '0', save: '' });
    expect(settingsOf({ maxmemory: 5 })).toEqual({ maxmemory: '5' });
  });

  it('grades the eviction policy: noeviction passes; others warn without maxmemory and fail with it', () => {
    expect(checkEviction(context({ 'maxmemory-policy': 'noeviction', maxmemory: '100' })).status).toBe(
      'pass',
    );
    expect(checkEviction(context({ 'maxmemory-policy': 'volatile-lru', maxmemory: '0' })).status).toBe(
      'warn',
    );
    expect(
      checkEviction(context({ 'maxmemory-policy': 'volatile-ttl', maxmemory: '1048576' })),
    ).toMatchObject({
      status: 'fail',
      message: 'volatile-ttl with maxmemory 1mb: abort marks can be evicted before their window ends',
    });
  });

  it('grades persistence: AOF passes, RDB only or none warns', () => {
    expect(checkPersistence(context({ appendonly: 'yes', save: '' })).status).toBe('pass');
    expect(checkPersistence(context({ appendonly: 'no', save: '3600 1' })).message).toMatch(
      /^RDB snapshots only/,
    );
    expect(checkPersistence(context({ appendonly: 'no', save: '' })).message).toMatch(/^no persistence/);
    expect(checkPersistence({ ...context({}), configError: 'NOPERM' })).toMatchObject({
      status: 'warn',
      message: 'cannot read persistence (NOPERM)',
    });
  });
});
