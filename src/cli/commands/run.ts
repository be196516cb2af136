/**
 * `fwaudit run --config fwaudit.yaml`: the scheduled job. Ingests the configured inputs into the store as one run
 * (inputs already in the store are skipped), analyzes them, writes every configured report from the store and
 * prints a short summary.
 *
 * Exit: 1 when `fail_on` is reached by this run's analysis; 2 for an unusable configuration, store or input
 * (reports are still written when an input could not be read, so that the coverage section shows it); 0 otherwise.
 */
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { loadConfig, type FwauditConfig } from '../../config/config.js';
import { malformedCount } from '../../pipeline/run.js';
import { buildReportModel, parseWhen } from '../../reports/model.js';
import { Store } from '../../store/store.js';
import { EXIT } from '../exit.js';
import { failExitCode } from '../../app/exit-policy.js';
import { formatIngestSummary, ingestInto, loadAnalysisConfig, reportKnownError, runLine } from './ingest.js';
import { loadRenderer } from '../../reports/formats.js';
import type { CliContext } from '../io.js';
import { progressReporter, inputErrors } from '../summary.js';

export interface RunOutcome { code: number; written: string[] }

function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/** The whole scheduled run for a loaded configuration; prints its summary on stdout. */
export async function runScheduled(cfg: FwauditConfig, ctx: CliContext, o: { progress?: boolean; now?: Date } = {}): Promise<RunOutcome> {
  const { rulesets, inventory } = await loadAnalysisConfig({ ruleset: cfg.rulesets, inventory: cfg.inventory, hosts: cfg.hosts });
  if (cfg.store !== ':memory:') mkdirSync(dirname(cfg.store), { recursive: true });
  const store = await Store.open(cfg.store);
  const written: string[] = [];
  const progress = progressReporter(o.progress !== false, ctx.io.stderr);
  try {
    const r = await ingestInto(store, cfg.inputs, {
      rulesets, inventory, keep: cfg.keep, onProgress: progress.update, stdin: ctx.io.stdin,
      read: { format: cfg.format, tz: cfg.tz, year: cfg.year, actionMap: cfg.actionMap, strict: cfg.strict },
    });
    progress.done();
    const text = formatIngestSummary(r);
    if (text) ctx.io.stdout.write(text + '\n');
    ctx.io.stdout.write(runLine(r, shortPath(cfg.store)) + '\n');

    const now = o.now ?? new Date();
    for (const rep of cfg.reports) {
      const model = await buildReportModel(store, {
        since: rep.since ? parseWhen(rep.since, now) : null,
        until: rep.until ? parseWhen(rep.until, now) : null,
        top: rep.top, now,
      });
      mkdirSync(dirname(rep.out), { recursive: true });
      writeFileSync(rep.out, (await loadRenderer(rep.format))(model));
      written.push(rep.out);
      const s = model.summary;
      ctx.io.stdout.write(`Report ${rep.format} → ${shortPath(rep.out)} (${s.violated} violated, ${s.intermittent} intermittent, ${s.new_violations} new, ${s.resolved_violations} resolved)\n`);
    }

    if (inputErrors(r.summaries).length) return { code: EXIT.INPUT, written };
    if (cfg.strict && malformedCount(r.summaries) > 0) {
      ctx.io.stderr.write(`strict: ${malformedCount(r.summaries)} flow line(s) could not be read\n`);
      return { code: EXIT.INPUT, written };
    }
    const code = failExitCode(r.result, cfg.failOn);
    if (code !== EXIT.OK) ctx.io.stdout.write(`fail_on ${cfg.failOn}: reached\n`);
    return { code, written };
  } finally {
    progress.done();
    await store.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('scheduled run from a configuration file: ingest new inputs, analyze, write every configured report')
    .requiredOption('--config <file>', 'fwaudit.yaml (inputs, inventory, rulesets, store, reports, fail_on)')
    .option('--no-progress', 'never show the progress line on stderr')
    .action(async (o: { config: string; progress?: boolean }) => {
      try {
        const cfg = await loadConfig(o.config);
        ctx.exitCode = (await runScheduled(cfg, ctx, { progress: o.progress })).code;
      } catch (e) {
        if (!reportKnownError(e, ctx)) throw e;
        ctx.exitCode = EXIT.INPUT;
      }
    });
}
