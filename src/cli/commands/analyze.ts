/**
 * `fwaudit analyze <inputs...>`: reads firewall logs, matches every flow against the rulesets
 * (and the inventory, when given) and reports findings and the compliance matrix.
 *
 * Exit: 1 when `--fail-on violated` and a confirmed finding or a violated/intermittent requirement
 * exists (`--fail-on probable` also counts probable findings); 2 for bad configuration or an
 * unreadable input; 0 otherwise.
 */
import { Option, type Command } from 'commander';
import { ConfigError } from '../../model/errors.js';
import type { Ruleset } from '../../model/ruleset.js';
import { loadHostsFile, loadInventory, type Inventory } from '../../inventory/load.js';
import { Matcher, type MatchResult } from '../../matcher/matcher.js';
import { resolveRulesets } from '../../rulesets/load.js';
import { readFlows, malformedCount, type InputSummary } from '../../pipeline/run.js';
import { renderTerminal } from '../../reports/terminal.js';
import { addReadOptions, readOptionsFrom, UsageError, type CliReadOpts } from '../options.js';
import { formatSummary, inputErrors, progressReporter } from '../summary.js';
import { EXIT } from '../exit.js';
import { Store, type Keep } from '../../store/store.js';
import { exitFromStatus, statusLine, storeStatus, type StoreStatus } from '../../app/run.js';
import { formatIngestSummary, ingestInto, keepOption, loadAnalysisConfig, reportKnownError, runLine } from './ingest.js';

export type FailOn = 'violated' | 'probable' | 'none';

interface AnalyzeOpts extends CliReadOpts {
  inventory?: string;
  ruleset: string[];
  hosts?: string;
  json?: boolean;
  failOn: FailOn;
  db?: string;
  keep?: Keep;
}

/** Exit code for a result under `--fail-on`. */
export function failExitCode(r: Pick<MatchResult, 'findings' | 'requirements'>, failOn: FailOn): number {
  if (failOn === 'none') return EXIT.OK;
  const bad = r.findings.some((f) => f.confidence === 'confirmed' || (failOn === 'probable' && f.confidence === 'probable')) ||
    r.requirements.some((x) => x.status === 'violated' || x.status === 'intermittent');
  return bad ? EXIT.FINDINGS : EXIT.OK;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export interface AnalyzeRun {
  result: MatchResult; inputs: InputSummary[]; rulesets: Ruleset[]; inventory: Inventory | null;
  /** With --db: the stored run, and the inputs skipped because the store already has them. */
  stored?: { line: string; alreadyIngested: string[]; status: StoreStatus };
}

/** `analyze --db`: the same analysis as one store run (inputs already in the store are skipped). */
async function runAnalyzeIntoStore(inputs: string[], o: Omit<AnalyzeOpts, 'json' | 'failOn'> & { db: string }, onProgress?: Parameters<typeof readFlows>[1]['onProgress']): Promise<AnalyzeRun> {
  const read = readOptionsFrom(o);
  const { rulesets, inventory } = await loadAnalysisConfig(o);
  const store = await Store.open(o.db);
  try {
    const r = await ingestInto(store, inputs, { rulesets, inventory, read, keep: o.keep, onProgress });
    const status = await storeStatus(store);
    return { result: r.result, inputs: r.summaries, rulesets, inventory, stored: { line: `${runLine(r, o.db)}\n${statusLine(status)}`, alreadyIngested: r.alreadyIngested, status } };
  } finally {
    await store.close();
  }
}

/** The work of the command without the printing (used by tests and other commands). */
export async function runAnalyze(inputs: string[], o: Omit<AnalyzeOpts, 'json' | 'failOn'>, onProgress?: Parameters<typeof readFlows>[1]['onProgress']): Promise<AnalyzeRun> {
  const ro = readOptionsFrom(o);
  const rulesets = resolveRulesets(o.ruleset ?? []);
  const extraHosts = o.hosts ? await loadHostsFile(o.hosts) : undefined;
  let inventory: Inventory | null = null;
  if (o.inventory) inventory = await loadInventory(o.inventory, rulesets, { extraHosts });
  const matcher = new Matcher(rulesets, inventory);
  const summaries = await readFlows(inputs, { ...ro, onProgress }, (f) => matcher.observe(f));
  return { result: matcher.result(), inputs: summaries, rulesets, inventory };
}

export function register(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('find denied flows that break the documented network requirements of your products')
    .argument('<inputs...>', 'files, directories, globs, or - for stdin (gzip and zip are read directly)')
    .option('--inventory <file>', 'deployment inventory (YAML): products, roles and addresses; without it, matches are port-only')
    .option('--ruleset <id|file>', 'built-in ruleset id, "all", or a ruleset file; repeatable (default: all built-ins)', collect, [] as string[])
    .option('--hosts <file>', '/etc/hosts-style file resolving the hostnames of requirements (update servers)')
    .option('--json', 'print one JSON object {inputs, findings, requirements, inferred_roles} on stdout')
    .addOption(new Option('--fail-on <level>', 'exit 1 when findings reach this level').choices(['violated', 'probable', 'none']).default('none'))
    .option('--db <file>', 'also store the run (flows per --keep, findings, matrix) in this DuckDB store; inputs already in it are skipped')
    .addOption(keepOption());
  addReadOptions(cmd).action(async (inputs: string[], o: AnalyzeOpts) => {
    const progress = progressReporter(o.progress !== false && !o.json);
    let run: AnalyzeRun;
    try {
      if (o.keep && !o.db) throw new UsageError('--keep needs --db');
      run = o.db ? await runAnalyzeIntoStore(inputs, { ...o, db: o.db }, progress.update) : await runAnalyze(inputs, o, progress.update);
    } catch (e) {
      progress.done();
      if (e instanceof ConfigError) {
        process.stderr.write(`${e.toString()}\n`);
        process.exitCode = EXIT.INPUT;
        return;
      }
      if (reportKnownError(e)) { process.exitCode = EXIT.INPUT; return; }
      throw e;
    }
    progress.done();
    const { result, inputs: summaries, stored } = run;
    const inputText = stored ? formatIngestSummary({ summaries, alreadyIngested: stored.alreadyIngested }) : formatSummary(summaries);
    if (o.json) {
      process.stdout.write(JSON.stringify({
        inputs: summaries,
        findings: result.findings,
        requirements: result.requirements,
        inferred_roles: result.inferred_roles,
        not_applicable: result.not_applicable,
        unresolved_host_candidates: result.unresolved_host_candidates,
      }) + '\n');
    } else {
      process.stdout.write(renderTerminal(result) + '\n');
      process.stdout.write('Inputs:\n' + inputText.split('\n').map((l) => `  ${l}`).join('\n') + '\n');
      if (stored) process.stdout.write(stored.line + '\n');
    }
    if (o.json) process.stderr.write(inputText + '\n' + (stored ? stored.line + '\n' : ''));
    if (inputErrors(summaries).length) { process.exitCode = EXIT.INPUT; return; }
    if (o.strict && malformedCount(summaries) > 0) {
      process.stderr.write(`--strict: ${malformedCount(summaries)} flow line(s) could not be read\n`);
      process.exitCode = EXIT.INPUT;
      return;
    }
    // With --db: what is failing now in the store, not only in this run's inputs.
    process.exitCode = stored ? exitFromStatus(stored.status, o.failOn) : failExitCode(result, o.failOn);
  });
}
