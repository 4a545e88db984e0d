import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { bullmqSuite } from './suite.js';

// The oldest BullMQ the adapter supports (package.json peerDependencies), installed as the
// 'bullmq-oldest' npm alias: every 'bullmq' import of this run (the adapter's too) gets it.
vi.mock('bullmq', async () => await import('bullmq-oldest'));

const hook = fileURLToPath(new URL('./fixtures/oldestBullmq.mjs', import.meta.url));
bullmqSuite('BullMQ adapter on the oldest supported bullmq (5.64.0)', ['--import', hook], {
  sandboxCancel: false,
});
