import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';

const execFileAsync = promisify(execFile);
const example = fileURLToPath(new URL('../../../examples/bullmq.ts', import.meta.url));

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

it('examples/bullmq.ts runs against a Redis and exits by itself', async () => {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', example], {
    env: { ...process.env, REDIS_URL: server.url },
    timeout: 20_000,
  });
  expect(stdout).toMatch(/delayed job: removed/);
  expect(stdout).toMatch(/running job: signalled/);
  expect(stdout).toMatch(/the signal aborted with an Abort: true/);
  expect(stdout).toMatch(/failed: aborted while running: .*user pressed cancel/);
  expect(stdout).toMatch(/finished job: finished/);
  expect(await server.cli('PUBSUB', 'CHANNELS', '*')).toBe('');
}, 30_000);
