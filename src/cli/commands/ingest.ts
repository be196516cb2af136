/**
 * `fwaudit ingest <inputs...> --db FILE`: reads logs into the DuckDB store as one run, skipping inputs whose
 * content was ingested before, and stores the run's findings and compliance matrix.
 *
 * `ingestInto` is the shared work of `ingest`, `analyze --db` and `run`:
 * - one run per call (`beginRun` … `finishRun`);
 * - per input file its content identity (size + hash of head and tail): an identity already in the store is
 *   skipped (its flows are neither matched nor stored again), so re-ingesting a file changes no count;
 * - every flow of a new input goes through the matcher; the `keep` filter decides which flows are stored
 *   (default: denied flows plus flows that matched a requirement, labelled in `flows.matched`);
 * - an input that could not be read at all (missing, unrecognised, no flows and an error) is recorded for the
 *   coverage report under a per-run id, so that it is retried next time instead of being skipped for ever.
 *
 * Exit: 2 when an input could not be read, for bad configuration, or a store that cannot be used; 0 otherwise.
 */
import { Option, type Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ConfigError } from '../../model/errors.js';
import type { Flow } from '../../model/flow.js';
import type { Ruleset } from '../../model/ruleset.js';
import { loadHostsFile, loadInventory, type Inventory } from '../../inventory/load.js';
import { Matcher, type MatchResult } from '../../matcher/matcher.js';
import { resolveRulesets } from '../../rulesets/load.js';
import { expandInputs } from '../../pipeline/inputs.js';
import { malformedCount, readFlows, type InputSummary, type Progress, type ReadOptions } from '../../pipeline/run.js';
import { flowFilter, inputIdentity, Store, StoreError, type InputIdentity, type Keep } from '../../store/store.js';
import { VERSION } from '../../version.js';
import { EXIT } from '../exit.js';
import { addReadOptions, readOptionsFrom, type CliReadOpts } from '../options.js';
import { formatSummary, inputErrors, progressReporter } from '../summary.js';
import type { CliContext } from '../io.js';

export const KEEP_CHOICES = ['all', 'denied', 'matched'] as const;

export interface IngestContext {
  rulesets: Ruleset[];
  inventory: Inventory | null;
  read: ReadOptions;
  keep?: Keep;
  onProgress?: (p: Progress) => void;
  /** What the input `-` reads (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export interface IngestResult {
  runId: string;
  result: MatchResult;
  /** Summaries of the inputs read in this run (archives give one per member). */
  summaries: InputSummary[];
  /** Input files skipped because their content is already in the store. */
  alreadyIngested: string[];
  /** Flows written to the store in this run. */
  stored: number;
  lines: number;
  flows: number;
}

/** One summary for the inputs table from the summaries of one input file (several for an archive). */
function mergeSummaries(path: string, list: InputSummary[]): InputSummary {
  if (list.length === 1) return list[0]!;
  const uniq = (xs: Array<string | null>) => [...new Set(xs.filter((x): x is string => x !== null))].join(',') || null;
  const notes: Record<string, number> = {};
  for (const s of list) for (const [k, v] of Object.entries(s.notes)) notes[k] = (notes[k] ?? 0) + v;
  return {
    file: path, format: uniq(list.map((s) => s.format)), dialect: uniq(list.map((s) => s.dialect)),
    encoding: uniq(list.map((s) => s.encoding)), container: uniq(list.map((s) => s.container)),
    lines: list.reduce((n, s) => n + s.lines, 0), flows: list.reduce((n, s) => n + s.flows, 0),
    bytes: list.reduce((n, s) => n + s.bytes, 0), skipped: list.flatMap((s) => s.skipped), notes,
    error: list.map((s) => s.error && `${s.file}: ${s.error}`).filter(Boolean).join('; ') || null,
  };
}

/** Copies stdin to a temporary file so that it gets a content identity like any file. */
async function spoolStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fwaudit-stdin-'));
  const path = join(dir, 'stdin');
  await pipeline(stdin, createWriteStream(path));
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Ingests `inputs` into `store` as one run. Never throws for bad input (see the summaries); throws StoreError. */
export async function ingestInto(store: Store, inputs: string[], ctx: IngestContext): Promise<IngestResult> {
  const rulesetVersions = Object.fromEntries(ctx.rulesets.map((r) => [r.id, r.version ?? '']));
  const runId = await store.beginRun({ fwauditVersion: VERSION, rulesetVersions });
  const matcher = new Matcher(ctx.rulesets, ctx.inventory);
  const before = store.appendedFlows;
  const summaries: InputSummary[] = [];
  const alreadyIngested: string[] = [];
  let inputsRead = 0;
  const files = expandInputs(inputs);
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    let readPath = file;
    let cleanup: (() => Promise<void>) | null = null;
    if (file === '-') ({ path: readPath, cleanup } = await spoolStdin(ctx.stdin));
    try {
      let identity: InputIdentity | null = null;
      try { identity = await inputIdentity(readPath); } catch { identity = null; /* the reader reports why */ }
      if (identity && await store.hasInput(identity)) { alreadyIngested.push(file); continue; }
      const inputId = identity ? identity.id : `unreadable:${file}#${runId}`;
      const ident: InputIdentity = identity ? { ...identity, path: file } : { id: inputId, size: 0, path: file };
      store.trackInput(ident);
      let matched: string | null = null;
      const keep = flowFilter(ctx.keep, () => matched !== null);
      const onProgress = ctx.onProgress ? (p: Progress) => ctx.onProgress!({ ...p, fileIndex: i, files: files.length }) : undefined;
      const onFlow = (f: Flow) => {
        if (cleanup) f.file = '-';
        matched = matcher.observeMatched(f);
        if (keep(f)) store.appendFlow(f, inputId, matched);
      };
      const got = await readFlows([readPath], { ...ctx.read, onProgress }, onFlow);
      if (cleanup) {
        for (const s of got) {
          s.file = '-';
          for (const g of s.skipped) g.first.file = '-';
        }
      }
      summaries.push(...got);
      inputsRead++;
      const merged = mergeSummaries(file, got);
      // Nothing read and an error: record it for coverage under a per-run id, so that the next run retries it.
      const recordAs = merged.error !== null && merged.flows === 0 && identity ? { ...ident, id: `${identity.id}#error-${runId}` } : ident;
      await store.addInput(merged, recordAs, runId);
    } finally {
      if (cleanup) await cleanup();
    }
  }
  const result = matcher.result();
  const lines = summaries.reduce((n, s) => n + s.lines, 0);
  const flows = summaries.reduce((n, s) => n + s.flows, 0);
  const skipped = summaries.reduce((n, s) => n + s.skipped.reduce((m, g) => m + g.count, 0), 0);
  await store.finishRun(runId, result.findings, result.requirements, { inputs: inputsRead, lines, flows, skipped });
  return { runId, result, summaries, alreadyIngested, stored: store.appendedFlows - before, lines, flows };
}

