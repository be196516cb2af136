/**
 * Use case `sql`: the matcher generated as one SQL statement for DuckDB, Spark SQL or Trino, from the same
 * rulesets and inventory `analyze` uses (src/sql/generate.ts). No output here: the CLI renders it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadHostsFile, loadInventory, type Inventory } from '../inventory/load.js';
import { OutputError, UsageError } from '../model/errors.js';
import { resolveRulesets } from '../rulesets/load.js';
import { compileModel } from '../sql/compile.js';
import { dialect, DIALECTS, type DialectName } from '../sql/dialect.js';
import { generateSql, modelTableQueries, type SqlOutput } from '../sql/generate.js';

export interface SqlUseCaseOptions {
  inventory: string;
  ruleset?: string[];
  hosts?: string;
  dialect: string;
  output: string;
  flows: string;
  /** Write the model tables as DIR/NAME.parquet and read them from there (or from `tablesUrl`) instead of inline VALUES. */
  tables?: string;
  /** Where the engine will find the files written to `tables` (e.g. s3a://bucket/model after a copy); default: `tables`. */
  tablesUrl?: string;
}

export interface SqlUseCaseResult {
  sql: string;
  dialect: DialectName;
  output: SqlOutput;
  /** The model table files written (with `tables`). */
  tableFiles: string[];
}

export async function generateMatcherSql(o: SqlUseCaseOptions): Promise<SqlUseCaseResult> {
  if (!DIALECTS.includes(o.dialect as DialectName)) throw new UsageError(`--dialect: "${o.dialect}" is not one of ${DIALECTS.join(', ')}`);
  if (o.output !== 'findings' && o.output !== 'matrix') throw new UsageError(`--output: "${o.output}" is not findings or matrix`);
  if (!o.flows) throw new UsageError('--flows is required: a table name or a Parquet path/glob');
  const rulesets = resolveRulesets(o.ruleset ?? []);
  const extraHosts = o.hosts ? await loadHostsFile(o.hosts) : undefined;
  const inventory = await loadInventory(o.inventory, rulesets, { extraHosts });
  const dialect = o.dialect as DialectName, output = o.output as SqlOutput;
  if (o.tablesUrl && !o.tables) throw new UsageError('--tables-url needs --tables DIR (where the files are written)');
  const location = o.tablesUrl ?? (o.tables ? resolve(o.tables) : undefined);
  const sql = generateSql(inventory, { dialect, output, flows: o.flows, ...(location ? { tables: location } : {}) });
  const tableFiles = o.tables ? await writeModelTables(inventory, o.tables) : [];
  return { sql, dialect, output, tableFiles };
}

/**
 * The model tables (src/sql/compile.ts) as Parquet files DIR/NAME.parquet: DuckDB runs each table's inline
 * query (the same text the statement would carry) and writes it, typed (BIGINT, VARCHAR), empty tables too.
 */
export async function writeModelTables(inventory: Inventory, dir: string): Promise<string[]> {
  try { mkdirSync(dir, { recursive: true }); } catch (e) {
    throw new OutputError(`cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, dir);
  }
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const files: string[] = [];
  try {
    for (const [name, query] of modelTableQueries(dialect('duckdb'), compileModel(inventory))) {
      const file = join(dir, `${name}.parquet`);
      try {
        await con.run(`COPY (${query}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
      } catch (e) {
        throw new OutputError(`cannot write ${file} (${(e as Error).message.split('\n')[0]})`, file);
      }
      files.push(file);
    }
  } finally {
    con.closeSync();
    db.closeSync();
  }
  return files;
}
