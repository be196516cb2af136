/** `fwaudit parse`: normalized flows as JSON Lines (stdout or .jsonl), CSV or Parquet. */
import { Option, type Command } from 'commander';
import { extname } from 'node:path';
import { addReadOptions, readOptionsFrom, type CliReadOpts } from '../options.js';
import { readFlows, malformedCount } from '../../pipeline/run.js';
import { csvWriter, fileStream, jsonlWriter, type FlowWriter } from '../../sinks/flow-writer.js';
import { parquetWriter, partitionedParquetWriter } from '../../sinks/parquet.js';
import { UsageError } from '../../model/errors.js';
import type { SchemaName } from '../../sinks/schemas.js';
import { formatSummary, inputErrors, progressReporter } from '../summary.js';
import { EXIT } from '../exit.js';

interface ParseOpts extends CliReadOpts { out?: string; schema: SchemaName; quiet?: boolean; partition?: string }

export function register(program: Command): void {
  const cmd = program
    .command('parse')
    .description('read firewall logs and write normalized flows (JSON Lines on stdout by default)')
    .argument('<inputs...>', 'files, directories, globs, or - for stdin (gzip and zip are read directly)')
    .option('-o, --out <file>', 'write to FILE: .jsonl, .csv or .parquet')
    .addOption(new Option('--schema <schema>', 'field names of JSON Lines output').choices(['native', 'ecs', 'ocsf']).default('native'))
    .option('-q, --quiet', 'no per-input summary on stderr')
    .addOption(new Option('--partition <key>', 'with --out DIR: Parquet in hive layout DIR/day=YYYY-MM-DD/*.parquet (new files, never overwritten)').choices(['day']));
  addReadOptions(cmd).action(async (inputs: string[], o: ParseOpts) => {
    const ro = readOptionsFrom(o);
    let writer: FlowWriter;
    const ext = o.out ? extname(o.out).toLowerCase() : '.jsonl';
    if (o.partition) {
      if (!o.out) throw new UsageError('--partition needs --out DIR');
      if (o.schema !== 'native') throw new UsageError('Parquet output uses the native columns; drop --schema');
      writer = await partitionedParquetWriter(o.out);
    } else if (ext === '.parquet') {
      if (o.schema !== 'native') throw new Error('Parquet output uses the native columns; drop --schema');
      writer = await parquetWriter(o.out!);
    } else if (ext === '.csv') {
      if (o.schema !== 'native') throw new Error('CSV output uses the native columns; drop --schema');
      writer = csvWriter(fileStream(o.out!));
    } else if (ext === '.jsonl' || ext === '.json' || ext === '.ndjson') {
      writer = jsonlWriter(o.out ? fileStream(o.out) : process.stdout, o.schema);
    } else throw new Error(`--out: unknown extension "${ext}" (use .jsonl, .csv or .parquet)`);
    const progress = progressReporter(o.progress !== false);
    const summaries = await readFlows(inputs, { ...ro, onProgress: progress.update, afterChunk: () => writer.drain() }, (f) => writer.write(f));
    progress.done();
    await writer.close();
    if (!o.quiet) process.stderr.write(formatSummary(summaries) + '\n');
    if (inputErrors(summaries).length) process.exitCode = EXIT.INPUT;
    else if (ro.strict && malformedCount(summaries) > 0) {
      process.stderr.write(`--strict: ${malformedCount(summaries)} flow line(s) could not be read\n`);
      process.exitCode = EXIT.INPUT;
    }
  });
}
