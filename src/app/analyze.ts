/**
 * Use case "analyze": read logs, match every flow against the rulesets (and the inventory, when given),
 * return the findings, the compliance matrix and the input summaries.
 *
 * Errors: ConfigError (rulesets, inventory, hosts), UsageError (reading options). Unreadable inputs are
 * reported in the summaries, never thrown; anything thrown by the matcher is a bug.
 */
import type { Ruleset } from '../model/ruleset.js';
import type { Inventory } from '../inventory/load.js';
import type { FindingsBy, MatchResult } from '../matcher/matcher.js';
import type { InputSummary, Progress, ReadOptions } from '../pipeline/run.js';
import { loadContext, type ContextOptions } from './context.js';

export interface AnalyzeOptions extends ContextOptions {
  inputs: string[];
  read: ReadOptions;
  onProgress?: (p: Progress) => void;
  /** One finding per requirement × destination (default) or per host pair. */
  by?: FindingsBy;
}

export interface AnalyzeResult {
  result: MatchResult;
  summaries: InputSummary[];
  rulesets: Ruleset[];
  inventory: Inventory | null;
}

export async function analyze(o: AnalyzeOptions): Promise<AnalyzeResult> {
  // Large inputs are read by worker threads that match their parts: they are started first, so that their start runs
  // beside the loading of the rulesets and inventory here (src/pipeline/pool.ts startWorkersEarly), not after it.
  const { startWorkersEarly } = await import('../pipeline/pool.js');
  const earlyWorkers = startWorkersEarly(o.inputs, o.read, 'match');
  try {
    const { rulesets, inventory } = await loadContext(o);
    const [{ Matcher }, { readFlows }] = await Promise.all([import('../matcher/matcher.js'), import('../pipeline/run.js')]);
    const matcher = new Matcher(rulesets, inventory, { by: o.by, tz: o.read.tz });
    // With the worker pool, each worker matches its part with the same rulesets and inventory (cloned, not loaded
    // again) and the parts are merged here (same result as one thread: src/matcher/partial.ts); no flow crosses threads.
    const match = { wire: { rulesets, inventory, ...(o.by ? { by: o.by } : {}), ...(o.read.tz ? { tz: o.read.tz } : {}) }, into: matcher };
    const read = { ...o.read, onProgress: o.onProgress, match, ...(earlyWorkers ? { earlyWorkers } : {}) };
    const summaries = await readFlows(o.inputs, read, (f) => matcher.observe(f));
    return { result: matcher.result(), summaries, rulesets, inventory };
  } finally {
    await earlyWorkers?.release();
  }
}

/** The JSON document of `analyze --json` (schemas/analyze.schema.json). */
export function analyzeJson(r: { result: MatchResult; summaries: InputSummary[] }): Record<string, unknown> {
  return {
    schema_version: 1,
    inputs: r.summaries,
    findings: r.result.findings,
    requirements: r.result.requirements,
    inferred_roles: r.result.inferred_roles,
    not_applicable: r.result.not_applicable,
    unresolved_host_candidates: r.result.unresolved_host_candidates,
  };
}
