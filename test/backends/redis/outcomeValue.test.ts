import { describe, expect, it } from 'vitest';
import { markKey, outcomeKey, probeKey } from '../../../src/backends/redis/keys.js';
import { decodeOutcome, encodeOutcome, MAX_OUTCOME_BYTES } from '../../../src/backends/redis/outcomeValue.js';

describe('outcome values', () => {
  it('round-trips an outcome without storing the id', () => {
    const outcome = { id: 'x', outcome: 'finished' as const, at: 5, workerId: 'w-1' };
    const stored = encodeOutcome(outcome);
    expect(JSON.parse(stored)).toEqual({ outcome: 'finished', at: 5, workerId: 'w-1' });
    expect(decodeOutcome('x', stored)).toEqual(outcome);
    expect(decodeOutcome('x', encodeOutcome({ id: 'x', outcome: 'skipped', at: 1 }))).toEqual({
      id: 'x',
      outcome: 'skipped',
      at: 1,
    });
  });

  it('returns null only when there is no value', () => {
    expect(decodeOutcome('x', null)).toBeNull();
    expect(decodeOutcome('x', undefined)).toBeNull();
  });

  it.each([
    ['not JSON', '{oops'],
    ['empty', ''],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
    ['an unknown outcome', '{"outcome":"exploded","at":1}'],
    ['too large', `{"outcome":"stopped","workerId":"${'x'.repeat(MAX_OUTCOME_BYTES)}"}`],
  ])('rejects %s with an error naming the id', (_name, value) => {
    expect(() => decodeOutcome('job-1', value)).toThrow(/malformed abort outcome for id "job-1"/);
  });

  it('drops fields of the wrong shape', () => {
    const decoded = decodeOutcome('x', JSON.stringify({ outcome: 'stopped', at: 'soon', workerId: 7 }));
    expect(decoded).toEqual({ id: 'x', outcome: 'stopped', at: expect.any(Number) });
  });

  it('outcome keys never collide with mark or probe keys of any valid id', () => {
    // A valid id has no newline, and every outcome key has one right after the prefix.
    for (const id of ['a', 'outcome:a', 'probe:x', 'x\u2028y']) {
      expect(outcomeKey('p:', id)).not.toBe(markKey('p:', id));
      expect(outcomeKey('p:', id).startsWith('p:\n')).toBe(true);
      expect(markKey('p:', id).includes('\n')).toBe(false);
    }
    expect(outcomeKey('p:', 'x')).not.toBe(probeKey('p:', 'x'));
  });
});
