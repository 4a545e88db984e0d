// npm run soak -- [--preset issue|small] [--tasks 5000] [--aborts 20000] [--workers 2] [--repeat 2] ...
// Runs the load soak of issue 4 (see soak/runSoak.ts), prints a summary, writes soak/results/latest.json and
// exits non-zero if an abort was lost, a task touched, or anything leaked.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupAll, installSignalHandlers } from './cleanup.js';
import { formatSummary } from './formatSummary.js';
import { parseSoakArgs, SOAK_USAGE, type SoakCli } from './options.js';
import { runSoak } from './runSoak.js';
import { toJson } from './toJson.js';

const defaultOut = fileURLToPath(new URL('./results/latest.json', import.meta.url));

let cli: SoakCli;
try {
  cli = parseSoakArgs(process.argv.slice(2), defaultOut);
} catch (error) {
  console.error(`${(error as Error).message}\n${SOAK_USAGE}`);
  process.exit(2);
}
if (cli.help) {
  console.log(SOAK_USAGE);
  process.exit(0);
}

installSignalHandlers();
const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
try {
  const report = await runSoak(cli.options, log);
  mkdirSync(dirname(cli.out), { recursive: true });
  writeFileSync(cli.out, toJson(report));
  console.log(formatSummary(report));
  console.log(`results: ${cli.out}`);
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error('soak: aborted:', error);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
