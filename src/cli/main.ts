#!/usr/bin/env node
/**
 * fwaudit command line: `main(argv, io)` parses the arguments, runs one command and returns the exit
 * code; it is the only place that maps errors to exit codes (src/model/errors.ts). Each command lives in
 * src/cli/commands/<name>.ts and is imported only when it runs (DuckDB loads for store commands only).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, EXIT, exitCodeOf, FwauditError, isBrokenPipe, OutputError, StoreError } from '../model/errors.js';
import { sanitizeText } from '../model/sanitize.js';
import { processIo, type CliContext, type CliIo } from './io.js';

type CommandModule = { register(program: Command, ctx: CliContext): void };

/** Every command, in help order, with its module loaded on demand. */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  parse: () => import('./commands/parse.js'),
  analyze: () => import('./commands/analyze.js'),
  rulesets: () => import('./commands/rulesets.js'),
  report: () => import('./commands/report.js'),
  query: () => import('./commands/query.js'),
  export: () => import('./commands/export.js'),
  diagnose: () => import('./commands/diagnose.js'),
  ingest: () => import('./commands/ingest.js'),
  run: () => import('./commands/run.js'),
  sql: () => import('./commands/sql.js'),
};

const ROOT_HELP = `
Examples:
  $ fwaudit analyze /var/log/kern.log --inventory inventory.yaml
  $ fwaudit parse pfirewall.log | jq -c 'select(.action == "deny")'
  $ fwaudit run --config fwaudit.yaml
  $ fwaudit <command> --help

Exit codes:
  0    success
  1    --fail-on level reached (analyze, run)
  2    usage error, unreadable input, bad configuration, store or output error
  70   a bug in fwaudit (the message carries the stack; please report it)
  141  the reader of stdout went away (e.g. | head)

Environment:
  FWAUDIT_DUCKDB_MEMORY  DuckDB memory limit of the store (default 128MB writing, 256MB reading; e.g. 4GB)
  FWAUDIT_JOBS           threads for large inputs when --jobs is not given (default: one per core for
                         analyze, parse and ingest, 1 otherwise)
  FWAUDIT_MAX_RECORD     largest JSON record / XML event in bytes (default 16 MiB)
  FWAUDIT_FIFO_WAIT_MS   how long a FIFO without a writer is waited for (default 30000)
  NO_COLOR               no colour when set (same as --color never)
  TZ                     zone of log timestamps without an offset when --tz is not given
`;

/** The program with the given commands registered (all of them for help). */
export async function buildProgram(ctx: CliContext, names: string[] = Object.keys(COMMANDS)): Promise<Command> {
  const program = new Command();
  program
    .name('fwaudit')
    .description('Finds denied firewall flows that break the documented network requirements of the products you run')
    .enablePositionalOptions()
    .option('-V, --version', 'print the versions of fwaudit, its rulesets and DuckDB (--version --json: as JSON)')
    .configureOutput({
      writeOut: (s) => { ctx.io.stdout.write(s); },
      writeErr: (s) => { ctx.io.stderr.write(s); },
      getOutHelpWidth: () => ctx.io.stdout.columns ?? 80,
      getErrHelpWidth: () => ctx.io.stderr.columns ?? 80,
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ROOT_HELP);
  const mods = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const m of mods) m.register(program, ctx);
  return program;
}

/** One line on stderr for an error the user can act on; the stack for a bug. Returns the exit code. */
function reportError(e: unknown, ctx: CliContext): number {
  if (isBrokenPipe(e)) return EXIT.PIPE; // the reader went away: nothing to say
  if (e instanceof CommanderError) {
    // --help, `help CMD`: 0; anything else commander stopped on (it printed the message) is a usage error.
    return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (e instanceof FwauditError && e.kind !== 'bug') {
    let msg: string;
    if (e instanceof ConfigError) msg = e.toString();
    else if (e instanceof StoreError && e.path && !e.message.includes(e.path)) msg = `${e.path}: ${e.message}`;
    else msg = e.message;
    ctx.io.stderr.write(`fwaudit: ${sanitizeText(msg, { newlines: true })}\n`);
    return exitCodeOf(e);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  let text = err.stack ?? err.message;
  for (let c = (err as { cause?: unknown }).cause, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    text += `\ncaused by: ${c instanceof Error ? c.stack ?? c.message : String(c)}`;
  }
  ctx.io.stderr.write(`fwaudit: internal error (a bug in fwaudit; please report it with this message):\n${sanitizeText(text, { newlines: true })}\n`);
  return EXIT.INTERNAL;
}

async function printVersion(ctx: CliContext, json: boolean): Promise<number> {
  const { versionInfo, versionText } = await import('../app/version.js');
  const v = await versionInfo();
  ctx.io.stdout.write(json ? JSON.stringify(v) + '\n' : versionText(v));
  return EXIT.OK;
}

/** Runs one invocation: `argv` as process.argv (node, script, args…). Never throws; returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.OK };
  const args = argv.slice(2);
  try {
    if (args.length === 0) {
      // No command: the help, on stderr, as a usage error.
      const program = await buildProgram(ctx);
      io.stderr.write(program.helpInformation() + ROOT_HELP);
      return EXIT.USAGE;
    }
    if (args.every((a) => a === '--version' || a === '-V' || a === '--json') && (args.includes('--version') || args.includes('-V'))) {
      return await printVersion(ctx, args.includes('--json'));
    }
    const name = args.find((a) => !a.startsWith('-'));
    const program = await buildProgram(ctx, name !== undefined && name in COMMANDS ? [name] : undefined);
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (e) {
    return reportError(e, ctx);
  }
}

/** The bin entry: real process streams; a closed stdout ends the process quietly (as `| head` expects). */
async function runAsBin(): Promise<void> {
  const io = processIo();
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: unknown) => {
      if (isBrokenPipe(e)) process.exit(EXIT.PIPE);
      // Any other write error of a standard stream (a full disk behind `> file`, /dev/full, EIO): an output
      // error with its exit code, said on stderr when the failing stream is stdout (not a stack trace).
      if (s === process.stdout) {
        const code = (e as NodeJS.ErrnoException | null)?.code ?? 'EIO';
        try { process.stderr.write(`fwaudit: cannot write to standard output: ${sanitizeText(String(code))}\n`); } catch { /* stderr gone too */ }
      }
      process.exit(exitCodeOf(new OutputError('standard stream write failed')));
    });
  }
  process.exitCode = await main(process.argv, io);
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.argv[1]?.endsWith('/fwaudit')) void runAsBin();
