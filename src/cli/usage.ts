/** The help text of each command, printed by `--help` (stdout) and after a usage error (stderr, first line). */
export const GLOBAL_OPTIONS = `Options for every command:
  --url <url>              Redis URL (redis://, rediss://, or a unix socket path)
                           [default: $REDIS_URL, else redis://127.0.0.1:6379]
  --cluster                the URL is a node of a Redis Cluster (doctor finds out by itself)
  --prefix <prefix>        the mark key prefix, as RedisBackend's prefix [default: rx-abort:]
  --command-timeout <ms>   how long a Redis command may take [default: 5000]
  --json                   print one JSON object per line
  -h, --help               show help`;

export const USAGE = {
  main: `Usage: rx-abort <command> [options]

Abort tasks by id, and check a Redis server for rx-abort, from a shell.

Commands:
  abort <id...>    abort tasks (skip them if queued, stop them if running)
  status <id...>   the live abort mark and outcome of each id, and the time left in its window
  watch <id...>    print each abort and outcome as it happens, until Ctrl-C
  doctor           check the Redis server for what rx-abort needs

Run rx-abort <command> --help for a command's options.

${GLOBAL_OPTIONS}
  -v, --version            print the version

Exit codes: 0 ok, 1 a check or a Redis command failed, 2 bad usage.`,
  abort: `Usage: rx-abort abort <id...> [--mode abort|cancel] [--ttl ms] [--timeout ms] [--reason text] [--wait ms]

Writes an abort mark for each id: a worker that has not started the task skips it; one running it stops it
(mode abort). Prints one line per id; with --wait, the outcome of each id instead (skipped, stopped, or
finished within a graceful deadline), and exits 1 if an id got none in time.

Options:
  --mode abort|cancel   abort: skip or stop; cancel: only skip a task that has not started [default: abort]
  --ttl <ms>            how long the mark lives (the abort window) [default: 90000]
  --timeout <ms>        graceful abort: the task is told and may finish within this deadline [default: 0]
  --reason <text>       free text given to the task with its Abort
  --wait <ms>           wait this long for a worker to report what it did about each id

${GLOBAL_OPTIONS}`,
  status: `Usage: rx-abort status <id...>

Prints the live abort mark of each id (mode, reason, when), the time left in its window, and the outcome a
worker reported (skipped, stopped, finished), if any. Under a restricted ACL the time left needs +pttl.

${GLOBAL_OPTIONS}`,
  watch: `Usage: rx-abort watch <id...>

Prints each abort of the given ids, and each outcome a worker reports, as it happens (those already live
are printed at once), until interrupted (Ctrl-C or SIGTERM), then releases its subscriptions and exits 0.
It does not change the server's notify-keyspace-events: if notifications are off it fails (run
rx-abort doctor --fix).

${GLOBAL_OPTIONS}`,
  doctor: `Usage: rx-abort doctor [--fix] [--burst n]

Checks the Redis server (every master of a cluster) for what rx-abort needs and prints one line per check,
pass / warn / fail, each warning and failure with the command or setting that fixes it:
notify-keyspace-events, maxmemory-policy, the pubsub output buffer against a burst of aborts, persistence,
replication, the user's permissions, and a live round trip with its time. Exits 1 when a check fails.
It changes nothing unless --fix is given; it writes only probe keys under the prefix that expire within 5 s.

Options:
  --fix          set what can safely be set (notify-keyspace-events flags, pubsub buffer limits) and say so
  --burst <n>    aborts that may arrive at once, for the output-buffer estimate [default: 10000]

${GLOBAL_OPTIONS}`,
} as const;

/** A command's name. */
export type CommandName = Exclude<keyof typeof USAGE, 'main'>;
