/**
 * `fwaudit ingest <inputs...> --db FILE`: reads logs into the DuckDB store as one run (src/app/ingest.ts).
 * Inputs (or the parts of them) read before are skipped; a log that grew is read from its checkpoint.
 *
 * Exit: 2 when an input could not be read, for bad configuration, or a store that cannot be used (busy, full
 * disk: the store is then as it was before the run); 0 otherwise.
 */
import { Option, type Command } from 'commander';
import { ConfigError, StoreError } from '../../model/errors.js';
import { malformedCount } from '../../pipeline/run.js';
import { Store, type Keep } from '../../store/store.js';
import { ingestInto, loadAnalysisConfig, type IngestResult } from '../../app/ingest.js';
import { statusLine, storeStatus } from '../../app/run.js';
import { EXIT } from '../exit.js';
import type { CliContext } from '../io.js';
import { addReadOptions, readOptionsFrom, UsageError, type CliReadOpts } from '../options.js';
import { formatSummary, inputErrors, progressReporter } from '../summary.js';

export { ingestInto, loadAnalysisConfig, type IngestContext, type IngestResult } from '../../app/ingest.js';
import { sanitizeText } from '../../model/sanitize.js';

export const KEEP_CHOICES = ['all', 'denied', 'matched'] as const;

/** Parse summary plus one line per input that was already in the store. */
export function formatIngestSummary(r: Pick<IngestResult, 'summaries' | 'alreadyIngested'>): string {
  const lines = r.summaries.length ? [formatSummary(r.summaries)] : [];
  for (const f of r.alreadyIngested) lines.push(`${sanitizeText(f)}: already ingested, skipped`);
  return lines.join('\n');
}

export function runLine(r: IngestResult, dbPath: string): string {
  const c = { confirmed: 0, probable: 0, 'port-only': 0 } as Record<string, number>;
  for (const f of r.result.findings) c[f.confidence] = (c[f.confidence] ?? 0) + 1;
  const resumed = r.outcomes.filter((o) => o.decision === 'resume').length;
  const newInputs = r.outcomes.filter((o) => o.decision === 'anew').length;
  if (newInputs + resumed === 0 && r.lines === 0) {
    return `Run ${r.runId} → ${dbPath}: nothing new (${r.alreadyIngested.length} input(s) already ingested)`;
  }
  return `Run ${r.runId} → ${dbPath}: ${newInputs} new input(s), ${resumed} resumed, ${r.alreadyIngested.length} already ingested; `
    + `${r.lines} lines, ${r.flows} flows, ${r.stored} stored; findings ${c.confirmed} confirmed, ${c.probable} probable, ${c['port-only']} port-only`;
}

/** Writes a StoreError / ConfigError for the user and returns true when `e` was one. */
export function reportKnownError(e: unknown, stderr: { write(s: string): unknown } = process.stderr): boolean {
  if (e instanceof StoreError) { stderr.write(`fwaudit: ${e.path ? `${e.path}: ` : ''}${e.message}\n`); return true; }
  if (e instanceof ConfigError) { stderr.write(`fwaudit: ${e.toString()}\n`); return true; }
  return false;
}

export function keepOption(): Option {
  return new Option('--keep <which>', 'flows to store: all, denied, matched (default: denied + matched)').choices([...KEEP_CHOICES]);
}

export function waitOption(): Option {
  return new Option('--wait <seconds>', 'when another process is writing the store, wait up to SECONDS for it (default: fail at once with "store busy")');
}

export function parseWait(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--wait: expected a number of seconds ≥ 0, got ${JSON.stringify(v)}`);
  return n;
}

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
    .addOption(waitOption());
  addReadOptions(cmd).action(async (inputs: string[], o: IngestOpts) => {
    const { stdout, stderr } = ctx.io;
    const read = await readOptionsFrom(o, ctx);
    const waitSeconds = parseWait(o.wait);
    let store: Store | null = null;
    const progress = progressReporter(o.progress !== false, stderr);
    try {
      const { rulesets, inventory } = await loadAnalysisConfig(o);
      store = await Store.open(o.db, { waitSeconds });
      const r = await ingestInto(store, inputs, { rulesets, inventory, read, keep: o.keep, onProgress: progress.update, stdin: ctx.io.stdin });
      progress.done();
      const text = formatIngestSummary(r);
      if (text) stdout.write(text + '\n');
      stdout.write(runLine(r, o.db) + '\n');
      stdout.write(statusLine(await storeStatus(store)) + '\n');
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
