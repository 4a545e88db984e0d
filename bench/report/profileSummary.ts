import { readFileSync } from 'node:fs';

/** One function's share of a CPU profile. */
export interface ProfileEntry {
  /** `name file:line`. */
  where: string;
  /** Self time, ms. */
  selfMs: number;
  /** Share of all sampled time (idle excluded), %. */
  pct: number;
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and returns the functions with the most self time,
 * idle and GC-free program time only, to say what limits a run.
 *
 * @param file - the profile.
 * @param top - how many entries.
 * @returns the top entries, by self time.
 */
export function summarizeProfile(file: string, top = 12): ProfileEntry[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const sampleMs = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byWhere = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    const url = node.callFrame.url
      .replace(/^.*\/node_modules\//, '')
      .replace(/^file:\/\/.*\/(bench|src)\//, '$1/');
    const where = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber + 1}`;
    byWhere.set(where, (byWhere.get(where) ?? 0) + hits);
    busy += hits;
  }
  return [...byWhere.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, hits]) => ({
      where,
      selfMs: Math.round(hits * sampleMs),
      pct: Math.round((hits / busy) * 1000) / 10,
    }));
}
