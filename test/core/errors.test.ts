import { describe, expect, it } from 'vitest';
import { Abort, type AbortEvent, BackendClosedError, NoAbortableError } from '../../src/index.js';

describe('Abort', () => {
  const event: AbortEvent = {
    id: 'job-1',
    mode: 'abort',
    reason: 'user pressed stop',
    abortTimeout: 250,
    at: 42,
  };

  it('is an Error named Abort that carries the event', () => {
    const error = new Abort(event);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(Abort);
    expect(error.name).toBe('Abort');
    expect(error.id).toBe('job-1');
    expect(error.mode).toBe('abort');
    expect(error.reason).toBe('user pressed stop');
    expect(error.event).toBe(event);
    expect(error.stack).toContain('Abort');
  });

  it('puts the id and the reason in its message', () => {
    expect(new Abort(event).message).toBe('Task "job-1" was aborted: user pressed stop');
    expect(new Abort({ id: 'job "2"', mode: 'cancel', abortTimeout: 0, at: 0 }).message).toBe(
      'Task "job \\"2\\"" was aborted',
    );
  });

  it('has no reason when the abort gave none', () => {
    const error = new Abort({ id: 'job-1', mode: 'cancel', abortTimeout: 0, at: 0 });
    expect(error.reason).toBeUndefined();
    expect(error.mode).toBe('cancel');
  });
});

describe('BackendClosedError', () => {
  it('is an Error that names the backend', () => {
    const error = new BackendClosedError('memory');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BackendClosedError');
    expect(error.message).toBe('The memory event backend is closed');
  });
});

describe('NoAbortableError', () => {
  it('is an Error whose message says how to configure an Abortable', () => {
    const error = new NoAbortableError();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NoAbortableError');
    expect(error.message).toContain('Pass { abortable } to this call');
    expect(error.message).toContain('setDefaultAbortable(new Abortable({ backend }))');
    expect(error.message).toContain('addMiddleware(new Abortable({ backend }))');
  });
});
