import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

let session: Session | undefined;

/**
 * Starts sampling this process's CPU (V8 inspector, in-process), so a profile covers only the measured
 * window instead of the process's whole life as `--cpu-prof` would.
 * @param intervalUs - sampling interval in microseconds.
 */
export async function startProfiling(intervalUs = 200): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
}

/**
 * Stops sampling and writes the profile (`.cpuprofile`, open it in Chrome DevTools or VS Code).
 * @param file - where to write it.
 * @returns the file, or undefined when profiling was not started.
 */
export async function stopProfiling(file: string): Promise<string | undefined> {
  if (session === undefined) return undefined;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  session = undefined;
  writeFileSync(file, JSON.stringify(profile));
  return file;
}
