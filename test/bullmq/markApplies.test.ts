import { describe, expect, it } from 'vitest';
import { markIsForJob, markSkipsJob, markStopsJob } from '../../src/bullmq/markApplies.js';
import type { AbortEvent } from '../../src/index.js';

const mark = (mode: 'abort' | 'cancel', at: number): AbortEvent => ({
  id: 'bull:q:1',
  mode,
  abortTimeout: 0,
  at,
});

describe('the abort rules of BullMQ jobs', () => {
  it('a mark applies only to a job created at or before it', () => {
    expect(markIsForJob(mark('abort', 100), { timestamp: 100 })).toBe(true);
    expect(markIsForJob(mark('abort', 100), { timestamp: 101 })).toBe(false);
  });

  it("an 'abort' skips every start; a 'cancel' only the first", () => {
    expect(markSkipsJob(mark('abort', 100), { timestamp: 50, attemptsStarted: 3 })).toBe(true);
    expect(markSkipsJob(mark('cancel', 100), { timestamp: 50, attemptsStarted: 1 })).toBe(true);
    expect(markSkipsJob(mark('cancel', 100), { timestamp: 50, attemptsStarted: 2 })).toBe(false);
    expect(markSkipsJob(mark('cancel', 100), { timestamp: 150, attemptsStarted: 1 })).toBe(false);
  });

  it("only an 'abort' for this job stops it while it runs", () => {
    expect(markStopsJob(mark('abort', 100), { timestamp: 50 })).toBe(true);
    expect(markStopsJob(mark('cancel', 100), { timestamp: 50 })).toBe(false);
    expect(markStopsJob(mark('abort', 100), { timestamp: 150 })).toBe(false);
  });
});
