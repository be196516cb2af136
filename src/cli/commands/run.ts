/**
 * `fwaudit run --config fwaudit.yaml`: the scheduled job (src/app/run.ts). Ingests the configured inputs as one
 * run, writes every configured report from the store and prints a short summary.
 *
 * Exit: 1 when `fail_on` is reached by what is failing NOW in the store (also when this run read nothing new);
 * 2 for an unusable configuration, store (busy, full disk) or input (reports are still written when an input
 * could not be read, so that the coverage section shows it); 0 otherwise.
 */
import type { Command } from 'commander';
import { loadConfig, type FwauditConfig } from '../../config/config.js';
import { runScheduled as runApp, type RunOutcome } from '../../app/run.js';
import { EXIT } from '../exit.js';
import type { CliContext } from '../io.js';
import { progressReporter } from '../summary.js';
import { formatIngestSummary, parseWait, reportKnownError, runLine, waitOption } from '../store-text.js';

export type { RunOutcome };

/** The whole scheduled run for a loaded configuration; writes its summary to `ctx`'s stdout. */
export async function runScheduled(cfg: FwauditConfig, ctx: CliContext, o: { progress?: boolean; now?: Date; waitSeconds?: number } = {}): Promise<RunOutcome> {
  const progress = progressReporter(o.progress !== false, ctx.io.stderr);
  try {
    const out = await runApp(cfg, { now: o.now, waitSeconds: o.waitSeconds, onProgress: progress.update, runLine, summary: formatIngestSummary });
    progress.done();
    for (const l of out.lines) ctx.io.stdout.write(l + '\n');
    for (const w of out.warnings) ctx.io.stderr.write(w + '\n');
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
    .action(async (o: { config: string; progress?: boolean; wait?: string }) => {
      try {
        const cfg = await loadConfig(o.config);
        ctx.exitCode = (await runScheduled(cfg, ctx, { progress: o.progress, waitSeconds: parseWait(o.wait) })).code;
      } catch (e) {
        if (!reportKnownError(e, ctx.io.stderr)) throw e;
        ctx.exitCode = EXIT.INPUT;
      }
    });
}
