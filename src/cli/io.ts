/**
 * The streams and environment one CLI invocation may touch. `main(argv, io)` receives it, so tests run
 * commands in-process with captured output; nothing under src/cli writes to `process.stdout`/`stderr`
 * or sets `process.exitCode` directly (only the bin entry in main.ts does, once).
 */
import type { Writable } from 'node:stream';

export interface OutStream extends Pick<Writable, 'write' | 'once' | 'on' | 'writableNeedDrain'> {
  /** True when the stream is a terminal (progress line, colour). */
  isTTY?: boolean;
  /** Terminal width, when a terminal. */
  columns?: number;
}

export interface CliIo {
  stdout: OutStream & Writable;
  stderr: OutStream & Writable;
  stdin: NodeJS.ReadableStream & AsyncIterable<Buffer | string>;
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

/** Common output options every command has. */
export interface OutputFlags { quiet?: boolean; verbose?: boolean; color?: 'auto' | 'always' | 'never' }

/** Diagnostics (summaries, warnings) on stderr unless --quiet. */
export function note(ctx: CliContext, o: OutputFlags, text: string): void {
  if (!o.quiet && text) ctx.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** Colour on: --color always, or auto on a terminal without NO_COLOR (https://no-color.org). */
export function colorEnabled(ctx: CliContext, o: OutputFlags, stream: OutStream = ctx.io.stdout): boolean {
  if (o.color === 'always') return true;
  if (o.color === 'never') return false;
  const nc = ctx.io.env['NO_COLOR'];
  if (nc !== undefined && nc !== '') return false;
  if (ctx.io.env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

/** Settles the invocation on an exit verdict (src/app/exit-policy.ts): its reason on stderr, its code. */
export function settle(ctx: CliContext, v: { code: number; reason: string | null }): void {
  if (v.code !== 0 && v.reason) ctx.io.stderr.write(`fwaudit: ${v.reason}\n`);
  ctx.exitCode = v.code;
}
