import type { ChannelListener } from './KeyspaceSubscriber.js';

/**
 * One {@link ChannelListener} that tells each of `listeners` everything, in order: the subscriber has a
 * single listener, and the backend's tables (marks and outcomes) each find only their own channels (the
 * other's lookups miss), so both can be told every message.
 */
export function fanOut(...listeners: readonly ChannelListener[]): ChannelListener {
  return {
    message: (channel, message) => {
      for (const listener of listeners) listener.message(channel, message);
    },
    value: (channel, message) => {
      for (const listener of listeners) listener.value(channel, message);
    },
    subscribed: (channel) => {
      for (const listener of listeners) listener.subscribed(channel);
    },
    failed: (error) => {
      for (const listener of listeners) listener.failed(error);
    },
  };
}
