import { type DiagnosisCheck, diagnoseRedis } from '../../index.js';
import { createClient } from '../connect.js';
import type { Output } from '../Output.js';
import { type CommandLine, integerOption, UsageError } from '../parseCommandLine.js';

type Run = Extract<CommandLine, { kind: 'run' }>;

/** A check as text lines: `pass  name  message`, then its fix and what --fix changed, indented. */
export function formatCheck(check: DiagnosisCheck, showNode: boolean): string {
  const head = `${check.status.padEnd(4)}  ${check.name.padEnd(22)}  ${showNode ? `[${check.node}] ` : ''}${check.message}`;
  return [
    head,
    ...(check.changed === undefined ? [] : [`      changed: ${check.changed}`]),
    ...(check.fix === undefined ? [] : [`      fix: ${check.fix}`]),
  ].join('\n');
}

/** `rx-abort doctor`: runs {@link diagnoseRedis} and prints one line per check; 1 when any failed. */
export async function doctorCommand(line: Run, output: Output): Promise<number> {
  const burst = integerOption(line.values.burst, 'burst', 'doctor');
  if (burst === 0) throw new UsageError('--burst must be at least 1', 'doctor');
  const client = createClient(line.global, 'doctor');
  try {
    if (line.global.cluster && 'connect' in client) await client.connect().catch(() => {});
    const diagnosis = await diagnoseRedis(client, {
      fix: line.values.fix === true,
      timeout: line.global.commandTimeout,
      ...(burst === undefined ? {} : { burst }),
      ...(line.global.prefix === undefined ? {} : { prefix: line.global.prefix }),
    });
    const showNode = new Set(diagnosis.checks.map((check) => check.node)).size > 1;
    for (const check of diagnosis.checks)
      output.result(formatCheck(check, showNode), { type: 'check', ...check });
    const count = (status: DiagnosisCheck['status']): number =>
      diagnosis.checks.filter((check) => check.status === status).length;
    const summary = { pass: count('pass'), warn: count('warn'), fail: count('fail') };
    output.result(
      `${summary.pass} passed, ${summary.warn} warning${summary.warn === 1 ? '' : 's'}, ${summary.fail} failed`,
      { type: 'summary', ok: diagnosis.ok, ...summary },
    );
    return diagnosis.ok ? 0 : 1;
  } finally {
    client.disconnect();
  }
}
