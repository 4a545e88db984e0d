import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type CommandName, USAGE } from './usage.js';

/** A command line that cannot be run as written: exit code 2, the message and a usage hint on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose usage applies, if known. */
  readonly command: CommandName | undefined;
  constructor(message: string, command?: CommandName) {
    super(message);
    this.command = command;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  cluster: { type: 'boolean' },
  prefix: { type: 'string' },
  'command-timeout': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

const COMMAND_OPTIONS = {
  abort: {
    mode: { type: 'string' },
    ttl: { type: 'string' },
    timeout: { type: 'string' },
    reason: { type: 'string' },
    wait: { type: 'string' },
  },
  status: {},
  watch: {},
  doctor: { fix: { type: 'boolean' }, burst: { type: 'string' } },
} as const satisfies Record<CommandName, Options>;

/** The options every command takes. */
export interface GlobalOptions {
  readonly url: string;
  readonly cluster: boolean;
  readonly prefix: string | undefined;
  readonly commandTimeout: number;
  readonly json: boolean;
}

/** A parsed command line. */
export type CommandLine =
  | { readonly kind: 'help'; readonly command: CommandName | undefined }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly command: CommandName;
      readonly ids: readonly string[];
      readonly global: GlobalOptions;
      /** The command's own options, as strings and booleans (converted by the command). */
      readonly values: Readonly<Record<string, string | boolean | undefined>>;
    };

const isCommand = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(COMMAND_OPTIONS, name);

/** The index of the command word: the first argument that is neither an option nor a global option's value. */
function commandIndex(argv: readonly string[]): number {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '--') return index + 1 < argv.length ? index + 1 : -1;
    if (!arg.startsWith('-') || arg === '-') return index;
    const name = arg.replace(/^--?/, '');
    const option = (GLOBAL_OPTIONS as Options)[name];
    if (option?.type === 'string' && !arg.includes('=')) index++; // skip its value
  }
  return -1;
}

/** A whole number of milliseconds (or a count) from an option's text. */
export function integerOption(
  value: string | boolean | undefined,
  flag: string,
  command: CommandName,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) {
    throw new UsageError(`--${flag} must be a whole number, got ${JSON.stringify(value)}`, command);
  }
  return Number(value);
}

/**
 * Parses `argv` (without `node` and the script) with `node:util` `parseArgs`, strictly: unknown options,
 * missing values and stray arguments are {@link UsageError}s.
 * @param env - where `REDIS_URL` is read from.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CommandLine {
  const index = commandIndex(argv);
  const word = index === -1 ? undefined : argv[index];
  if (word === 'help') {
    const topic = argv[index + 1];
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command "${topic}"`);
    return { kind: 'help', command: topic };
  }
  if (word === undefined) {
    if (argv.includes('--version') || argv.includes('-v')) return { kind: 'version' };
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', command: undefined };
    throw new UsageError(argv.length === 0 ? 'no command given' : `no command given in: ${argv.join(' ')}`);
  }
  if (!isCommand(word)) throw new UsageError(`unknown command "${word}"`);
  const command = word;
  const rest = [...argv.slice(0, index), ...argv.slice(index + 1)];
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    const options: Options = { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[command] };
    parsed = parseArgs({
      args: rest,
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs explains over several lines; keep it to one line before the usage.
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, ' '), command);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) return { kind: 'help', command };
  const ids = parsed.positionals;
  if (command === 'doctor') {
    if (ids.length > 0) throw new UsageError(`doctor takes no arguments, got ${ids.join(' ')}`, command);
  } else if (ids.length === 0) {
    throw new UsageError(`${command} needs at least one id`, command);
  }
  const url = (values.url as string | undefined) ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const global: GlobalOptions = {
    url,
    cluster: values.cluster === true,
    prefix: values.prefix as string | undefined,
    commandTimeout: integerOption(values['command-timeout'], 'command-timeout', command) ?? 5000,
    json: values.json === true,
  };
  if (global.commandTimeout < 1) throw new UsageError('--command-timeout must be at least 1', command);
  return { kind: 'run', command, ids, global, values };
}

/** The usage text of `command` (or of the whole program). */
export const usageOf = (command: CommandName | undefined): string => USAGE[command ?? 'main'];
