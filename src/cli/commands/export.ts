/** `fwaudit export --db FILE --parquet DIR`: the flows table as Parquet, partitioned by UTC day (hive layout). */
import type { Command } from 'commander';
import { note, type CliContext, type OutputFlags } from '../io.js';
import { addOutputOptions, DUCKDB_ENV, EXIT_HELP, helpFooter } from '../options.js';

interface ExportCliOpts extends OutputFlags { db: string; parquet: string; overwrite?: boolean }

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('export')
    .description('write the stored flows as Parquet partitioned by day: DIR/day=YYYY-MM-DD/*.parquet (see docs/sql-matcher.md)')
    .requiredOption('--db <file>', 'DuckDB store')
    .requiredOption('--parquet <dir>', 'target directory')
    .option('--overwrite', 'write into a directory that already has files (existing partitions may be replaced)');
  addOutputOptions(cmd)
    .addHelpText('after', helpFooter(['fwaudit export --db fwaudit.duckdb --parquet /data/flows', 'fwaudit export --db fwaudit.duckdb --parquet /data/flows --overwrite'],
      [EXIT_HELP.ok, '2    store missing or unreadable, target directory not empty without --overwrite, or not writable', EXIT_HELP.bug], [DUCKDB_ENV]))
    .action(async (o: ExportCliOpts) => {
      const { exportParquet } = await import('../../app/export.js');
      const { plural } = await import('../summary.js');
      const r = await exportParquet(o);
      note(ctx, o, `exported ${plural(r.flows, 'flow')} to ${r.dir}`);
    });
}
