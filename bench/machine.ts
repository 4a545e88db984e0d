import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { sleep } from './clock.js';
import type { MachineInfo } from './report/results.js';

/** Idle and total CPU jiffies from /proc/stat (Linux), or undefined elsewhere. */
function cpuJiffies(): { idle: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
  } catch {
    return undefined;
  }
}

/**
 * Share of CPU time that was idle over the next `ms` milliseconds, % (NaN where /proc/stat is missing).
 * @param ms - how long to sample.
 */
export async function idleCpuPct(ms: number): Promise<number> {
  const before = cpuJiffies();
  await sleep(ms);
  const after = cpuJiffies();
  if (before === undefined || after === undefined || after.total === before.total) return Number.NaN;
  return Math.round(((after.idle - before.idle) / (after.total - before.total)) * 1000) / 10;
}

/**
 * Waits, for at most `maxWaitMs`, until the machine is at least `minIdlePct` idle over half a second, so a
 * measurement does not start in the middle of someone else's burst of work.
 * @returns the idle share seen last, %.
 */
export async function awaitQuiet(minIdlePct: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let idle = await idleCpuPct(500);
  while (!(idle >= minIdlePct) && Date.now() < deadline) idle = await idleCpuPct(500);
  return idle;
}

/**
 * Describes the machine, including how busy it is right now (load averages and one second of CPU idle
 * time): the benchmark measures sub-millisecond latencies on a small machine, so other work skews it.
 * @returns the description, with `loadAvgAtEnd` to be filled in at the end.
 * @throws Error when redis-server is not on PATH.
 */
export async function describeMachine(): Promise<MachineInfo> {
  let redis: string;
  try {
    const version = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    redis = /v=(\S+)/.exec(version)?.[1] ?? version.trim();
  } catch {
    throw new Error(
      'redis-server is not on PATH: the benchmark starts its own servers. Install it ' +
        '(sudo apt-get install -y redis-server, or brew install redis) and run npm run bench again.',
    );
  }
  const idleCpuPctAtStart = await idleCpuPct(1000);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${platform()} ${release()}`,
    node: process.version,
    redis,
    loadAvgAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
    loadAvgAtEnd: [],
    idleCpuPctAtStart,
    idlePctBeforeRun: {},
    loadAvgBeforeRun: {},
  };
}
