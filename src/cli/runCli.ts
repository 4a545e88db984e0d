import { readFileSync } from 'node:fs';
import type { WatchSignals } from './commands/watch.js';
import { describeError } from './describeError.js';
import { type CliIo, Output } from './Output.js';
import { parseCommandLine, UsageError, usageOf } from './parseCommandLine.js';

/** What the command line runs with: its output streams, environment and signals. */
export interface CliContext extends CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signals: WatchSignals;
}

const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

/**
 * Runs the `rx-abort` command line and resolves its exit code: 0 ok, 1 a check, a wait or a Redis command
 * failed, 2 bad usage (the message and a usage hint on stderr).
 * @param argv - the arguments, without `node` and the script.
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  let command: ReturnType<typeof parseCommandLine> | undefined;
  try {
    command = parseCommandLine(argv, context.env);
    if (command.kind === 'help') {
      context.stdout.write(`${usageOf(command.command)}\n`);
      return 0;
    }
    if (command.kind === 'version') {
      context.stdout.write(`${version()}\n`);
      return 0;
    }
    const output = new Output(context, command.global.json);
    // Each command loads the library (ioredis, RxJS) only when it runs: help and usage errors start fast.
    switch (command.command) {
      case 'abort':
        return await (await import('./commands/abort.js')).abortCommand(command, output);
      case 'status':
        return await (await import('./commands/status.js')).statusCommand(command, output);
      case 'watch':
        return await (await import('./commands/watch.js')).watchCommand(command, output, context.signals);
      case 'doctor':
        return await (await import('./commands/doctor.js')).doctorCommand(command, output);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const usage = usageOf(error.command).split('\n')[0] ?? '';
      const help = error.command === undefined ? 'rx-abort --help' : `rx-abort ${error.command} --help`;
      context.stderr.write(`rx-abort: ${error.message}\n${usage}\nSee ${help}.\n`);
      return 2;
    }
    const name = command?.kind === 'run' ? ` ${command.command}` : '';
    const connectionError = (await import('./connect.js')).lastConnectionError();
    context.stderr.write(`rx-abort${name}: ${describeError(error, connectionError)}\n`);
    return 1;
  }
}
