/**
 * Use case "diagnose": explain a symptom a product reports (the RPC "server is unavailable" error, or a
 * symptom a ruleset documents) from log inputs or a store. Thin glue over src/diagnose: loads the
 * context, builds the time window, feeds the flows, returns the verdict with the input summaries.
 *
 * Errors: UsageError for bad arguments, ConfigError for bad rulesets/inventory, StoreError for a store
 * that cannot be read. Unreadable inputs are reported in the summaries.
 */
import { canonicalIp } from '../model/ip.js';
import { UsageError } from '../model/errors.js';
import type { Ruleset } from '../model/ruleset.js';
import { defaultTimeZone } from '../model/time.js';
import type { Flow } from '../model/flow.js';
import type { InputSummary, Progress, ReadOptions } from '../pipeline/run.js';
import type { Inventory } from '../inventory/load.js';
import { makeWindow, parseEndpoint, parseParams, type TimeWindow } from '../diagnose/common.js';
import type { RpcResult } from '../diagnose/rpc.js';
import type { SymptomResult, listSymptoms } from '../diagnose/symptom.js';
import { loadContext, type ContextOptions } from './context.js';

export interface DiagnoseCommon extends ContextOptions {
  /** Log inputs (or `db`). */
  inputs: string[];
  db?: string;
  read: ReadOptions;
  params: string[];
  at?: string;
  window?: string;
  onProgress?: (p: Progress) => void;
}

export interface RpcOptions extends DiagnoseCommon { from: string; to: string; legacyTarget?: boolean }
export interface SymptomOptions extends DiagnoseCommon { product?: string; symptom: string; host?: string }

export interface DiagnoseOutcome<R> {
  result: R;
  window: TimeWindow | null;
  /** Per-input summaries (empty with --db). */
  summaries: InputSummary[];
}

interface Setup { rulesets: Ruleset[]; inventory: Inventory | null; window: TimeWindow | null; params: Record<string, number | string | boolean> }

async function setup(o: DiagnoseCommon): Promise<Setup> {
  if (o.inputs.length === 0 && !o.db) throw new UsageError('give the log files to read (or --db FILE)');
  if (o.inputs.length > 0 && o.db) throw new UsageError('give either log files or --db FILE, not both');
  const window = makeWindow(o.at, o.window, o.read.tz ?? defaultTimeZone());
  const params = parseParams(o.params);
  const { rulesets, inventory } = await loadContext({ ...o, hostsWithoutInventory: true });
  return { rulesets, inventory, window, params };
}

function checkParams(params: Record<string, unknown>, rulesets: Ruleset[]): void {
  const known = new Set(rulesets.flatMap((r) => r.parameters.map((p) => p.id)));
  for (const k of Object.keys(params)) {
    if (!known.has(k)) throw new UsageError(`--param ${k}: no such parameter in ${rulesets.map((r) => r.id).join(', ')} (known: ${[...known].sort().join(', ')})`);
  }
}

async function readAll(o: DiagnoseCommon, filter: import('../diagnose/source.js').StoreFilter, onFlow: (f: Flow) => void): Promise<InputSummary[]> {
  const { readInputs, readStore } = await import('../diagnose/source.js');
  if (o.db) return (await readStore(o.db, filter, onFlow)).summaries;
  return (await readInputs(o.inputs, { ...o.read, onProgress: o.onProgress }, onFlow)).summaries;
}

export async function diagnoseRpc(o: RpcOptions): Promise<DiagnoseOutcome<RpcResult>> {
  const { rulesets, inventory, window, params } = await setup(o);
  checkParams(params, rulesets);
  const from = parseEndpoint(o.from, '--from', inventory);
  const to = parseEndpoint(o.to, '--to', inventory);
  const { RpcDiagnosis } = await import('../diagnose/rpc.js');
  const d = new RpcDiagnosis({ from, to, window, legacy: !!o.legacyTarget, rulesets, inventory, params });
  const pair: [string, string] | undefined = from.single && to.single ? [from.single, to.single] : undefined;
  const summaries = await readAll(o, { window, pair }, (f) => d.observe(f));
  return { result: d.result(), window, summaries };
}

export async function diagnoseSymptom(o: SymptomOptions): Promise<DiagnoseOutcome<SymptomResult>> {
  let host: string | null = null;
  if (o.host !== undefined) {
    host = canonicalIp(o.host.trim());
    if (host === null) throw new UsageError(`--host expects an IP address, got "${o.host}"`);
  }
  const { rulesets, inventory, window, params } = await setup(o);
  const { findSymptom, SymptomDiagnosis } = await import('../diagnose/symptom.js');
  const { rs, symptom } = findSymptom(rulesets, o.product, o.symptom);
  checkParams(params, [rs]);
  const d = new SymptomDiagnosis({ rs, symptom, host, window, inventory, params });
  const summaries = await readAll(o, { window, host: host ?? undefined }, (f) => d.observe(f));
  return { result: d.result(), window, summaries };
}

export type SymptomList = ReturnType<typeof listSymptoms>;

export async function listAllSymptoms(o: ContextOptions): Promise<SymptomList> {
  const { resolveRulesets } = await import('../rulesets/load.js');
  const { listSymptoms } = await import('../diagnose/symptom.js');
  return listSymptoms(resolveRulesets(o.ruleset ?? []));
}
