import { describe, expect, it } from 'vitest';
import {
  decodeMark,
  decodePublishedMark,
  encodeMark,
  isPublishedValue,
  MAX_MARK_BYTES,
} from '../../../src/backends/redis/markValue.js';

describe('mark values', () => {
  it('round-trips an event without storing the id', () => {
    const event = { id: 'x', mode: 'cancel' as const, reason: 'r', abortTimeout: 10, at: 5 };
    const stored = encodeMark(event);
    expect(JSON.parse(stored)).toEqual({ mode: 'cancel', reason: 'r', abortTimeout: 10, at: 5 });
    expect(decodeMark('x', stored)).toEqual(event);
  });

  it('returns null only when there is no value', () => {
    expect(decodeMark('x', null)).toBeNull();
    expect(decodeMark('x', undefined)).toBeNull();
  });

  it.each([
    ['not JSON', '{oops'],
    ['empty', ''],
    ['a JSON array', '[1,2]'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['binary', '\u0000\uFFFD\uFFFD'],
    ['too large', `{"mode":"cancel","reason":"${'x'.repeat(MAX_MARK_BYTES)}"}`],
  ])('counts %s as an abort with no reason', (_name, value) => {
    expect(decodeMark('x', value, 7)).toEqual({ id: 'x', mode: 'abort', abortTimeout: 0, at: 7 });
  });

  it('drops fields of the wrong shape, never evaluates anything', () => {
    const value = JSON.stringify({ mode: 'explode', abortTimeout: 1.5, at: 'soon', reason: { toString: 1 } });
    expect(decodeMark('x', value, 3)).toEqual({ id: 'x', mode: 'abort', abortTimeout: 0, at: 3 });
    expect(decodeMark('x', JSON.stringify({ __proto__: { mode: 'cancel' } }), 3)).toMatchObject({
      mode: 'abort',
    });
  });
});

describe('published mark values', () => {
  it('decodes exactly the encoded form of a valid event', () => {
    const event = { id: 'x', mode: 'cancel' as const, reason: 'r', abortTimeout: 10, at: 5 };
    expect(decodePublishedMark('x', encodeMark(event))).toEqual(event);
    const bare = { id: 'x', mode: 'abort' as const, abortTimeout: 0, at: 1 };
    expect(decodePublishedMark('x', encodeMark(bare))).toEqual(bare);
  });

  it.each([
    ['not JSON', '{oops'],
    ['empty', ''],
    ['an event name', 'set'],
    ['a JSON array', '[1,2]'],
    ['an unknown mode', '{"mode":"explode","abortTimeout":0,"at":1}'],
    ['no mode', '{"abortTimeout":0,"at":1}'],
    ['a fractional abortTimeout', '{"mode":"abort","abortTimeout":1.5,"at":1}'],
    ['a negative abortTimeout', '{"mode":"abort","abortTimeout":-1,"at":1}'],
    ['no at', '{"mode":"abort","abortTimeout":0}'],
    ['a string at', '{"mode":"abort","abortTimeout":0,"at":"soon"}'],
    ['a reason that is not a string', '{"mode":"abort","abortTimeout":0,"at":1,"reason":{}}'],
    ['an extra field', '{"mode":"abort","abortTimeout":0,"at":1,"id":"other"}'],
    ['too large', `{"mode":"cancel","abortTimeout":0,"at":1,"reason":"${'x'.repeat(MAX_MARK_BYTES)}"}`],
  ])('refuses %s (the watcher reads the key instead)', (_name, message) => {
    expect(decodePublishedMark('x', message)).toBeUndefined();
  });

  it('tells published values from keyspace event names', () => {
    expect(isPublishedValue('{"mode":"abort"}')).toBe(true);
    for (const name of ['set', 'del', 'expire', 'expired', '']) expect(isPublishedValue(name)).toBe(false);
  });
});
