/**
 * `fwaudit ingest <inputs...> --db FILE`: reads logs into the DuckDB store as one run (src/app/ingest.ts).
 * Inputs (or the parts of them) read before are skipped; a log that grew is read from its checkpoint.
 *
 * Prints nothing on stdout (except the --json object): the per-input summary, the run line and the store status go to stderr (-q: none).
 *
 * Exit: 2 when an input could not be read, for bad configuration, or a store that cannot be used (busy, full
 * disk: the store is then as it was before the run); 0 otherwise.
 */
import type { Command } from 'commander';
import { malformedCount } from '../../pipeline/run.js';
import { Store, type Keep } from '../../store/store.js';
import { ingestInto, loadAnalysisConfig } from '../../app/ingest.js';
import { statusLine, storeStatus } from '../../app/run.js';
import { EXIT } from '../exit.js';
import { note, type CliContext, type OutputFlags } from '../io.js';
import { addOutputOptions, addReadOptions, DUCKDB_ENV, EXIT_HELP, helpFooter, readOptionsFrom, type CliReadOpts } from '../options.js';
import { inputErrors, progressReporter, quietErrors } from '../summary.js';

export { ingestInto, loadAnalysisConfig, type IngestContext, type IngestResult } from '../../app/ingest.js';

export { formatIngestSummary, KEEP_CHOICES, keepOption, parseWait, reportKnownError, runLine, waitOption } from '../store-text.js';
import { formatIngestSummary, ingestJson, keepOption, parseWait, reportKnownError, runLine, waitOption } from '../store-text.js';

export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

interface IngestOpts extends CliReadOpts {
  db: string;
  inventory?: string;
  ruleset: string[];
  hosts?: string;
  keep?: Keep;
  wait?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ingest')
    .description('read logs into a DuckDB store as one run (all or nothing); what was read before is skipped, a grown log is read from where the last run stopped')
    .argument('<inputs...>', 'files, directories, globs, or - for stdin (gzip and zip are read directly)')
    .requiredOption('--db <file>', 'DuckDB store (created when missing)')
    .option('--inventory <file>', 'deployment inventory (YAML); without it, matches are port-only')
    .option('--ruleset <id|file>', 'built-in ruleset id, "all", or a ruleset file; repeatable (default: all built-ins)', collect, [] as string[])
    .option('--hosts <file>', '/etc/hosts-style file resolving the hostnames of requirements')
    .addOption(keepOption())
    .addOption(waitOption())
    .option('--json', 'print one JSON object {schema_version, run_id, inputs, counts, failing_now} on stdout (the summary still goes to stderr)');
  addOutputOptions(addReadOptions(cmd))
    .addHelpText('after', helpFooter(['fwaudit ingest /var/log/kern.log* --db fwaudit.duckdb --inventory inventory.yaml', 'fwaudit ingest logs/ --db fwaudit.duckdb --keep all -q'],
      [EXIT_HELP.ok, '2    bad usage, unreadable input or configuration, store busy or unusable, output not writable', EXIT_HELP.bug, EXIT_HELP.pipe], [DUCKDB_ENV]))
    .action(async (inputs: string[], o: IngestOpts & OutputFlags) => {
    const { stderr } = ctx.io;
    const read = await readOptionsFrom(o, ctx);
    const waitSeconds = parseWait(o.wait);
    let store: Store | null = null;
    const progress = progressReporter(o.progress !== false, stderr);
    try {
      const { rulesets, inventory } = await loadAnalysisConfig(o);
      store = await Store.open(o.db, { waitSeconds });
      const r = await ingestInto(store, inputs, { rulesets, inventory, read, keep: o.keep, onProgress: progress.update, stdin: ctx.io.stdin });
      progress.done();
      // Diagnostics on stderr (the summary, the run line, the store status); stdout only for --json.
      const status = !o.quiet || o.json ? await storeStatus(store) : null;
      if (o.json && status) ctx.io.stdout.write(JSON.stringify(ingestJson(r, status)) + '\n');
      if (!o.quiet && status) {
        note(ctx, o, formatIngestSummary(r));
        note(ctx, o, runLine(r, o.db));
        note(ctx, o, statusLine(status));
      }
      quietErrors(r.summaries, o, ctx.io.stderr);
      if (inputErrors(r.summaries).length) ctx.exitCode = EXIT.INPUT;
      else if (o.strict && malformedCount(r.summaries) > 0) {
        stderr.write(`--strict: ${malformedCount(r.summaries)} flow line(s) could not be read\n`);
        ctx.exitCode = EXIT.INPUT;
      }
    } catch (e) {
      progress.done();
      if (!reportKnownError(e, stderr)) throw e;
      ctx.exitCode = EXIT.INPUT;
    } finally {
      if (store) await store.close();
    }
  });
}
