import { abortOutcome, type MarbleCase } from './MarbleCase.js';

const stopped = { id: 'job-1', outcome: 'stopped', workerId: 'w1' } as const;
const skipped = { id: 'job-1', outcome: 'skipped', workerId: 'w2' } as const;

/** `outcome$(id)`: when a worker's report reaches it, and what it holds while it watches. */
export const outcomeCases: readonly MarbleCase[] = [
  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'outcome after subscribe',
    description:
      'A worker stops the aborted task and reports it while `outcome$` watches: `outcome$` emits the ' +
      'outcome at once and completes, and the outcome watch is released in the same frame.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 '--a------',
    reports: { values: { s: stopped },
      marbles:              '-----s---' },
    watchers: [{ op: 'outcome$', id: 'job-1',
      expected:             '-----(o|)',
      values: { o: abortOutcome(stopped, 5) } }],
    watches: {},
    outcomeWatches: { 'job-1': ['^----!'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'outcome before subscribe',
    description:
      'The worker reported before the subscription and the outcome is still inside its window ' +
      '(`abortTtl`): `outcome$` emits it as soon as it subscribes.',
    calls: { a: { ids: 'job-1' } },
    aborts:                 'a--------',
    reports: { values: { s: skipped },
      marbles:              '-s-------' },
    watchers: [{ op: 'outcome$', id: 'job-1',
      subscription:         '----^----',
      expected:             '----(o|)',
      values: { o: abortOutcome(skipped, 1) } }],
    watches: {},
    outcomeWatches: { 'job-1': ['----(^!)'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'expired outcome',
    description:
      'An outcome lives the reporting Abortable\'s `abortTtl` (here 3: frames 1 to 3). Once it has ' +
      'expired, a later `outcome$` never emits; unsubscribing releases its watch.',
    abortTtl: 3,
    calls: { a: { ids: 'job-1' } },
    aborts:                 'a---------',
    reports: { values: { s: stopped },
      marbles:              '-s--------' },
    watchers: [{ op: 'outcome$', id: 'job-1',
      subscription:         '-----^---!',
      expected:             '----------' }],
    watches: {},
    outcomeWatches: { 'job-1': ['-----^---!'] },
  },

  // biome-ignore format: the marble strings are aligned by hand
  {
    name: 'only the first outcome, only its own id',
    description:
      'An outcome of another id is not seen; `outcome$` emits the first outcome of its id and completes, ' +
      'so a later report (here a second worker) is not emitted.',
    calls: { a: { ids: ['job-1', 'job-2'] } },
    aborts:                 '-a-------',
    reports: { values: { x: { id: 'job-2', outcome: 'stopped' }, s: stopped, t: skipped },
      marbles:              '---x-s-t-' },
    watchers: [{ op: 'outcome$', id: 'job-1',
      expected:             '-----(o|)',
      values: { o: abortOutcome(stopped, 5) } }],
    watches: {},
    outcomeWatches: { 'job-1': ['^----!'] },
  },
];
