/**
 * Typed errors and the documented exit codes, in one place (README "Exit codes").
 *
 * Every error the user can cause is one of these classes; anything else that reaches the CLI is a
 * bug (exit 70, with its stack). The CLI maps an error to its exit code with `exitCodeOf()` and never
 * classifies an error by its message text.
 */
export const EXIT = {
  OK: 0,
  /** `--fail-on` found something at or above the level. */
  FINDINGS: 1,
  /** An input could not be read (missing, unreadable, truncated, unrecognised), bad configuration, store or output error, or --strict. */
  INPUT: 2,
  /** Wrong usage: unknown option or bad option value (same code as unusable input, as most tools do). */
  USAGE: 2,
  /** A bug in fwaudit. */
  INTERNAL: 70,
  /** Output pipe closed by the reader (e.g. `| head`): 128 + SIGPIPE, as other Unix tools. */
  PIPE: 141,
} as const;

export type ErrorKind = 'usage' | 'config' | 'input' | 'store' | 'output' | 'bug';

/** Base class of every error fwaudit raises on purpose. */
export abstract class FwauditError extends Error {
  abstract readonly kind: ErrorKind;
  get exitCode(): number { return this.kind === 'bug' ? EXIT.INTERNAL : EXIT.USAGE; }
}

/** Wrong command line: unknown option, bad option value, conflicting options. Exit 2. */
export class UsageError extends FwauditError {
  readonly kind = 'usage' as const;
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

/** Errors in user-supplied configuration (rulesets, inventory, hosts files, fwaudit.yaml). Exit code 2. */
export class ConfigError extends FwauditError {
  readonly kind = 'config' as const;
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
  override toString(): string {
    const where = this.line !== null ? `${this.file}:${this.line}` : this.file;
    return `${where}: ${this.field ? `${this.field}: ` : ''}${this.message}`;
  }
}

/** An input that could not be read at all (missing, unreadable, truncated). Exit code 2. */
export class InputError extends FwauditError {
  readonly kind = 'input' as const;
  constructor(message: string, readonly file: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** The DuckDB store could not be opened, written or read (busy, full disk, corrupt, newer schema). Exit 2. */
export class StoreError extends FwauditError {
  readonly kind = 'store' as const;
  constructor(message: string, readonly path: string | null = null) {
    super(message);
    this.name = 'StoreError';
  }
}

/** An output could not be written (unwritable path, existing file without --overwrite). Exit 2. */
export class OutputError extends FwauditError {
  readonly kind = 'output' as const;
  constructor(message: string, readonly path: string | null = null) {
    super(message);
    this.name = 'OutputError';
  }
}

/** A broken invariant inside fwaudit. Exit 70 with the stack. */
export class BugError extends FwauditError {
  readonly kind = 'bug' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BugError';
  }
}

/** Exit code for anything thrown: typed errors by kind, everything else is a bug. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof FwauditError) return e.exitCode;
  if (isBrokenPipe(e)) return EXIT.PIPE;
  return EXIT.INTERNAL;
}

/** Writing to a pipe whose reader has gone (EPIPE): ends quietly, never reported as an error. */
export function isBrokenPipe(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'EPIPE';
}
