/**
 * `fwaudit analyze <inputs...>`: reads firewall logs, matches every flow against the rulesets
 * (and the inventory, when given) and reports findings and the compliance matrix.
 * Data (the report, or `--json`) on stdout; the input summary and warnings on stderr.
 * Exit status: src/app/exit-policy.ts.
 */
import { Option, type Command } from 'commander';
import type { Keep } from '../../store/store.js';
import type { FailOn } from '../../app/exit-policy.js';
import { colorEnabled, note, settle, type CliContext, type OutputFlags } from '../io.js';
import { addOutputOptions, addReadOptions, collect, DUCKDB_ENV, EXIT_HELP, helpFooter, readOptionsFrom, UsageError, type CliReadOpts } from '../options.js';

interface AnalyzeOpts extends CliReadOpts, OutputFlags {
  inventory?: string;
  ruleset: string[];
  hosts?: string;
  json?: boolean;
  failOn: FailOn;
  db?: string;
  keep?: Keep;
  by: 'requirement' | 'host';
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('analyze')
    .description('find denied flows that break the documented network requirements of your products')
    .argument('<inputs...>', 'files, directories, globs, or - for stdin (gzip and zip are read directly)')
    .option('--inventory <file>', 'deployment inventory (YAML): products, roles and addresses; without it, matches are port-only')
    .option('--ruleset <id|file>', 'built-in ruleset id, "all", or a ruleset file; repeatable (default: all built-ins)', collect, [] as string[])
    .option('--hosts <file>', '/etc/hosts-style file resolving the hostnames of requirements (update servers)')
    .option('--json', 'print one JSON object {schema_version, inputs, findings, requirements, …} on stdout (schemas/analyze.schema.json)')
    .addOption(new Option('--by <grouping>', 'one finding per requirement and destination (requirement) or per host pair (host)').choices(['requirement', 'host']).default('requirement'))
    .addOption(new Option('--fail-on <level>', 'exit 1 when findings reach this level').choices(['violated', 'probable', 'conditional', 'none']).default('none'))
    .option('--db <file>', 'also store the run (flows per --keep, findings, matrix) in this DuckDB store; inputs already in it are skipped')
    .addOption(new Option('--keep <which>', 'with --db, flows to store: all, denied, matched (default: denied + matched)').choices(['all', 'denied', 'matched']));
  addOutputOptions(addReadOptions(cmd))
    .addHelpText('after', helpFooter(
      ['fwaudit analyze /var/log/kern.log --inventory inventory.yaml', 'fwaudit analyze logs/ --inventory inv.yaml --json | jq \'.findings[] | select(.confidence == "confirmed")\'', 'fwaudit analyze logs/ --inventory inv.yaml --fail-on violated -q'],
      [EXIT_HELP.ok, EXIT_HELP.findings, EXIT_HELP.input, EXIT_HELP.bug, EXIT_HELP.pipe], [DUCKDB_ENV]))
    .action(async (inputs: string[], o: AnalyzeOpts) => {
      if (o.keep && !o.db) throw new UsageError('--keep needs --db');
      const started = Date.now();
      const [{ analyze, analyzeJson }, { exitVerdict }, { formatSummary, progressReporter, quietErrors, totalsLine }] = await Promise.all([
        import('../../app/analyze.js'), import('../../app/exit-policy.js'), import('../summary.js')]);
      const read = await readOptionsFrom(o, ctx);
      const progress = progressReporter(o.progress !== false && !o.quiet, ctx.io.stderr);
      let run: Awaited<ReturnType<typeof analyze>>;
      let storedLine: string | null = null;
      let storeExit: number | null = null;
      let inputText: string;
      try {
        if (o.db) {
          // The store path: one ingest run (inputs already in the store are skipped).
          const [{ loadContext }, { ingestInto }, text, { Store }] = await Promise.all([
            import('../../app/context.js'), import('../../app/ingest.js'), import('../store-text.js'), import('../../store/store.js')]);
          const { rulesets, inventory } = await loadContext(o);
          const store = await Store.open(o.db);
          try {
            const r = await ingestInto(store, inputs, { rulesets, inventory, read, keep: o.keep, onProgress: progress.update });
            run = { result: r.result, summaries: r.summaries, rulesets, inventory };
            // With --db the exit status follows what is failing now in the store, not only this run's inputs.
            const { exitFromStatus, statusLine, storeStatus } = await import('../../app/run.js');
            const status = await storeStatus(store);
            storedLine = `${text.runLine(r, o.db)}\n${statusLine(status)}`;
            storeExit = exitFromStatus(status, o.failOn);
            inputText = text.formatIngestSummary(r);
          } finally {
            await store.close();
          }
        } else {
          run = await analyze({ ...o, inputs, read, onProgress: progress.update });
          inputText = formatSummary(run.summaries, { preview: o.verbose === true && ctx.io.stderr.isTTY === true });
        }
      } finally {
        progress.done();
      }
      // Nothing could be read at all: no report (a "0 violated" built on nothing would read as a clean bill).
      const nothingRead = run.summaries.length > 0 && run.summaries.every((s) => s.error !== null && s.format === null);
      if (nothingRead) {
        // the summary below names each input and why
      } else if (o.json) {
        ctx.io.stdout.write(JSON.stringify(analyzeJson(run)) + '\n');
      } else {
        const [{ renderTerminal }, { sanitizeText }, { colorize, painter }] = await Promise.all([
          import('../../reports/terminal.js'), import('../../model/sanitize.js'), import('../color.js')]);
        const text = sanitizeText(renderTerminal(run.result), { newlines: true });
        ctx.io.stdout.write(colorize(text, painter(colorEnabled(ctx, o))) + '\n');
      }
      note(ctx, o, inputText + (storedLine ? `\n${storedLine}` : ''));
      quietErrors(run.summaries, o, ctx.io.stderr);
      if (o.verbose) note(ctx, o, totalsLine(run.summaries, Date.now() - started));
      const verdict = exitVerdict({ summaries: run.summaries, strict: read.strict, result: storeExit === null ? run.result : null, failOn: o.failOn });
      settle(ctx, verdict.code === 0 && storeExit ? { code: storeExit, reason: `--fail-on ${o.failOn}: reached (failing now in the store)` } : verdict);
    });
}
