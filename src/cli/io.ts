/**
 * The streams and environment one CLI invocation may touch. `main(argv, io)` receives it, so tests run
 * commands in-process with captured output; nothing under src/cli writes to `process.stdout`/`stderr`
 * or sets `process.exitCode` directly.
 */
export interface OutStream {
  write(chunk: string | Uint8Array, cb?: (err?: Error | null) => void): boolean;
  /** True when the stream is a terminal (progress line, colour). */
  isTTY?: boolean;
  /** Terminal width, when a terminal. */
  columns?: number;
  once?(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
}

/** One invocation: its io and the exit status the command settles on (0 unless set). */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
