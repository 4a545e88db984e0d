import { Abort } from '../src/index.js';
import type { AbortCall, MarbleCase, Probe, Watcher } from './MarbleCase.js';

/** A titled group of scenarios: one module of the catalogue, one section of `marbles/README.md`. */
export interface MarbleSection {
  readonly title: string;
  readonly description: string;
  readonly cases: readonly MarbleCase[];
}

/** One line of a diagram: who, what, and the marble string. */
type Row = readonly [subject: string, role: string, marbles: string];

/** Writes a value the way it would be written in TypeScript (single quotes, no `undefined` fields). */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value instanceof Abort) return `Abort ${show(value.event)}`;
  if (value instanceof Error) return `${value.name}(${show(value.message)})`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, field]) => field !== undefined);
    return fields.length === 0
      ? '{}'
      : `{ ${fields.map(([key, field]) => `${key}: ${show(field)}`).join(', ')} }`;
  }
  return String(value);
}

const showCall = (call: AbortCall): string =>
  call.options === undefined ? `abort(${show(call.ids)})` : `abort(${show(call.ids)}, ${show(call.options)})`;

const showProbe = (probe: Probe): string =>
  probe.probe === 'watchedIds'
    ? `backend.watchedIds is ${probe.expected}`
    : `aborted(${show(probe.id)}) resolves to ${show(probe.expected)}`;

/** What the watcher subscribes to, as code. */
export const watcherLabel = (watcher: Watcher): string => {
  const call =
    watcher.op === 'abort$' || watcher.op === 'outcome$'
      ? `${watcher.op}(${show(watcher.id)})`
      : `source.pipe(${watcher.op}(${show(watcher.id)}))`;
  return watcher.name === undefined ? call : `${call} [${watcher.name}]`;
};

const ruler = (width: number): string =>
  Array.from({ length: width }, (_, frame) => String(frame % 10)).join('');

function rows(scenario: MarbleCase): Row[] {
  const result: Row[] = [['abort()', 'calls', scenario.aborts]];
  if (scenario.reports !== undefined) result.push(['reportOutcome()', 'calls', scenario.reports.marbles]);
  for (const watcher of scenario.watchers) {
    const label = watcherLabel(watcher);
    if ('source' in watcher) {
      result.push(['source', 'emits', watcher.source.marbles]);
      const subscriptions = watcher.source.subscriptions;
      if (subscriptions.length === 0) result.push(['', 'subscribed', '(never)']);
      for (const subscription of subscriptions) result.push(['', 'subscribed', subscription]);
    }
    result.push([label, 'subscribe', watcher.subscription ?? '^']);
    result.push(['', 'emits', watcher.expected]);
  }
  for (const [id, subscriptions] of Object.entries(scenario.watches)) {
    subscriptions.forEach((subscription, index) => {
      result.push([index === 0 ? `backend.watch(${show(id)})` : '', 'subscribed', subscription]);
    });
  }
  for (const [id, subscriptions] of Object.entries(scenario.outcomeWatches ?? {})) {
    subscriptions.forEach((subscription, index) => {
      result.push([index === 0 ? `backend.watchOutcome(${show(id)})` : '', 'subscribed', subscription]);
    });
  }
  if (scenario.probes !== undefined) result.push(['probes', 'checks', scenario.probes.marbles]);
  return result;
}

function legend(scenario: MarbleCase): string[] {
  const lines: string[] = [];
  const add = (line: string): void => {
    if (!lines.includes(line)) lines.push(line);
  };
  for (const [letter, call] of Object.entries(scenario.calls)) add(`${letter} = ${showCall(call)}`);
  for (const [letter, report] of Object.entries(scenario.reports?.values ?? {}))
    add(`${letter} = reportOutcome(${show(report)})`);
  for (const watcher of scenario.watchers) {
    for (const [letter, value] of Object.entries(watcher.values ?? {})) add(`${letter} = ${show(value)}`);
    if (watcher.expected.includes('#')) add(`# = ${show(watcher.error)}`);
  }
  for (const [letter, probe] of Object.entries(scenario.probes?.values ?? {}))
    add(`${letter} = ${showProbe(probe)}`);
  return lines;
}

/**
 * Draws one scenario as an ASCII marble diagram: a frame ruler, one row per input and output on a shared
 * time axis, and a legend of the letters.
 */
export function renderCase(scenario: MarbleCase): string {
  const body = rows(scenario);
  const width = Math.max(...body.map(([, , marbles]) => marbles.length));
  const all: Row[] = [['', 'frame', ruler(width)], ...body];
  const subjectWidth = Math.max(...all.map(([subject]) => subject.length));
  const roleWidth = Math.max(...all.map(([, role]) => role.length));
  const lines = all.map(([subject, role, marbles]) =>
    `${subject.padEnd(subjectWidth)}  ${role.padEnd(roleWidth)}  ${marbles}`.trimEnd(),
  );
  return [...lines, '', ...legend(scenario)].join('\n');
}

/** The whole of `marbles/README.md`. */
export function renderCatalogue(sections: readonly MarbleSection[]): string {
  const parts = [
    '# Marble catalogue',
    '',
    '<!-- Generated from marbles/*.marbles.ts by marbles/render.ts. Do not edit by hand: run',
    '     UPDATE_MARBLES=1 npx vitest run test/core/marbles.test.ts -->',
    '',
    'The behaviour of the core, as scenarios that `test/core/marbles.test.ts` executes with RxJS',
    '`TestScheduler.run` against a `MemoryBackend` (whose TTL clock is then virtual). Every diagram below is',
    'drawn from the same data the test runs.',
    '',
    'Notation: one character is one millisecond of virtual time (the `frame` ruler counts them). `^` is a',
    'subscription and `!` its end, `(..)` groups what happens in one frame, `|` is completion, `#` an error.',
    'Rows on the same diagram share the time axis. `backend.watch(id)` rows show when the backend holds a',
    "watch for the id: proof that every watch is released. An event's `at` is the frame of its `abort()`.",
  ];
  for (const section of sections) {
    parts.push('', `## ${section.title}`, '', section.description);
    for (const scenario of section.cases) {
      parts.push(
        '',
        `### ${scenario.name}`,
        '',
        scenario.description,
        '',
        '```text',
        renderCase(scenario),
        '```',
      );
    }
  }
  return `${parts.join('\n')}\n`;
}
