// The load soak of issue 4 at its small size (soak/options.ts, preset 'small'): two worker processes, a
// client process and a redis-server of its own. Correctness only; `npm run soak` gives the full size and
// the speed figures.
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSoakOptions } from '../../soak/options.js';
import { runSoak, type SoakReport, type SoakRoundReport } from '../../soak/runSoak.js';

describe('soak, small size: running, queued and unknown ids aborted at full speed from another process', () => {
  const options = resolveSoakOptions('small');
  let report: SoakReport;
  let round: SoakRoundReport;

  beforeAll(async () => {
    report = await runSoak(options);
    round = report.rounds[0] as SoakRoundReport;
  }, 30_000);

  it('issues every abort: running, queued and unknown ids, singles and batches', () => {
    expect(report.rounds).toHaveLength(options.repeat);
    expect(round).toMatchObject({ issued: options.aborts, failedCalls: 0, tasks: options.tasks });
    expect(round.runningTargets).toBeGreaterThan(0);
    expect(round.queuedTargets).toBeGreaterThan(0);
    expect(round.unknownIds).toBeGreaterThan(0);
    expect(round.calls).toBeLessThan(round.issued);
  });

  it('every running target stops and every queued target is skipped: nothing is lost', () => {
    expect(round.targets).toBe(round.runningTargets + round.queuedTargets);
    expect(round.problems).toEqual([]);
    expect(round).toMatchObject({ landed: round.targets, lost: 0 });
  });

  it('nothing else is touched, and no task ends or starts twice', () => {
    expect(round).toMatchObject({ touched: 0, duplicates: 0, unexpected: 0 });
  });

  it('leaves no keyspace channel subscribed, no id watched, no listener added, no message held', () => {
    expect(round).toMatchObject({ channelsLeftCount: 0, taskChannelsSubscribed: 0 });
    expect(report.channelsLeft).toBe(0);
    for (const worker of round.workers) {
      expect(worker).toMatchObject({ watchedIds: 0, listenerGrowth: 0, running: 0 });
    }
    for (const queue of [round.queuesLeft.running, round.queuesLeft.queued]) {
      expect(queue).toEqual({ length: 0, pending: 0, delayed: 0 });
    }
  });

  // A stopped worker's reader connection is closed (RedisBroker used to keep it until broker.close()).
  it('leaves no Redis connection of a stopped worker behind', () => {
    expect(round.connectionsGrowth).toBe(0);
  });
});
