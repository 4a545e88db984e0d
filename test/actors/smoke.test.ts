import { afterEach, describe, expect, it } from 'vitest';
import { actor } from '../../src/index.js';
import { type Harness, harness, typesOf } from './support.js';

let h: Harness;
afterEach(() => h.teardown());

describe('worker smoke', () => {
  it('runs a message', async () => {
    h = harness();
    const add = actor('add', (a: number, b: number) => a + b, { broker: h.broker });
    h.worker({ concurrency: 2 });
    const message = await add.send(1, 2);
    const done = await h.next('succeeded', message.messageId);
    expect(done.result).toBe(3);
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'started', 'succeeded']);
  });
});
