#!/usr/bin/env node
// The `rx-abort` command (package.json "bin"): argument parsing and printing only; runCli calls the library.
import { parseCommandLine } from './parseCommandLine.js';
import { runCli } from './runCli.js';

// The library's process warnings (an eviction risk, a changed server setting) in the command line's own
// words; `doctor` reports the same findings as its checks, so it leaves them out.
let command: string | undefined;
try {
  const parsed = parseCommandLine(process.argv.slice(2), process.env);
  if (parsed.kind === 'run') command = parsed.command;
} catch {
  // A usage error: runCli reports it.
}
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (command === 'doctor' && warning.code?.startsWith('RX_ABORT_')) return;
  process.stderr.write(`rx-abort: warning: ${warning.message}\n`);
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: process,
});
