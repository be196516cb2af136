/** `fwaudit report --db FILE`: HTML / Markdown / CSV / JSON / JUnit report from the store. */
import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { EXIT } from '../exit.js';
import type { CliContext } from '../io.js';
import { UsageError } from '../options.js';
import { openExistingStore, StoreError } from '../../store/store.js';
import { buildReportModel, parseWhen, type ReportModel } from '../../reports/model.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { renderCsv } from '../../reports/csv.js';
import { renderJson } from '../../reports/json.js';
import { renderJunit } from '../../reports/junit.js';

export type ReportFormat = 'html' | 'md' | 'csv' | 'json' | 'junit';
export const RENDERERS: Record<ReportFormat, (m: ReportModel) => string> = {
  html: renderHtml, md: renderMarkdown, csv: renderCsv, json: renderJson, junit: renderJunit,
};
const BY_EXT: Record<string, ReportFormat> = {
  '.html': 'html', '.htm': 'html', '.md': 'md', '.markdown': 'md', '.csv': 'csv', '.json': 'json', '.xml': 'junit',
};

export interface ReportCliOpts { db: string; since?: string; until?: string; format?: ReportFormat; out?: string; top?: string }

/** Format from --format, else from the --out extension, else Markdown on stdout / HTML to a file. */
export function reportFormat(o: Pick<ReportCliOpts, 'format' | 'out'>): ReportFormat {
  if (o.format) return o.format;
  if (o.out) return BY_EXT[extname(o.out).toLowerCase()] ?? 'html';
  return 'md';
}

/** Builds the report text (used by the command and by tests). */
export async function reportText(o: ReportCliOpts, now: Date = new Date()): Promise<{ text: string; model: ReportModel }> {
  let since: Date | null = null, until: Date | null = null;
  try {
    if (o.since) since = parseWhen(o.since, now);
    if (o.until) until = parseWhen(o.until, now);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const top = o.top === undefined ? 20 : Number(o.top);
  if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top: expected a positive integer, got ${JSON.stringify(o.top)}`);
  const store = await openExistingStore(o.db);
  try {
    const model = await buildReportModel(store, { since, until, top, now });
    return { text: RENDERERS[reportFormat(o)](model), model };
  } finally {
    await store.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('report requirement status, new/resolved violations, blocked flows and parse coverage from a store')
    .requiredOption('--db <file>', 'DuckDB store written by analyze --db / ingest')
    .option('--since <when>', 'start of the period: 7d, 24h, 2w, or a date/time (UTC unless it has an offset)')
    .option('--until <when>', 'end of the period (same forms as --since)')
    .addOption(new Option('--format <format>', 'output format (default: from --out extension, else md)').choices(['html', 'md', 'csv', 'json', 'junit']))
    .option('-o, --out <file>', 'write the report to FILE instead of stdout')
    .option('--top <n>', 'how many blocked flow groups to list', '20')
    .action(async (o: ReportCliOpts) => {
      try {
        const { text } = await reportText(o);
        if (o.out) writeFileSync(o.out, text);
        else ctx.io.stdout.write(text);
      } catch (e) {
        if (e instanceof StoreError) {
          ctx.io.stderr.write(`fwaudit: ${e.path}: ${e.message}\n`);
          ctx.exitCode = EXIT.INPUT;
          return;
        }
        throw e;
      }
    });
}
