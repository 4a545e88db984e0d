import { now, sleep } from '../clock.js';
import type { SystemName } from '../protocol.js';
import { RedisInfo } from '../redisInfo.js';
import { round3 } from '../stats.js';
import { startRig } from './rig.js';

/** What watching `watched` ids costs one system. */
export interface ScaleMeasure {
  system: SystemName;
  watched: number;
  /**
   * From starting the first task until every id is watched for sure (this library: SUBSCRIBE confirmed
   * and the re-read returned, seen from the worker; baseline: a BLPOP pass over every key sent), ms.
   */
  subscribeMs: number;
  /**
   * The harness's own share of {@link subscribeMs}: starting the same number of tasks without a watch
   * (`NEVER.pipe(finalize(...))` and the harness's record, no cut, no backend), ms.
   */
  harnessMs: number;
  /**
   * What the system adds: {@link subscribeMs} - {@link harnessMs}, i.e. the cuts, their watches, the
   * SUBSCRIBEs confirmed and the re-reads returned, ms. The subscribe target is judged on this.
   */
  librarySubscribeMs: number;
  /** `pubsub_channels` on the server once subscribed (this library: should equal `watched`). */
  serverChannels: number;
  /**
   * Errors the system reported while subscribing (this library's `errors$`, e.g. re-reads that timed out
   * after `commandTimeout` and were retried): 0 on a machine that is not starved of CPU. When not 0, the
   * heap and idle figures of the row may include the retries.
   */
  subscribeErrors: number;
  /** Whether every re-read was answered within the spawn timeout (false: `subscribeMs` is that timeout). */
  subscribeSettled: boolean;
  /** Redis CPU spent while subscribing, ms. */
  subscribeRedisCpuMs: number;
  /** Redis memory per watched id: `used_memory` after subscribing minus before, / watched, bytes. */
  redisBytesPerWatch: number;
  /**
   * Heap per watched id of a running task cut by the system (`takeUntilAborted` for this library):
   * (tasks with the cut - the same tasks without), bytes.
   */
  heapBytesPerWatch: number;
  /** Heap per running task with its watch (`NEVER.pipe(cut(id), finalize(...))` + the harness's record). */
  heapBytesPerTaskWithWatch: number;
  /** Heap per running task without a watch (`NEVER.pipe(finalize(...))` + the harness's record). */
  heapBytesPerTask: number;
  /**
   * Heap per bare watch (`backend.watch(id)` subscribed, no task): (bare watches - tasks without a watch,
   * both with the same `finalize` and the harness's record), bytes.
   */
  heapBytesPerBareWatch: number;
  /** Heap per bare-watch entry as it stands (`backend.watch(id).pipe(finalize(...))` + the record). */
  heapBytesPerBareWatchEntry: number;
  /** Redis commands per second while every id is watched and nothing happens (INFO excluded). */
  idleCommandsPerSec: number;
  /** Those commands by name. */
  idleCommands: Record<string, number>;
  /** Redis CPU while idle, % of one core. */
  idleRedisCpuPct: number;
  /** Worker CPU while idle, % of one core. */
  idleWorkerCpuPct: number;
  /** Length of the idle window, s. */
  idleWindowSec: number;
}

const SETTLE_MS = 500;

/**
 * Watches `watched` ids in one worker process and measures the time to subscribe them, the heap they
 * hold (with a breakdown), and what Redis and the worker do while nothing is aborted.
 *
 * @param system - the system under test.
 * @param watched - how many ids.
 * @param idleSeconds - length of the idle window.
 * @returns the measurements.
 */
export async function runScale(
  system: SystemName,
  watched: number,
  idleSeconds: number,
): Promise<ScaleMeasure> {
  const rig = await startRig({ system, client: false });
  try {
    const [worker] = rig.workers;
    if (worker === undefined) throw new Error('rig without worker');
    const spawn = (mode: 'full' | 'task' | 'watch') =>
      worker.call('spawn', { count: watched, mode, shape: 'never', timeoutMs: 120_000 }, 130_000);
    const perId = (before: number, after: number) => Math.round((after - before) / watched);

    // Every heap figure is taken from the same state: right after `watched` entries were finished, so
    // the harness's own tables have held that many (a warm-up round for the first).
    await spawn('task');
    await worker.call('finishAll', undefined);
    const heapBeforeTasks = await worker.call('heap', undefined);
    const tasksAlone = await spawn('task');
    const errorsBefore = tasksAlone.errorsSeen;
    const heapTasks = await worker.call('heap', undefined);
    await worker.call('finishAll', undefined);
    const heapBeforeFull = await worker.call('heap', undefined);

    const beforeSubscribe = await rig.info.snapshot();
    const { watchMs, errorsSeen, settled } = await spawn('full');
    const afterSubscribe = await rig.info.snapshot();
    const heapFull = await worker.call('heap', undefined);

    await sleep(SETTLE_MS);
    const idleStart = await rig.info.snapshot();
    const cpuStart = await worker.call('cpu', undefined);
    const idleStartedAt = now();
    await sleep(idleSeconds * 1000);
    const cpuEnd = await worker.call('cpu', undefined);
    const idleEndedAt = now();
    const idle = RedisInfo.delta(idleStart, await rig.info.snapshot());
    const workerCpuMs = cpuEnd.userMs + cpuEnd.systemMs - cpuStart.userMs - cpuStart.systemMs;

    await worker.call('finishAll', undefined);
    await sleep(SETTLE_MS);
    const heapBeforeWatch = await worker.call('heap', undefined);
    await spawn('watch');
    const heapWatch = await worker.call('heap', undefined);
    await worker.call('finishAll', undefined);

    const full = perId(heapBeforeFull, heapFull);
    const task = perId(heapBeforeTasks, heapTasks);
    const bare = perId(heapBeforeWatch, heapWatch);
    return {
      system,
      watched,
      subscribeMs: round3(watchMs),
      harnessMs: round3(tasksAlone.watchMs),
      librarySubscribeMs: round3(Math.max(0, watchMs - tasksAlone.watchMs)),
      serverChannels: afterSubscribe.pubsubChannels,
      subscribeErrors: errorsSeen - errorsBefore,
      subscribeSettled: settled,
      subscribeRedisCpuMs: round3(RedisInfo.delta(beforeSubscribe, afterSubscribe).cpuMs),
      redisBytesPerWatch: perId(beforeSubscribe.usedMemory, afterSubscribe.usedMemory),
      heapBytesPerWatch: full - task,
      heapBytesPerTaskWithWatch: full,
      heapBytesPerTask: task,
      heapBytesPerBareWatch: bare - task,
      heapBytesPerBareWatchEntry: bare,
      idleCommandsPerSec: round3(idle.commandsPerSec),
      idleCommands: idle.byCommand,
      idleRedisCpuPct: round3(idle.cpuPct),
      idleWorkerCpuPct: round3((workerCpuMs / (idleEndedAt - idleStartedAt)) * 100),
      idleWindowSec: round3(idle.wallMs / 1000),
    };
  } finally {
    await rig.stop();
  }
}
