/** `fwaudit parse`: normalized flows as JSON Lines (stdout or a file), CSV or Parquet. */
import { Option, type Command } from 'commander';
import type { CliContext, OutputFlags } from '../io.js';
import { note, settle } from '../io.js';
import { addOutputOptions, addReadOptions, EXIT_HELP, helpFooter, readOptionsFrom, type CliReadOpts } from '../options.js';
import type { SchemaName } from '../../sinks/schemas.js';

interface ParseOpts extends CliReadOpts, OutputFlags { out?: string; outFormat?: string; schema: SchemaName; partition?: 'day' }

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('parse')
    .description('read firewall logs and write normalized flows (JSON Lines on stdout by default)')
    .argument('<inputs...>', 'files, directories, globs, or - for stdin (gzip and zip are read directly)')
    .option('-o, --out <file>', 'write to FILE (- for stdout); the format follows its extension: .jsonl/.ndjson/.json, .csv, .parquet')
    .addOption(new Option('--out-format <format>', 'output format, whatever the file name').choices(['jsonl', 'csv', 'parquet']))
    .addOption(new Option('--schema <schema>', 'field names of JSON Lines output').choices(['native', 'ecs', 'ocsf']).default('native'))
    .addOption(new Option('--partition <key>', 'with --out DIR: Parquet in hive layout DIR/day=YYYY-MM-DD/*.parquet, new files beside old ones').choices(['day']));
  addOutputOptions(addReadOptions(cmd))
    .addHelpText('after', helpFooter(
      ['fwaudit parse /var/log/kern.log | jq -c \'select(.action == "deny")\'', 'fwaudit parse pfirewall.log --schema ecs -o flows.jsonl', 'zcat fw.log.gz | fwaudit parse - --format iptables -o -'],
      [EXIT_HELP.ok, EXIT_HELP.input, EXIT_HELP.bug, EXIT_HELP.pipe]))
    .action(async (inputs: string[], o: ParseOpts) => {
      const started = Date.now();
      const [{ parseLogs }, { exitVerdict }, { formatSummary, progressReporter, quietErrors, totalsLine }] = await Promise.all([
        import('../../app/parse.js'), import('../../app/exit-policy.js'), import('../summary.js')]);
      const read = await readOptionsFrom(o, ctx);
      const progress = progressReporter(o.progress !== false && !o.quiet, ctx.io.stderr);
      let r;
      try {
        r = await parseLogs({ inputs, read, out: o.out ?? null, outFormat: o.outFormat, partition: o.partition, schema: o.schema, stdout: ctx.io.stdout, onProgress: progress.update });
      } finally {
        progress.done();
      }
      note(ctx, o, formatSummary(r.summaries, { preview: o.verbose === true && ctx.io.stderr.isTTY === true }));
      quietErrors(r.summaries, o, ctx.io.stderr);
      if (o.verbose) note(ctx, o, totalsLine(r.summaries, Date.now() - started));
      settle(ctx, exitVerdict({ summaries: r.summaries, strict: read.strict }));
    });
}
