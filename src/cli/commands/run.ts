/**
 * `fwaudit run --config fwaudit.yaml`: the scheduled job (src/app/run.ts). Ingests the configured inputs as one
 * run, writes every configured report from the store and prints a short summary.
 *
 * Prints nothing on stdout: the summary, run, report and fail_on lines go to stderr (-q: none).
 *
 * Exit: 1 when `fail_on` is reached by what is failing NOW in the store (also when this run read nothing new);
 * 2 for an unusable configuration, store (busy, full disk) or input (reports are still written when an input
 * could not be read, so that the coverage section shows it); 0 otherwise.
 */
import type { Command } from 'commander';
import { loadConfig, type FwauditConfig } from '../../config/config.js';
import { runScheduled as runApp, type RunOutcome } from '../../app/run.js';
import { EXIT } from '../exit.js';
import { note, type CliContext, type OutputFlags } from '../io.js';
import { DUCKDB_ENV, EXIT_HELP, helpFooter, outputOptions } from '../options.js';
import { progressReporter } from '../summary.js';
import { formatIngestSummary, parseWait, reportKnownError, runLine, waitOption } from '../store-text.js';

export type { RunOutcome };

/** The whole scheduled run for a loaded configuration; writes its summary to `ctx`'s stderr (nothing on stdout). */
export async function runScheduled(cfg: FwauditConfig, ctx: CliContext, o: { progress?: boolean; now?: Date; waitSeconds?: number; quiet?: boolean } = {}): Promise<RunOutcome> {
  const progress = progressReporter(o.progress !== false, ctx.io.stderr);
  try {
    const out = await runApp(cfg, { now: o.now, waitSeconds: o.waitSeconds, onProgress: progress.update, runLine, summary: formatIngestSummary });
    progress.done();
    // Diagnostics only (stdout stays empty): summary, run, report and fail_on lines, then warnings, on stderr.
    for (const l of out.lines) note(ctx, o, l);
    for (const w of out.warnings) note(ctx, o, w);
    return out;
  } finally {
    progress.done();
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('scheduled run from a configuration file: ingest what is new, write every configured report; exit status from what is failing now in the store')
    .requiredOption('--config <file>', 'fwaudit.yaml (inputs, inventory, rulesets, store, reports, fail_on)')
    .option('--no-progress', 'never show the progress line on stderr')
    .addOption(waitOption())
    .addOption(outputOptions()[0]!).addOption(outputOptions()[1]!).addOption(outputOptions()[2]!)
    .addHelpText('after', helpFooter(['fwaudit run --config /etc/fwaudit/fwaudit.yaml', '0 6 * * *  fwaudit run --config /etc/fwaudit/fwaudit.yaml -q   # crontab: mail only errors and findings'],
      [EXIT_HELP.ok, '1    fail_on reached by what is failing now in the store', '2    bad usage, unreadable input or configuration, store busy or unusable, output not writable', EXIT_HELP.bug], [DUCKDB_ENV]))
    .action(async (o: { config: string; progress?: boolean; wait?: string } & OutputFlags) => {
      try {
        const cfg = await loadConfig(o.config);
        ctx.exitCode = (await runScheduled(cfg, ctx, { progress: o.progress !== false && !o.quiet, waitSeconds: parseWait(o.wait), quiet: o.quiet })).code;
      } catch (e) {
        if (!reportKnownError(e, ctx.io.stderr)) throw e;
        ctx.exitCode = EXIT.INPUT;
      }
    });
}
