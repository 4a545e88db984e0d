// Core: abort events, errors and the Abortable facade (pure RxJS, no Redis).

// Event backends.
export type { EventBackend } from './backends/EventBackend.js';
export { MemoryBackend, type MemoryBackendOptions } from './backends/MemoryBackend.js';
export type {
  DiagnosisCheck,
  DiagnosisCheckName,
  DiagnosisStatus,
  RedisDiagnosis,
} from './backends/redis/diagnosis/DiagnosisCheck.js';
export { type DiagnoseRedisOptions, diagnoseRedis } from './backends/redis/diagnosis/diagnoseRedis.js';
export { EvictionPolicyError } from './backends/redis/errors/EvictionPolicyError.js';
export { NotificationsDisabledError } from './backends/redis/errors/NotificationsDisabledError.js';
export { RedisAuthError } from './backends/redis/errors/RedisAuthError.js';
export { RedisOutOfMemoryError } from './backends/redis/errors/RedisOutOfMemoryError.js';
export { RedisPermissionError } from './backends/redis/errors/RedisPermissionError.js';
export { RedisUnavailableError } from './backends/redis/errors/RedisUnavailableError.js';
export { ReplicationTimeoutError } from './backends/redis/errors/ReplicationTimeoutError.js';
export {
  RedisBackend,
  type RedisBackendOptions,
  type RedisBackendUrlOptions,
} from './backends/redis/RedisBackend.js';
export type { RedisClient } from './backends/redis/types.js';
export {
  type AbortAndWaitOptions,
  Abortable,
  type AbortableOptions,
  type AbortOptions,
  type ReportOutcomeOptions,
} from './core/Abortable.js';
export type { AbortEvent } from './core/AbortEvent.js';
export { ABORT_MODES, type AbortMode } from './core/AbortMode.js';
export { ABORT_OUTCOME_KINDS, type AbortOutcome, type AbortOutcomeKind } from './core/AbortOutcome.js';
// Top-level functions and operators (use the { abortable } option, else the process-wide default).
export { abort, type TopLevelAbortOptions } from './core/abort.js';
export { abort$, type WatchOptions } from './core/abort$.js';
export { aborted } from './core/aborted.js';
export {
  type AbortSignalOptions,
  abortSignal,
  signalFromAbortEvents,
  type TopLevelAbortSignalOptions,
  type WatchedAbortSignal,
} from './core/abortSignal.js';
export { type AbortableProvider, getDefaultAbortable, setDefaultAbortable } from './core/defaultAbortable.js';
export { Abort } from './core/errors/Abort.js';
export { BackendClosedError } from './core/errors/BackendClosedError.js';
export { NoAbortableError } from './core/errors/NoAbortableError.js';
export { isPermanentError } from './core/isPermanentError.js';
export { type TakeUntilAbortedOptions, takeUntilAborted } from './core/takeUntilAborted.js';
export { type ThrowOnAbortOptions, throwOnAbort, throwOnAbortEvent } from './core/throwOnAbort.js';
export {
  MAX_ABORT_TIMEOUT,
  MAX_ABORT_TTL,
  MAX_ID_LENGTH,
  MAX_REASON_LENGTH,
} from './core/validate.js';
export { type AbortOutcomeReport, MAX_WORKER_ID_LENGTH } from './core/validateOutcome.js';

// Actors, brokers and workers

export {
  Actor,
  type ActorArgs,
  type ActorHandler,
  type ActorOptions,
  type ActorResult,
  actor,
  type SendOptions,
} from './actors/actor.js';
export type { Broker, BrokerMiddleware, Delivery, JoinOptions, ReceiveOptions } from './actors/Broker.js';
export { AbortCheckError } from './actors/errors/AbortCheckError.js';
export { ActorAlreadyDeclaredError } from './actors/errors/ActorAlreadyDeclaredError.js';
export { ActorNotFoundError } from './actors/errors/ActorNotFoundError.js';
export { BrokerClosedError } from './actors/errors/BrokerClosedError.js';
export { OutcomeReportError } from './actors/errors/OutcomeReportError.js';
export { WorkerStoppedError } from './actors/errors/WorkerStoppedError.js';
export { getBroker, setBroker } from './actors/getBroker.js';
export { isAbortable } from './actors/isAbortable.js';
export type {
  IsolatedActorOptions,
  Isolation,
  IsolationSpec,
} from './actors/isolation/IsolatedActorOptions.js';
export { IsolatedTaskError, type IsolatedTaskFailure } from './actors/isolation/IsolatedTaskError.js';
export { ISOLATE_CHANNEL, type IsolateEvent } from './actors/isolation/isolateEvents.js';
export type { IsolateFailure, SerializedError } from './actors/isolation/protocol.js';
export { MemoryBroker, type MemoryBrokerStats } from './actors/MemoryBroker.js';
export type { Message, MessageOptions } from './actors/Message.js';
export type { Middleware } from './actors/Middleware.js';
export {
  RedisBroker,
  type RedisBrokerClient,
  type RedisBrokerOptions,
  type RedisQueueStats,
} from './actors/redis/RedisBroker.js';
export type { AbortRequest, TaskContext } from './actors/TaskContext.js';
export { MAX_CONCURRENCY, MAX_DELAY, MAX_NAME_LENGTH, MAX_RETRIES } from './actors/validate.js';
export { type StopOptions, Worker, type WorkerOptions } from './actors/Worker.js';
export type { MessageEventFields, WorkerEvent, WorkerEventType } from './actors/WorkerEvent.js';
