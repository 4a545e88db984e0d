/** Where a command writes: standard output and error. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Prints a command's results: a line of text, or under `--json` one JSON object per line. */
export class Output {
  readonly #io: CliIo;
  readonly json: boolean;

  constructor(io: CliIo, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** One result: `text` normally, `record` as a JSON line under `--json`. */
  result(text: string, record: object): void {
    this.#io.stdout.write(`${this.json ? JSON.stringify(record) : text}\n`);
  }

  /** A note for people (stderr), never part of the results. */
  note(text: string): void {
    this.#io.stderr.write(`${text}\n`);
  }
}
