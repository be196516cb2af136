/**
 * CLI pieces shared by the store commands (ingest, analyze --db, run, report, query): the ingest summary
 * and run line, store/config error lines, and the --keep / --wait options. Shared here so that no command
 * imports another command.
 */
import { Option } from 'commander';
import { ConfigError, StoreError } from '../model/errors.js';
import { sanitizeText } from '../model/sanitize.js';
import type { IngestResult } from '../app/ingest.js';
import { UsageError } from './options.js';
import { formatSummary } from './summary.js';

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

/** `ingest --json`: one object for tools (stdout); schema_version bumps when a field is removed or redefined. */
export function ingestJson(r: IngestResult, status: { failing: string[]; violated: number; intermittent: number }): Record<string, unknown> {
  const c = { confirmed: 0, probable: 0, conditional: 0, 'port-only': 0 } as Record<string, number>;
  for (const f of r.result.findings) c[f.confidence] = (c[f.confidence] ?? 0) + 1;
  // One entry per input file: what was decided, and what was read (archive members get their own entry).
  const byFile = new Map<string, Record<string, unknown>>();
  const add = (file: string, x: Record<string, unknown>): void => { byFile.set(file, { ...byFile.get(file), file, ...x }); };
  for (const o of r.outcomes) add(o.file, { decision: o.decision });
  for (const f of r.alreadyIngested) if (!byFile.has(f)) add(f, { decision: 'skip' });
  for (const s of r.summaries) add(s.file, { format: s.format, lines: s.lines, flows: s.flows, error: s.error });
  return {
    schema_version: 1,
    run_id: r.runId,
    inputs: [...byFile.values()],
    counts: { lines: r.lines, flows: r.flows, stored: r.stored, findings: c },
    failing_now: { requirements: status.failing, violated: status.violated, intermittent: status.intermittent },
  };
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
