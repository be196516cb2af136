/** Reading options shared by every command that reads logs (parse, analyze, ingest, diagnose). */
import { Option, type Command } from 'commander';
import type { Action } from '../model/flow.js';
import { assertTimeZone } from '../model/time.js';
import type { ReadOptions } from '../pipeline/run.js';

export { UsageError } from '../model/errors.js';
import { UsageError } from '../model/errors.js';

export function addReadOptions(cmd: Command): Command {
  return cmd
    .option('--format <format>', 'force the input format instead of detecting it per file (winfw, wfp-json, wfp-xml, iptables, iptables-journald, panos-syslog, panos-csv, panos-json, or a family name)')
    .option('--tz <zone>', 'IANA time zone of timestamps without an offset (default: this machine\'s zone)')
    .option('--year <year>', 'year of the first line of year-less syslog (default: inferred from the file\'s modification time)')
    .addOption(new Option('--action-map <PREFIX=allow|deny...>', 'verdict for an iptables log prefix; repeatable').argParser(collectActionMap))
    .option('--strict', 'treat unreadable flow lines as an error (exit 2)')
    .option('--no-progress', 'never show the progress line on stderr');
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

export interface CliReadOpts { format?: string; tz?: string; year?: string; actionMap?: Map<string, Action>; strict?: boolean; progress?: boolean }

export function readOptionsFrom(o: CliReadOpts): ReadOptions {
  if (o.tz) {
    try { assertTimeZone(o.tz); } catch (e) { throw new UsageError((e as Error).message); }
  }
  let year: number | undefined;
  if (o.year !== undefined) {
    year = Number(o.year);
    if (!Number.isInteger(year) || year < 1970 || year > 2200) throw new UsageError(`--year expects a year such as 2026, got "${o.year}"`);
  }
  return { format: o.format, tz: o.tz, year, actionMap: o.actionMap, strict: !!o.strict };
}
