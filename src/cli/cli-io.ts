/** Where the CLI reads its environment and writes its output; `process` by default, replaceable in tests. */
export interface CliIo {
  /** Normal output (results). */
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** Diagnostics, progress and errors. */
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Environment variables (`REACTIVE_DOMAIN_STORE`). */
  readonly env: NodeJS.ProcessEnv;
  /** Working directory (where the config file is looked for). */
  readonly cwd: string;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM), for `tail`. */
  readonly interrupted: Promise<void>;
}

/** The real process's IO. */
export function processIo(): CliIo {
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    interrupted,
  };
}

/** Writes one line. */
export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}
