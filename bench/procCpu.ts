import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ; 100 on every Linux the benchmark runs on). */
const TICKS_PER_SEC = 100;

/**
 * CPU time a process has used so far (user + system, every thread), read from outside it in
 * `/proc/<pid>/stat`, in ms; resolution 10 ms. The benchmark reads it for every process of a run at the
 * same moments (redis-server included), so a CPU figure covers everything those processes did, not only
 * what each reports about itself.
 *
 * @example
 * ```ts
 * const before = processCpuMs(redis.pid);
 * // ... workload ...
 * const usedMs = processCpuMs(redis.pid) - before;
 * ```
 * @param pid - the process.
 * @returns its CPU time in ms, or NaN where /proc is missing or the process is gone.
 */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") "; utime and stime are the
    // 14th and 15th fields of the line, i.e. the 12th and 13th after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks / TICKS_PER_SEC) * 1000;
  } catch {
    return Number.NaN;
  }
}
