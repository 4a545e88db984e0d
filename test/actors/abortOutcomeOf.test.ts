import { describe, expect, it } from 'vitest';
import { abortOutcomeOf } from '../../src/actors/abortOutcomeOf.js';
import type { AbortRequest } from '../../src/index.js';

const event = { id: 'x', mode: 'abort' as const, abortTimeout: 100, at: 0 };
const request: AbortRequest = { event, deadline: 100, timeLeft: 100 };

describe('abortOutcomeOf', () => {
  it.each([
    [{ type: 'aborted', event, started: true, graceful: false }, 'stopped'],
    [{ type: 'aborted', event, started: true, graceful: true }, 'stopped'],
    [{ type: 'aborted', event, started: false, graceful: false }, 'skipped'],
    [{ type: 'succeeded', result: 1, abortRequest: request }, 'finished'],
    [{ type: 'failed', error: new Error('x'), abortRequest: request }, 'stopped'],
    [{ type: 'succeeded', result: 1, abortRequest: undefined }, undefined],
    [{ type: 'failed', error: new Error('x'), abortRequest: undefined }, undefined],
    [{ type: 'stopped', started: true }, undefined],
  ] as const)('%o -> %s', (outcome, expected) => {
    expect(abortOutcomeOf(outcome)).toBe(expected);
  });
});