/** Rulesets, inventory and hosts from the usual options (ConfigError on bad files). */
export async function loadAnalysisConfig(o: { ruleset?: string[]; inventory?: string; hosts?: string }): Promise<{ rulesets: Ruleset[]; inventory: Inventory | null }> {
  const rulesets = resolveRulesets(o.ruleset ?? []);
  const extraHosts = o.hosts ? await loadHostsFile(o.hosts) : undefined;
  const inventory = o.inventory ? await loadInventory(o.inventory, rulesets, { extraHosts }) : null;
  return { rulesets, inventory };
}

/** Parse summary plus one line per input that was already in the store. */
export function formatIngestSummary(r: Pick<IngestResult, 'summaries' | 'alreadyIngested'>): string {
  const lines = r.summaries.length ? [formatSummary(r.summaries)] : [];
  for (const f of r.alreadyIngested) lines.push(`${f}: already ingested, skipped`);
  return lines.join('\n');
}

export function runLine(r: IngestResult, dbPath: string): string {
  const c = { confirmed: 0, probable: 0, 'port-only': 0 } as Record<string, number>;
  for (const f of r.result.findings) c[f.confidence] = (c[f.confidence] ?? 0) + 1;
  const st = { violated: 0, intermittent: 0, ok: 0, unobserved: 0 } as Record<string, number>;
  for (const m of r.result.requirements) st[m.status] = (st[m.status] ?? 0) + 1;
  const newInputs = new Set(r.summaries.map((s) => s.file)).size;
  return `Run ${r.runId} → ${dbPath}: ${newInputs} new input(s), ${r.alreadyIngested.length} already ingested; `
    + `${r.lines} lines, ${r.flows} flows, ${r.stored} stored; findings ${c.confirmed} confirmed, ${c.probable} probable, ${c['port-only']} port-only; `
    + `requirements ${st.violated} violated, ${st.intermittent} intermittent, ${st.ok} ok`;
}

/** Prints a StoreError / ConfigError for the user and returns true when `e` was one. */
export function reportKnownError(e: unknown, cli: CliContext): boolean {
  if (e instanceof StoreError) { cli.io.stderr.write(`fwaudit: ${e.path}: ${e.message}\n`); return true; }
  if (e instanceof ConfigError) { cli.io.stderr.write(`fwaudit: ${e.toString()}\n`); return true; }
  return false;
}

export function keepOption(): Option {
  return new Option('--keep <which>', 'flows to store: all, denied, matched (default: denied + matched)').choices([...KEEP_CHOICES]);
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
}

export function register(program: Command, cli: CliContext): void {
  const cmd = program
    .command('ingest')
    .description('read logs into a DuckDB store as one run (inputs already in the store are skipped) and store findings and matrix')
    .argument('<inputs...>', 'files, directories, globs, or - for stdin (gzip and zip are read directly)')
    .requiredOption('--db <file>', 'DuckDB store (created when missing)')
    .option('--inventory <file>', 'deployment inventory (YAML); without it, matches are port-only')
    .option('--ruleset <id|file>', 'built-in ruleset id, "all", or a ruleset file; repeatable (default: all built-ins)', collect, [] as string[])
    .option('--hosts <file>', '/etc/hosts-style file resolving the hostnames of requirements')
    .addOption(keepOption());
  addReadOptions(cmd).action(async (inputs: string[], o: IngestOpts) => {
    const read = await readOptionsFrom(o, cli);
    let store: Store | null = null;
    const progress = progressReporter(o.progress !== false, cli.io.stderr);
    try {
      const { rulesets, inventory } = await loadAnalysisConfig(o);
      store = await Store.open(o.db);
      const r = await ingestInto(store, inputs, { rulesets, inventory, read, keep: o.keep, onProgress: progress.update, stdin: cli.io.stdin });
      progress.done();
      const text = formatIngestSummary(r);
      if (text) cli.io.stdout.write(text + '\n');
      cli.io.stdout.write(runLine(r, o.db) + '\n');
      if (inputErrors(r.summaries).length) cli.exitCode = EXIT.INPUT;
      else if (o.strict && malformedCount(r.summaries) > 0) {
        cli.io.stderr.write(`--strict: ${malformedCount(r.summaries)} flow line(s) could not be read\n`);
        cli.exitCode = EXIT.INPUT;
      }
    } catch (e) {
      progress.done();
      if (!reportKnownError(e, cli)) throw e;
      cli.exitCode = EXIT.INPUT;
    } finally {
      if (store) await store.close();
    }
  });
}
