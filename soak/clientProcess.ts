// The client process of the soak (forked by soak/runSoak.ts): issues the round's aborts at full speed, single
// ids with abort(id) and batches with abort([...ids]), at most `inFlight` calls at once.
import { Redis } from 'ioredis';
import { Abortable, RedisBackend } from '../src/index.js';
import type { ClientApi, ClientResult } from './protocol.js';
import { collectedHeap, serve } from './serve.js';

const MAX_ERRORS = 5;

let connection: { readonly client: Redis; readonly abortable: Abortable } | undefined;

serve<ClientApi>({
  async init({ url, prefix }) {
    const client = new Redis(url, { maxRetriesPerRequest: 2 });
    // Connection trouble shows as failed calls (RedisUnavailableError); keep ioredis from logging it twice.
    client.on('error', () => {});
    connection = {
      client,
      abortable: new Abortable({ backend: new RedisBackend({ client, prefix: `${prefix}abort:` }) }),
    };
    await client.ping();
  },

  async abort({ calls, inFlight, abortTtl }): Promise<ClientResult> {
    if (connection === undefined) throw new Error('init first');
    const { abortable } = connection;
    const sentAt: number[] = new Array(calls.length).fill(0);
    const errors: string[] = [];
    let issued = 0;
    let failedCalls = 0;
    let next = 0;
    // Each lane makes one call at a time; every call is bounded by the backend's commandTimeout.
    const lane = async (): Promise<void> => {
      while (next < calls.length) {
        const index = next++;
        const call = calls[index];
        if (call === undefined) break;
        sentAt[index] = Date.now();
        issued += call.ids.length;
        try {
          if (call.batch) await abortable.abort(call.ids, { abortTtl });
          else await abortable.abort(call.ids[0] as string, { abortTtl });
        } catch (error) {
          failedCalls++;
          if (errors.length < MAX_ERRORS) errors.push(String(error));
        }
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: Math.min(inFlight, calls.length) }, lane));
    const durationMs = Date.now() - started;
    return {
      issued,
      calls: calls.length,
      failedCalls,
      errors,
      sentAt,
      durationMs,
      heapUsed: await collectedHeap(),
    };
  },

  async close() {
    const current = connection;
    connection = undefined;
    if (current === undefined) return;
    await current.abortable.close();
    await current.client.quit().catch(() => {});
  },
});
