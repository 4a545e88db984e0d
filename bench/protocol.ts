/**
 * The messages between the benchmark's parent process and its worker and client processes (Node IPC with
 * `serialization: 'advanced'`, so typed arrays travel as they are).
 */

/** Methods a child process exposes: each takes one structured-clonable argument. */
export type ChildApi = { [method: string]: (arg: never) => unknown };

/** Parent -> child: run a method. */
export interface CallMessage {
  readonly kind: 'call';
  readonly seq: number;
  readonly method: string;
  readonly arg: unknown;
}

/** Child -> parent: the result of a call. */
export type ReplyMessage =
  | { readonly kind: 'reply'; readonly seq: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly seq: number; readonly ok: false; readonly error: string };

/** Child -> parent: something happened (a teardown ran), unprompted. */
export interface EventMessage {
  readonly kind: 'event';
  readonly name: string;
  readonly data: unknown;
}

/** Any message a child sends. */
export type ChildMessage = ReplyMessage | EventMessage;

/** The `data` of a worker's `teardown` event: which task was torn down, and when (shared clock, ms). */
export interface TeardownEvent {
  readonly id: string;
  readonly at: number;
}

/** Which implementation a process runs: this library, or the dramatiq-abort-style polling baseline. */
export type SystemName = 'ours' | 'baseline';
