#!/usr/bin/env node
// The `rx-abort` command (package.json "bin"): argument parsing and printing only; runCli calls the library.
import { runCli } from './runCli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: process,
});
