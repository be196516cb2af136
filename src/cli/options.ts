/** Options shared by commands: reading options (parse, analyze, ingest, diagnose) and output options (all). */
import { Option, type Command } from 'commander';
import type { Action } from '../model/flow.js';
import type { ReadOptions } from '../pipeline/run.js';
import { resolveReadOptions } from '../app/context.js';
import type { CliContext } from './io.js';

export { UsageError } from '../model/errors.js';
import { UsageError } from '../model/errors.js';

export function addReadOptions(cmd: Command): Command {
  return cmd
    .option('--format <format>', 'force the input format instead of detecting it per file (winfw, wfp-json, wfp-xml, wfp-csv, iptables, iptables-journald, panos-syslog, panos-csv, panos-json, or a family name)')
    .option('--tz <zone>', 'IANA time zone of timestamps without an offset (default: $TZ, else this machine\'s zone)')
    .option('--year <year>', 'year of the first line of year-less syslog (default: inferred from the file\'s modification time)')
    .addOption(new Option('--action-map <PREFIX=allow|deny...>', 'verdict for an iptables log prefix; repeatable').argParser(collectActionMap))
    .option('--follow-symlinks', 'follow symbolic links when walking directories')
    .option('--no-time-window', 'accept timestamps later than the file\'s time + 48 h or older than the log format (still 1990-2100)')
    .option('--jobs <n>', 'threads for large inputs (default: $FWAUDIT_JOBS, else one per core for analyze, parse and ingest, 1 = no worker threads for the other commands)')
    .option('--strict', 'treat unreadable flow lines as an error (exit 2)')
    .option('--no-progress', 'never show the progress line on stderr');
}

/** -q, -v and --color: every command has them (outputOptions() for a chain that cannot call addOutputOptions). */
export function outputOptions(): Option[] {
  return [
    new Option('-q, --quiet', 'no summaries or warnings (errors still)'),
    new Option('-v, --verbose', 'more detail on stderr'),
    new Option('--color <when>', 'colour statuses and confidences').choices(['auto', 'always', 'never']).default('auto'),
  ];
}

export function addOutputOptions(cmd: Command): Command {
  for (const o of outputOptions()) cmd.addOption(o);
  return cmd;
}

function collectActionMap(value: string, prev: Map<string, Action> | undefined): Map<string, Action> {
  const m = prev ?? new Map<string, Action>();
  const eq = value.lastIndexOf('=');
  const verdict = value.slice(eq + 1).trim().toLowerCase();
  if (eq <= 0 || (verdict !== 'allow' && verdict !== 'deny')) {
    throw new UsageError(`--action-map expects PREFIX=allow or PREFIX=deny, got "${value}"`);
  }
  m.set(value.slice(0, eq).trim(), verdict);
  return m;
}

export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export interface CliReadOpts { format?: string; tz?: string; year?: string; actionMap?: Map<string, Action>; strict?: boolean; progress?: boolean; followSymlinks?: boolean; jobs?: string; timeWindow?: boolean }

/**
 * Validated reading options; the invocation's stdin is what `-` reads, and without --tz a `TZ` in the
 * invocation's environment names the zone (as it does for the process).
 */
export async function readOptionsFrom(o: CliReadOpts, ctx?: CliContext): Promise<ReadOptions> {
  const ro = await resolveReadOptions(o);
  const envTz = ctx?.io.env['TZ'];
  if (!o.tz && envTz) {
    try { await resolveReadOptions({ tz: envTz }); ro.tz = envTz; } catch { /* an unusable $TZ (":/etc/localtime"): the machine's zone */ }
  }
  const extra: Partial<ReadOptions> & { stdin?: AsyncIterable<Buffer | string>; followSymlinks?: boolean } = {};
  if (ctx) extra.stdin = ctx.io.stdin;
  if (o.followSymlinks) extra.followSymlinks = true;
  if (o.timeWindow === false) extra.timeWindow = false;
  if (o.jobs !== undefined) {
    const n = Number(o.jobs);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--jobs expects a whole number from 1 to 256, got "${o.jobs}"`);
    extra.jobs = n;
  }
  return { ...ro, ...extra } as ReadOptions;
}

/** The common "Exit codes / Environment" part of every --help. */
export function helpFooter(examples: string[], exitCodes: string[], env: string[] = []): string {
  const out = ['', 'Examples:', ...examples.map((e) => `  $ ${e}`), '', 'Exit codes:', ...exitCodes.map((e) => `  ${e}`)];
  const vars = [...env, 'NO_COLOR       no colour when set (same as --color never)', 'TZ             zone of timestamps without an offset when --tz is not given'];
  out.push('', 'Environment:', ...vars.map((v) => `  ${v}`));
  return out.join('\n') + '\n';
}

export const EXIT_HELP = {
  ok: '0    success',
  findings: '1    --fail-on level reached',
  input: '2    usage error, unreadable input, bad configuration, store or output error (or --strict and malformed lines)',
  bug: '70   a bug in fwaudit (the message carries the stack; please report it)',
  pipe: '141  the reader of stdout went away (e.g. | head); nothing else is printed',
};
export const DUCKDB_ENV = 'FWAUDIT_DUCKDB_MEMORY  DuckDB memory limit of the store (default 128MB writing, 256MB reading)';
