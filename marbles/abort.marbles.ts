import { abortEvent, aborted, type MarbleCase, watchedIds } from './MarbleCase.js';

/** `abort$(id)`: when it emits, when it does not, and what it holds while it watches. */
export const abortCases: readonly MarbleCase[] = [
  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'abort after subscribe',
    description:
      'The id is aborted while `abort$` watches it: `abort$` emits the event at once and completes, and ' +
      'the watch is released in the same frame.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '----a----',
    watchers: [{ op: 'abort$', id: 'job-1',
      expected:             '----(e|)',
      values: { e: abortEvent('job-1', 4) } }],
    watches: { 'job-1': [   '^---!'] },
    probes: { values: { v: watchedIds(1), w: watchedIds(0) },
      marbles:              '--v---w' },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'abort before subscribe',
    description:
      'The abort was requested before the subscription and its mark is still inside its window ' +
      '(`abortTtl`): `abort$` emits it as soon as it subscribes.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '-a-------',
    watchers: [{ op: 'abort$', id: 'job-1',
      subscription:         '----^----',
      expected:             '----(e|)',
      values: { e: abortEvent('job-1', 1) } }],
    watches: { 'job-1': [   '----(^!)'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'expired abort',
    description:
      'A mark lives `abortTtl` milliseconds (here 3: frames 1 to 3). Once it has expired, `aborted()` no ' +
      'longer sees it and a later `abort$` never emits.',
    calls: { a: { ids: 'job-1', options: { abortTtl: 3 } } },
    aborts:                 '-a--------',
    watchers: [{ op: 'abort$', id: 'job-1',
      subscription:         '-----^---!',
      expected:             '----------' }],
    watches: { 'job-1': [   '-----^---!'] },
    probes: { values: { p: aborted('job-1', abortEvent('job-1', 1)), q: aborted('job-1', null) },
      marbles:              '---pq-----' },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'cancel is ignored by abort$',
    description:
      "A `'cancel'` only skips a task that has not started: `abort$` (which stops running work) ignores " +
      'it, while `aborted()` (the pre-start check) sees it.',
    calls: { c: { ids: 'job-1', options: { mode: 'cancel' } } },
    aborts:                 '--c------',
    watchers: [{ op: 'abort$', id: 'job-1',
      subscription:         '^-------!',
      expected:             '---------' }],
    watches: { 'job-1': [   '^-------!'] },
    probes: { values: { p: aborted('job-1', abortEvent('job-1', 2, { mode: 'cancel' })) },
      marbles:              '----p----' },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'abort after cancel',
    description:
      "A later abort in mode `'abort'` replaces the `'cancel'` mark and stops the watcher: " +
      '`abort$` emits it.',
    calls: {
      c: { ids: 'job-1', options: { mode: 'cancel' } },
      a: { ids: 'job-1', options: { reason: 'too slow' } },
    },
    aborts:                 '--c--a---',
    watchers: [{ op: 'abort$', id: 'job-1',
      expected:             '-----(e|)',
      values: { e: abortEvent('job-1', 5, { reason: 'too slow' }) } }],
    watches: { 'job-1': [   '^----!'] },
    probes: {
      values: {
        p: aborted('job-1', abortEvent('job-1', 2, { mode: 'cancel' })),
        q: aborted('job-1', abortEvent('job-1', 5, { reason: 'too slow' })),
      },
      marbles:              '---p---q-' },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'two watchers of one id',
    description:
      'Both watchers get the abort. The backend holds one watch entry for the id however many watch it, ' +
      'and none once both have left.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '-----a---',
    watchers: [
      { op: 'abort$', id: 'job-1', name: 'first',
        expected:           '-----(e|)',
        values: { e: abortEvent('job-1', 5) } },
      { op: 'abort$', id: 'job-1', name: 'second',
        subscription:       '--^------',
        expected:           '-----(e|)',
        values: { e: abortEvent('job-1', 5) } },
    ],
    watches: { 'job-1': [   '^----!',
                            '--^--!'] },
    probes: { values: { v: watchedIds(1), w: watchedIds(0) },
      marbles:              '-v--v--w-' },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'teardown',
    description:
      'Unsubscribing releases the watch (`backend.watchedIds` is back to 0); an abort that comes later ' +
      'reaches nobody.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '------a--',
    watchers: [{ op: 'abort$', id: 'job-1',
      subscription:         '^--!-----',
      expected:             '---------' }],
    watches: { 'job-1': [   '^--!'] },
    probes: { values: { v: watchedIds(1), w: watchedIds(0) },
      marbles:              '-v---w---' },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'many ids in one call',
    description: 'One `abort()` call marks every id it is given; the watcher of each id gets its own event.',
    calls: { a: { ids: ['job-1', 'job-2'] } },
    aborts:                 '---a-----',
    watchers: [
      { op: 'abort$', id: 'job-1',
        expected:           '---(e|)',
        values: { e: abortEvent('job-1', 3) } },
      { op: 'abort$', id: 'job-2',
        expected:           '---(f|)',
        values: { f: abortEvent('job-2', 3) } },
    ],
    watches: { 'job-1': [   '^--!'],
               'job-2': [   '^--!'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'ids are exact',
    description:
      'An id is never a pattern: aborting `job-1` does not reach the watcher of `job-*`, and aborting ' +
      '`job-*` does not reach the watcher of `job-1`.',
    calls: { a: { ids: 'job-1' }, b: { ids: 'job-*' } },
    aborts:                 '--a--b---',
    watchers: [
      { op: 'abort$', id: 'job-1',
        expected:           '--(e|)',
        values: { e: abortEvent('job-1', 2) } },
      { op: 'abort$', id: 'job-*',
        expected:           '-----(g|)',
        values: { g: abortEvent('job-*', 5) } },
    ],
    watches: { 'job-1': [   '^-!'],
               'job-*': [   '^----!'] },
  },
];
