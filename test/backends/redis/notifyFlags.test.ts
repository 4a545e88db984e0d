import { describe, expect, it } from 'vitest';
import { keyspaceChannel, markKey, probeKey } from '../../../src/backends/redis/keys.js';
import { mergeNotifyFlags, missingNotifyFlags } from '../../../src/backends/redis/notifyFlags.js';

describe('notify-keyspace-events flags', () => {
  it.each([
    ['', 'K$', 'K$'],
    ['Ex', 'K$', 'ExK$'],
    ['K$', '', 'K$'],
    ['KEA', '', 'KEA'],
    ['EA', 'K', 'EAK'],
    ['$K', '', '$K'],
    ['Kg', '$', 'Kg$'],
  ])('from %j it adds %j', (current, missing, merged) => {
    expect(missingNotifyFlags(current)).toBe(missing);
    expect(mergeNotifyFlags(current)).toBe(merged);
  });
});

describe('keys and channels', () => {
  it('puts the id verbatim after the prefix, in an exact channel name', () => {
    expect(markKey('p:', 'a*?[b]')).toBe('p:a*?[b]');
    expect(keyspaceChannel(3, 'p:a*')).toBe('__keyspace@3__:p:a*');
  });

  it('gives probe keys a newline, which no valid id has', () => {
    expect(probeKey('p:', 't')).toBe('p:\nprobe:t');
  });
});
