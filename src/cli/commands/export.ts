/** `fwaudit export --db FILE --parquet DIR`: the flows table as Parquet, partitioned by UTC day (hive layout). */
import type { Command } from 'commander';
import { EXIT } from '../exit.js';
import { openExistingStore, StoreError } from '../../store/store.js';

export interface ExportCliOpts { db: string; parquet: string; overwrite?: boolean }

export async function exportParquet(o: ExportCliOpts): Promise<number> {
  const store = await openExistingStore(o.db);
  try {
    return await store.exportParquet(o.parquet, { overwrite: o.overwrite });
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write the stored flows as Parquet partitioned by day: DIR/day=YYYY-MM-DD/*.parquet (see docs/sql-matcher.md)')
    .requiredOption('--db <file>', 'DuckDB store')
    .requiredOption('--parquet <dir>', 'target directory')
    .option('--overwrite', 'write into a directory that already has files (existing partitions may be replaced)')
    .action(async (o: ExportCliOpts) => {
      try {
        const n = await exportParquet(o);
        process.stderr.write(`exported ${n} flow(s) to ${o.parquet}\n`);
      } catch (e) {
        if (e instanceof StoreError) {
          process.stderr.write(`fwaudit: ${e.path}: ${e.message}\n`);
          process.exitCode = EXIT.INPUT;
          return;
        }
        process.stderr.write(`fwaudit: export failed: ${(e as Error).message}\n`);
        process.exitCode = EXIT.INPUT;
      }
    });
}
