// The BullMQ adapter (`rx-abort/bullmq`): abort any BullMQ job by id, from any process.

export {
  type AbortableJobProcessor,
  type AbortableProcessorOptions,
  abortableProcessor,
  type BullProcessor,
} from './abortableProcessor.js';
export { type AbortJobOptions, type AbortJobQueue, type AbortJobResult, abortJob } from './abortJob.js';
export { type AbortsWorker, type AttachAbortsOptions, attachAborts } from './attachAborts.js';
export { JobAbortedError } from './JobAbortedError.js';
export type { JobContext } from './JobContext.js';
export { jobAbortId, type QualifiedQueue } from './jobAbortId.js';
export type { JobAbortOutcome } from './reportOutcome.js';
