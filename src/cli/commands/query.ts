/**
 * `fwaudit query --db FILE "SQL"`: runs SQL against the store and prints a table, JSON or CSV.
 * It reads the store and nothing else: the store is opened read-only with DuckDB's external access disabled
 * (no COPY … TO, EXPORT, read_text/read_csv/glob of files, ATTACH, INSTALL/LOAD) and its configuration locked.
 */
import type { Command } from 'commander';
import { EXIT } from '../exit.js';
import { DUCKDB_ENV, EXIT_HELP, helpFooter, outputOptions, UsageError } from '../options.js';
import { openExistingStore, StoreError } from '../../store/store.js';
import { csvRow } from '../../reports/escape.js';
import type { CliContext } from '../io.js';
import { parseWait, waitOption } from '../store-text.js';
import { sanitizeText } from '../../model/sanitize.js';

export interface QueryCliOpts { db: string; json?: boolean; csv?: boolean; maxWidth?: string; wait?: string }

/** Log text may carry terminal escape sequences: shown as \xNN, bidi controls as \uNNNN (src/model/sanitize.ts). */
const terminalSafe = (s: string): string => sanitizeText(s);
function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function formatTable(columns: string[], rows: unknown[][], maxWidth = 60): string {
  const text = rows.map((r) => r.map((v) => {
    const s = terminalSafe(cellText(v));
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  }));
  const head = columns.map((c) => terminalSafe(c));
  const widths = head.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]!.length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' │ ').trimEnd();
  const out = [line(head), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...text.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}

export async function queryText(sql: string, o: QueryCliOpts): Promise<string> {
  if (o.json && o.csv) throw new UsageError('--json and --csv exclude each other');
  const store = await openExistingStore(o.db, { query: true, waitSeconds: parseWait(o.wait) });
  try {
    const { columns, rows } = await store.table(sql);
    if (o.json) {
      return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))), null, 2) + '\n';
    }
    if (o.csv) return [csvRow(columns), ...rows.map((r) => csvRow(r))].join('');
    const w = o.maxWidth === undefined ? 60 : Number(o.maxWidth);
    if (!Number.isInteger(w) || w < 4) throw new UsageError(`--max-width: expected an integer ≥ 4, got ${JSON.stringify(o.maxWidth)}`);
    return formatTable(columns, rows, w);
  } finally {
    await store.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('query')
    .description('run SQL against a store, read-only: no file, network or extension access. Tables: runs, inputs, flows, findings, matrix, checkpoints, device_coverage; views: complete_runs, stored_flows, requirement_flows, requirement_daily, current_status')
    .requiredOption('--db <file>', 'DuckDB store')
    .argument('<sql>', 'the SQL to run, e.g. "SELECT * FROM current_status WHERE status <> \'ok\'"')
    .option('--json', 'print rows as a JSON array of objects')
    .option('--csv', 'print CSV (formula-looking cells neutralised)')
    .option('--max-width <n>', 'truncate table cells to N characters', '60')
    .addOption(waitOption())
    .addOption(outputOptions()[0]!).addOption(outputOptions()[1]!).addOption(outputOptions()[2]!)
    .addHelpText('after', helpFooter(['fwaudit query --db fwaudit.duckdb "SELECT * FROM current_status WHERE status <> \'ok\'"', 'fwaudit query --db fwaudit.duckdb --csv "SELECT dst_port, count(*) FROM stored_flows GROUP BY ALL"'],
      [EXIT_HELP.ok, '2    bad usage, store missing or busy, SQL refused or failing', EXIT_HELP.bug, EXIT_HELP.pipe], [DUCKDB_ENV]))
    .action(async (sql: string, o: QueryCliOpts) => {
      try {
        ctx.io.stdout.write(await queryText(sql, o));
      } catch (e) {
        if (e instanceof StoreError) {
          ctx.io.stderr.write(`fwaudit: ${e.path}: ${e.message}\n`);
          ctx.exitCode = EXIT.INPUT;
          return;
        }
        if (e instanceof UsageError) throw e;
        // SQL errors from DuckDB (including refused file access): the user's input, not a bug.
        ctx.io.stderr.write(`fwaudit: query failed: ${(e as Error).message}\n`);
        ctx.exitCode = EXIT.INPUT;
      }
    });
}
