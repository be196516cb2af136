/**
 * `fwaudit report --db FILE`: HTML / Markdown / CSV / JSON / JUnit report from the store (src/app/report.ts).
 * `--out -` or no --out: stdout. Exit 2 for a store that cannot be read (missing, busy) or an unwritable output.
 */
import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { OutputError } from '../../model/errors.js';
import { buildReport, reportFormatFor } from '../../app/report.js';
import { REPORT_FORMATS, type ReportFormat } from '../../reports/formats.js';
import type { Bucket, ReportModel } from '../../reports/model.js';
import { EXIT } from '../exit.js';
import type { CliContext } from '../io.js';
import { DUCKDB_ENV, EXIT_HELP, helpFooter, outputOptions, UsageError } from '../options.js';
import { parseWait, reportKnownError, waitOption } from '../store-text.js';

export type { ReportFormat };

export interface ReportCliOpts {
  db: string; since?: string; until?: string; format?: ReportFormat; out?: string; top?: string;
  bucket?: Bucket; displayTz?: string; wait?: string;
}

/** Format from --format, else from the --out extension, else Markdown on stdout. */
export function reportFormat(o: Pick<ReportCliOpts, 'format' | 'out'>): ReportFormat {
  return reportFormatFor(o.format, o.out);
}

/** Builds the report text (used by the command and by tests). */
export async function reportText(o: ReportCliOpts, now: Date = new Date()): Promise<{ text: string; model: ReportModel }> {
  const top = o.top === undefined ? 20 : Number(o.top);
  if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top: expected a positive integer, got ${JSON.stringify(o.top)}`);
  return buildReport({
    db: o.db, format: reportFormat(o), since: o.since, until: o.until, top, bucket: o.bucket, displayTz: o.displayTz,
    waitSeconds: parseWait(o.wait), now,
  });
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('report requirement status over time from a store: what is failing now, since when, changes since the previous run, outages, device coverage')
    .requiredOption('--db <file>', 'DuckDB store written by ingest / analyze --db / run')
    .option('--since <when>', 'start of the period, by log time: 12h, 7d, 2w, 30min, or a date/time (in --display-tz unless it has an offset)')
    .option('--until <when>', 'end of the period (same forms as --since)')
    .addOption(new Option('--format <format>', 'output format (default: from the --out extension, else md)').choices([...REPORT_FORMATS]))
    .option('-o, --out <file>', 'write the report to FILE (- for stdout)')
    .option('--top <n>', 'how many host groups / blocked flows to list', '20')
    .addOption(new Option('--bucket <size>', 'time bucket of the status timeline').choices(['day', 'hour']).default('day'))
    .option('--display-tz <zone>', 'IANA zone of the buckets and dates (default UTC)')
    .addOption(waitOption())
    .addOption(outputOptions()[0]!).addOption(outputOptions()[1]!).addOption(outputOptions()[2]!)
    .addHelpText('after', helpFooter(['fwaudit report --db fwaudit.duckdb --since 7d -o weekly.html', 'fwaudit report --db fwaudit.duckdb --format json -o - | jq .summary'],
      [EXIT_HELP.ok, '2    bad usage, unreadable input or configuration, store busy or unusable, output not writable', EXIT_HELP.bug, EXIT_HELP.pipe], [DUCKDB_ENV]))
    .action(async (o: ReportCliOpts) => {
      try {
        const { text } = await reportText(o);
        if (o.out && o.out !== '-') {
          try { writeFileSync(o.out, text); } catch (e) { throw new OutputError(`cannot write the report: ${(e as Error).message}`, o.out); }
        } else ctx.io.stdout.write(text);
      } catch (e) {
        if (e instanceof OutputError) { ctx.io.stderr.write(`fwaudit: ${e.path}: ${e.message}\n`); ctx.exitCode = EXIT.INPUT; return; }
        if (reportKnownError(e, ctx.io.stderr)) { ctx.exitCode = EXIT.INPUT; return; }
        throw e;
      }
    });
}
