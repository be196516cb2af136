/**
 * Use case "export": the stored flows as Parquet partitioned by UTC day (hive layout).
 *
 * Errors: StoreError (store missing or unreadable); OutputError (naming the directory) when the target
 * has files and `overwrite` is not set, or cannot be written.
 */
import { readdir } from 'node:fs/promises';
import { OutputError } from '../model/errors.js';

export interface ExportOptions { db: string; parquet: string; overwrite?: boolean }
export interface ExportResult { flows: number; dir: string }

export async function exportParquet(o: ExportOptions): Promise<ExportResult> {
  if (!o.overwrite) {
    let entries: string[] = [];
    try { entries = await readdir(o.parquet); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new OutputError(`${o.parquet} is not a directory`, o.parquet);
      // ENOENT: created by the export.
    }
    if (entries.length > 0) throw new OutputError(`${o.parquet} already has files; add --overwrite to write into it (existing day partitions may be replaced)`, o.parquet);
  }
  const { openExistingStore } = await import('../store/store.js');
  const store = await openExistingStore(o.db);
  try {
    const flows = await store.exportParquet(o.parquet, { overwrite: o.overwrite });
    return { flows, dir: o.parquet };
  } finally {
    await store.close();
  }
}
