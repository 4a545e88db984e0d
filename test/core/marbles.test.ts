import { readFileSync, writeFileSync } from 'node:fs';
import { merge, type Observable, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catalogue, type MarbleCase, type Probe, renderCatalogue } from '../../marbles/index.js';
import {
  Abortable,
  type AbortEvent,
  type EventBackend,
  MemoryBackend,
  takeUntilAborted,
  throwOnAbort,
} from '../../src/index.js';

const README = new URL('../../marbles/README.md', import.meta.url);

interface ProbeResult {
  readonly frame: number;
  readonly probe: Probe;
  readonly actual: Promise<number | AbortEvent | null>;
}

/**
 * Runs one scenario in virtual time. The backend is a MemoryBackend on the default scheduler, which
 * `TestScheduler.run` makes virtual; every `backend.watch(id)` is merged with a silent hot observable so
 * `expectSubscriptions` shows when the watch is held and released.
 */
async function runCase(scenario: MarbleCase): Promise<void> {
  const scheduler = new TestScheduler((actual, expected) => {
    expect(actual).toEqual(expected);
  });
  vi.spyOn(Date, 'now').mockImplementation(() => scheduler.now());
  const memory = new MemoryBackend();
  const tracers = new Map<string, Observable<never>>();
  const outcomeTracers = new Map<string, Observable<never>>();
  const backend: EventBackend = {
    mark: (events, abortTtl) => memory.mark(events, abortTtl),
    read: (id) => memory.read(id),
    watch: (id) => {
      const tracer = tracers.get(id);
      if (tracer === undefined)
        throw new Error(`the scenario does not expect a watch of ${JSON.stringify(id)}`);
      return merge(tracer, memory.watch(id)); // the tracer first, so a synchronous emission is still traced
    },
    reportOutcome: (outcome, ttl) => memory.reportOutcome(outcome, ttl),
    readOutcome: (id) => memory.readOutcome(id),
    watchOutcome: (id) => {
      const tracer = outcomeTracers.get(id);
      if (tracer === undefined)
        throw new Error(`the scenario does not expect an outcome watch of ${JSON.stringify(id)}`);
      return merge(tracer, memory.watchOutcome(id));
    },
    close: () => memory.close(),
  };
  const abortable = new Abortable(
    scenario.abortTtl === undefined ? { backend } : { backend, abortTtl: scenario.abortTtl },
  );
  const probed: ProbeResult[] = [];

  scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const traced = Object.entries(scenario.watches).map(([id, subscriptions]) => {
      const tracer = hot<never>('-');
      tracers.set(id, tracer);
      return { tracer, subscriptions };
    });
    for (const [id, subscriptions] of Object.entries(scenario.outcomeWatches ?? {})) {
      const tracer = hot<never>('-');
      outcomeTracers.set(id, tracer);
      traced.push({ tracer, subscriptions });
    }

    const calls = cold(scenario.aborts, scenario.calls);
    expectObservable(calls.pipe(tap((call) => void abortable.abort(call.ids, call.options)))).toBe(
      scenario.aborts,
      scenario.calls,
    );
    expectSubscriptions(calls.subscriptions).toBe('^');
    if (scenario.reports !== undefined) {
      const { marbles, values } = scenario.reports;
      const reports = cold(marbles, values);
      expectObservable(reports.pipe(tap((report) => void abortable.reportOutcome(report)))).toBe(
        marbles,
        values,
      );
    }

    for (const watcher of scenario.watchers) {
      const subscription = watcher.subscription ?? '^';
      if (!('source' in watcher)) {
        const watched: Observable<unknown> =
          watcher.op === 'abort$' ? abortable.abort$(watcher.id) : abortable.outcome$(watcher.id);
        expectObservable(watched, subscription).toBe(watcher.expected, watcher.values, watcher.error);
      } else {
        const source = hot(watcher.source.marbles);
        const operator =
          watcher.op === 'takeUntilAborted'
            ? takeUntilAborted<string>(watcher.id, { abortable })
            : throwOnAbort<string>(watcher.id, { abortable });
        expectObservable(source.pipe(operator), subscription).toBe(
          watcher.expected,
          watcher.values,
          watcher.error,
        );
        expectSubscriptions(source.subscriptions).toBe([...watcher.source.subscriptions]);
      }
    }

    for (const { tracer, subscriptions } of traced) {
      expectSubscriptions(tracer.subscriptions).toBe([...subscriptions]);
    }

    if (scenario.probes !== undefined) {
      const { marbles, values } = scenario.probes;
      const checks = cold(marbles, values);
      const probes = checks.pipe(
        tap((probe) => {
          const actual =
            // MemoryBackend reads at call time, so the promise holds this frame's answer.
            probe.probe === 'watchedIds' ? Promise.resolve(memory.watchedIds) : abortable.aborted(probe.id);
          probed.push({ frame: scheduler.frame, probe, actual });
        }),
      );
      expectObservable(probes).toBe(marbles, values);
      expectSubscriptions(checks.subscriptions).toBe('^');
    }
  });

  for (const { frame, probe, actual } of probed) {
    expect(await actual, `${probe.probe} at frame ${frame}`).toEqual(probe.expected);
  }
  expect(memory.watchedIds, 'watches left after the run').toBe(0);
}

afterEach(() => {
  vi.restoreAllMocks();
});

for (const section of catalogue) {
  describe(`marbles: ${section.title}`, () => {
    for (const scenario of section.cases) {
      it(scenario.name, () => runCase(scenario));
    }
  });
}

describe('marbles/README.md', () => {
  it('shows every scenario of the catalogue', () => {
    const expected = renderCatalogue(catalogue);
    if (process.env.UPDATE_MARBLES) writeFileSync(README, expected);
    let actual = '';
    try {
      actual = readFileSync(README, 'utf8');
    } catch {
      // missing: reported by the comparison below
    }
    expect(
      actual === expected,
      'marbles/README.md is out of date with marbles/*.marbles.ts; regenerate it with\n' +
        '  UPDATE_MARBLES=1 npx vitest run test/core/marbles.test.ts',
    ).toBe(true);
  });
});
