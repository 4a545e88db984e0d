import { Abort } from '../src/index.js';
import { abortEvent, type MarbleCase } from './MarbleCase.js';

/** `takeUntilAborted(id)` and `throwOnAbort(id)`: how an abort stops a pipeline, and what they release. */
export const operatorCases: readonly MarbleCase[] = [
  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'takeUntilAborted completes',
    description:
      'The pipeline mirrors its source until the id is aborted, then completes; the source and the watch ' +
      'are both unsubscribed in that frame.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '------a----',
    watchers: [{ op: 'takeUntilAborted', id: 'job-1',
      source: {
        marbles:            '-a-b-c-d-e-',
        subscriptions: [    '^-----!'] },
      expected:             '-a-b-c|' }],
    watches: { 'job-1': [   '^-----!'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'throwOnAbort errors with Abort',
    description:
      'Same as `takeUntilAborted`, but the pipeline errors with an `Abort` that carries the id, the mode ' +
      'and the reason.',
    calls: { a: { ids: 'job-1', options: { reason: 'user' } } },
    aborts:                 '------a----',
    watchers: [{ op: 'throwOnAbort', id: 'job-1',
      source: {
        marbles:            '-a-b-c-d-e-',
        subscriptions: [    '^-----!'] },
      expected:             '-a-b-c#',
      error: new Abort(abortEvent('job-1', 6, { reason: 'user' })) }],
    watches: { 'job-1': [   '^-----!'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'aborted before the pipeline starts',
    description:
      'The abort watch is subscribed before the source, so an abort inside its window stops the pipeline ' +
      'before the source is ever subscribed.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '-a---------',
    watchers: [{ op: 'takeUntilAborted', id: 'job-1',
      subscription:         '---^-------',
      source: {
        marbles:            '---a-b-c-d-',
        subscriptions: [] },
      expected:             '---|' }],
    watches: { 'job-1': [   '---(^!)'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'source completes first',
    description:
      'When the source ends by itself the watch is released with it; a later abort changes nothing.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '-------a---',
    watchers: [{ op: 'throwOnAbort', id: 'job-1',
      source: {
        marbles:            '-a-b|',
        subscriptions: [    '^---!'] },
      expected:             '-a-b|' }],
    watches: { 'job-1': [   '^---!'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'cancel does not stop a running pipeline',
    description:
      "A `'cancel'` leaves running work alone: the pipeline goes on until it is unsubscribed, and then its " +
      'source and watch are released.',
    calls: { c: { ids: 'job-1', options: { mode: 'cancel' } } },
    aborts:                 '--c--------',
    watchers: [{ op: 'takeUntilAborted', id: 'job-1',
      subscription:         '^-------!',
      source: {
        marbles:            '-a-b-c-d-e-',
        subscriptions: [    '^-------!'] },
      expected:             '-a-b-c-d-' }],
    watches: { 'job-1': [   '^-------!'] },
  },
];
