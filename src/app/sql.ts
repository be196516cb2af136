/**
 * Use case `sql`: the matcher generated as one SQL statement for DuckDB, Spark SQL or Trino, from the same
 * rulesets and inventory `analyze` uses (src/sql/generate.ts). No output here: the CLI renders it.
 */
import { loadHostsFile, loadInventory } from '../inventory/load.js';
import { UsageError } from '../model/errors.js';
import { resolveRulesets } from '../rulesets/load.js';
import { DIALECTS, type DialectName } from '../sql/dialect.js';
import { generateSql, type SqlOutput } from '../sql/generate.js';

export interface SqlUseCaseOptions {
  inventory: string;
  ruleset?: string[];
  hosts?: string;
  dialect: string;
  output: string;
  flows: string;
}

export interface SqlUseCaseResult {
  sql: string;
  dialect: DialectName;
  output: SqlOutput;
}

export async function generateMatcherSql(o: SqlUseCaseOptions): Promise<SqlUseCaseResult> {
  if (!DIALECTS.includes(o.dialect as DialectName)) throw new UsageError(`--dialect: "${o.dialect}" is not one of ${DIALECTS.join(', ')}`);
  if (o.output !== 'findings' && o.output !== 'matrix') throw new UsageError(`--output: "${o.output}" is not findings or matrix`);
  if (!o.flows) throw new UsageError('--flows is required: a table name or a Parquet path/glob');
  const rulesets = resolveRulesets(o.ruleset ?? []);
  const extraHosts = o.hosts ? await loadHostsFile(o.hosts) : undefined;
  const inventory = await loadInventory(o.inventory, rulesets, { extraHosts });
  const dialect = o.dialect as DialectName, output = o.output as SqlOutput;
  return { sql: generateSql(inventory, { dialect, output, flows: o.flows }), dialect, output };
}
