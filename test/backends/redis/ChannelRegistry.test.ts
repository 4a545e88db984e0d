import { describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../../src/backends/redis/ChannelRegistry.js';

describe('ChannelRegistry', () => {
  it('batches subscribes and unsubscribes into one flush', () => {
    const registry = new ChannelRegistry();
    expect(registry.add('a')).toBe(true);
    expect(registry.add('b')).toBe(true);
    expect(registry.add('a')).toBe(false);
    expect(registry.flush()).toEqual({ unsubscribe: [], subscribe: ['a', 'b'] });
    expect(registry.dirty).toBe(false);
    expect(registry.remove('a')).toBe(true);
    expect(registry.remove('a')).toBe(false);
    expect(registry.flush()).toEqual({ unsubscribe: ['a'], subscribe: [] });
    expect(registry.channels()).toEqual(['b']);
  });

  it('sends nothing for a channel added and removed before a flush', () => {
    const registry = new ChannelRegistry();
    registry.add('a');
    registry.remove('a');
    expect(registry.dirty).toBe(false);
    expect(registry.flush()).toEqual({ unsubscribe: [], subscribe: [] });
    expect(registry.size).toBe(0);
  });

  it('keeps a subscribed channel that is removed and re-added before a flush', () => {
    const registry = new ChannelRegistry();
    registry.add('a');
    registry.flush();
    registry.remove('a');
    registry.add('a');
    expect(registry.pendingSubscribe('a')).toBe(false);
    expect(registry.flush()).toEqual({ unsubscribe: [], subscribe: [] });
    expect(registry.has('a')).toBe(true);
  });

  it('resubscribes every wanted channel after a reconnect and forgets pending changes', () => {
    const registry = new ChannelRegistry();
    registry.add('a');
    registry.add('b');
    registry.flush();
    registry.remove('b');
    registry.add('c');
    expect(registry.resubscribe()).toEqual({ unsubscribe: [], subscribe: ['a', 'c'] });
    expect(registry.dirty).toBe(false);
  });
});
