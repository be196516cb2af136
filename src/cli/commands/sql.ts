/** `fwaudit sql`: prints the matcher as one SQL statement (DuckDB, Spark SQL, Trino) over Parquet flows. */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { generateMatcherSql } from '../../app/sql.js';
import { OutputError } from '../../model/errors.js';
import type { CliContext } from '../io.js';
import { EXIT_HELP, helpFooter } from '../options.js';

interface SqlCliOpts { inventory: string; ruleset: string[]; hosts?: string; dialect: string; output: string; flows: string; out?: string; tables?: string; tablesUrl?: string }

const HELP = `
The statement computes what \`fwaudit analyze --json --by host\` reports in "findings" (confirmed,
conditional, probable) or "requirements" (same column names and values), from flows in the fwaudit flow
schema (what \`fwaudit parse --out DIR --partition day\` and \`fwaudit export --parquet\` write).
docs/sql-matcher.md says what it does. End to end:

  # 1. each collector: normalise logs into a hive-partitioned Parquet layout (new files, never overwritten)
  fwaudit parse /var/log/firewall/*.log --tz UTC --out /data/flows --partition day
  aws s3 sync /data/flows s3://bucket/flows

  # DuckDB, one machine
  fwaudit sql --inventory inv.yaml --dialect duckdb --output findings --flows /data/flows > findings.sql
  duckdb -json < findings.sql

  # Apache Spark: the job in integrations/spark reads the flows and registers them as the view "flows";
  # --tables writes the model (requirements, ports, role ranges) as small Parquet files it broadcasts
  fwaudit sql --inventory inv.yaml --dialect spark --output findings --flows flows \\
      --tables model --tables-url s3a://bucket/fwaudit-model --out findings.sql
  fwaudit sql --inventory inv.yaml --dialect spark --output matrix --flows flows \\
      --tables model --tables-url s3a://bucket/fwaudit-model --out matrix.sql
  aws s3 sync model s3://bucket/fwaudit-model
  pip install -r integrations/spark/requirements.txt     # pyspark, pinned; Java 17
  spark-submit integrations/spark/fwaudit_spark.py --flows s3a://bucket/flows \\
      --findings-sql findings.sql --matrix-sql matrix.sql --out s3a://bucket/fwaudit-results

  # Trino: a Hive/Iceberg table over the same layout (docs/sql-matcher.md); model tables inline
  fwaudit sql --inventory inv.yaml --dialect trino --output matrix --flows hive.fwaudit.flows > matrix.sql
  trino --file matrix.sql --output-format CSV_HEADER

--flows is a table or view name (Spark, Trino, DuckDB) or a Parquet directory or glob (DuckDB, Spark).
`;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function register(program: Command, ctx?: CliContext): void {
  program
    .command('sql')
    .description('print the matcher as one SQL statement (DuckDB, Spark SQL, Trino) over Parquet flows')
    .requiredOption('--inventory <file>', 'deployment inventory (YAML), as for analyze')
    .option('--ruleset <id|file>', 'built-in ruleset id, "all", or a ruleset file; repeatable (default: all built-ins)', collect, [] as string[])
    .option('--hosts <file>', '/etc/hosts-style file resolving the hostnames of requirements')
    .addOption(new Option('--dialect <engine>', 'SQL dialect').choices(['duckdb', 'spark', 'trino']).default('duckdb'))
    .addOption(new Option('--output <what>', 'findings (analyze --json "findings") or matrix ("requirements")').choices(['findings', 'matrix']).default('findings'))
    .requiredOption('--flows <path|table>', 'flows: a table/view name, or a Parquet directory or glob')
    .option('-o, --out <file>', 'write the statement to FILE instead of stdout')
    .option('--tables <dir>', 'write the model tables (requirements, ports, role ranges, hosts) as DIR/NAME.parquet and read them from there instead of inline VALUES (duckdb, spark)')
    .option('--tables-url <url>', 'where the engine finds the --tables files once copied (e.g. s3a://bucket/fwaudit-model); default: DIR')
    .addHelpText('after', HELP + helpFooter([
      'fwaudit sql --inventory inv.yaml --dialect duckdb --output matrix --flows /data/flows > matrix.sql',
      'fwaudit sql --inventory inv.yaml --dialect spark --output findings --flows flows --tables model --out findings.sql',
    ], [EXIT_HELP.ok, EXIT_HELP.input, EXIT_HELP.bug, EXIT_HELP.pipe]))
    .action(async (o: SqlCliOpts) => {
      const r = await generateMatcherSql(o);
      if (o.out) {
        try { writeFileSync(o.out, r.sql); } catch (e) {
          throw new OutputError(`cannot write ${o.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, o.out);
        }
      } else (ctx?.io.stdout ?? process.stdout).write(r.sql);
    });
}
