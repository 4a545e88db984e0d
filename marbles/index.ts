import { abortCases } from './abort.marbles.js';
import { operatorCases } from './operators.marbles.js';
import { outcomeCases } from './outcomes.marbles.js';
import type { MarbleSection } from './render.js';

export type { AbortCall, MarbleCase, Probe, Watcher } from './MarbleCase.js';
export { type MarbleSection, renderCase, renderCatalogue } from './render.js';

/** Every scenario of the catalogue, in README order. */
export const catalogue: readonly MarbleSection[] = [
  {
    title: 'abort$',
    description:
      "`abortable.abort$(id)` emits one event when `id` is aborted in mode `'abort'`, then completes.",
    cases: abortCases,
  },
  {
    title: 'Operators',
    description:
      '`takeUntilAborted(id)` completes a pipeline when `id` is aborted; `throwOnAbort(id)` errors it with ' +
      '`Abort`. Both subscribe to the abort watch before the source.',
    cases: operatorCases,
  },
  {
    title: 'outcome$',
    description:
      '`abortable.outcome$(id)` emits one `AbortOutcome` when a worker reports what it did about an abort ' +
      "of `id` (`'skipped'`, `'stopped'` or `'finished'`), then completes.",
    cases: outcomeCases,
  },
];
