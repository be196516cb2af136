/**
 * The scheduled run (`fwaudit run --config`): ingest the configured inputs as one run, write every configured
 * report from the store, and settle the exit status on what is failing NOW in the store (fail_on), not only on
 * what this run read. A run with nothing new says so and keeps that status.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { FwauditConfig } from '../config/config.js';
import { failExitCode, type FailOn } from './exit-policy.js';
import type { Finding } from '../model/finding.js';
import { EXIT } from '../model/errors.js';
import { malformedCount, type Progress } from '../pipeline/run.js';
import { Store } from '../store/store.js';
import { ingestInto, loadAnalysisConfig, type IngestResult } from './ingest.js';
import { reportFromStore } from './report.js';

export interface StoreStatus {
  /** Requirements failing now (current status violated or intermittent), "product/requirement". */
  failing: string[];
  violated: number;
  intermittent: number;
  /** Probable findings of the latest run that read something (fail_on probable). */
  probable: number;
  /** Conditional findings of that run (fail_on conditional). */
  conditional: number;
}

/** What is failing now in the store, from every complete run's flows (the `current_status` view). */
export async function storeStatus(store: Store): Promise<StoreStatus> {
  const rows = await store.all(`SELECT product, requirement, status FROM current_status WHERE status IN ('violated', 'intermittent') ORDER BY product, requirement`);
  const [p] = await store.all(
    `SELECT count(*) FILTER (WHERE confidence = 'probable') AS n, count(*) FILTER (WHERE confidence = 'conditional') AS c
       FROM findings WHERE run_id = (
       SELECT run_id FROM complete_runs WHERE inputs > 0 ORDER BY started_at DESC, run_id DESC LIMIT 1)`);
  return {
    failing: rows.map((r) => `${String(r.product)}/${String(r.requirement)}`),
    violated: rows.filter((r) => r.status === 'violated').length,
    intermittent: rows.filter((r) => r.status === 'intermittent').length,
    probable: Number(p?.n ?? 0),
    conditional: Number(p?.c ?? 0),
  };
}

/**
 * Exit status under fail_on from a store's current state: 1 when reached, else 0. The levels are those of the one
 * exit policy (src/app/exit-policy.ts), fed with the store's failing requirements and the latest run's findings.
 */
export function exitFromStatus(status: StoreStatus, failOn: FailOn): number {
  const findings: Array<{ confidence: Finding['confidence'] }> = [];
  if (status.probable > 0) findings.push({ confidence: 'probable' });
  if (status.conditional > 0) findings.push({ confidence: 'conditional' });
  const requirements = status.failing.map(() => ({ status: 'violated' as const }));
  return failExitCode({ findings, requirements }, failOn);
}

/** One line for the user: what is failing now in the store. */
export function statusLine(status: StoreStatus): string {
  if (status.failing.length === 0) return 'Store: no requirement failing now';
  return `Store: ${status.failing.length} requirement(s) failing now (${status.violated} violated, ${status.intermittent} intermittent): `
    + `${status.failing.slice(0, 10).join(', ')}${status.failing.length > 10 ? ` (+${status.failing.length - 10} more)` : ''}`;
}

/** Exit status under fail_on from the store's current state (for `run` and `analyze --db`). */
export async function storeStatusExit(store: Store, failOn: FailOn): Promise<{ code: number; status: StoreStatus }> {
  const status = await storeStatus(store);
  return { code: exitFromStatus(status, failOn), status };
}

export interface RunOutcome {
  code: number;
  written: string[];
  ingest: IngestResult;
  status: StoreStatus;
  /** Lines for the user (the CLI writes them to stderr; stdout stays empty). */
  lines: string[];
  /** Diagnostics (stderr). */
  warnings: string[];
}

function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

export async function runScheduled(cfg: FwauditConfig, o: {
  now?: Date; waitSeconds?: number; onProgress?: (p: Progress) => void; runLine: (r: IngestResult, db: string) => string; summary: (r: IngestResult) => string;
}): Promise<RunOutcome> {
  const { rulesets, inventory } = await loadAnalysisConfig({ ruleset: cfg.rulesets, inventory: cfg.inventory, hosts: cfg.hosts });
  if (cfg.store !== ':memory:') mkdirSync(dirname(cfg.store), { recursive: true });
  const store = await Store.open(cfg.store, { waitSeconds: o.waitSeconds });
  const written: string[] = [];
  const lines: string[] = [];
  const warnings: string[] = [];
  try {
    const r = await ingestInto(store, cfg.inputs, {
      rulesets, inventory, keep: cfg.keep, onProgress: o.onProgress,
      read: { format: cfg.format, tz: cfg.tz, year: cfg.year, actionMap: cfg.actionMap, strict: cfg.strict, ...(cfg.timeWindow ? {} : { timeWindow: false }) },
    });
    const text = o.summary(r);
    if (text) lines.push(text);
    lines.push(o.runLine(r, shortPath(cfg.store)));

    const now = o.now ?? new Date();
    for (const rep of cfg.reports) {
      const { text: body, model } = await reportFromStore(store, { format: rep.format, since: rep.since, until: rep.until, top: rep.top, now });
      mkdirSync(dirname(rep.out), { recursive: true });
      writeFileSync(rep.out, body);
      written.push(rep.out);
      const s = model.summary;
      lines.push(`Report ${rep.format} → ${shortPath(rep.out)} (${s.violated} violated, ${s.intermittent} intermittent, ${s.new} new, ${s.resolved} resolved)`);
    }

    const { code, status } = await storeStatusExit(store, cfg.failOn);
    const inputFailed = r.summaries.some((x) => x.error !== null);
    if (inputFailed) return { code: EXIT.INPUT, written, ingest: r, status, lines, warnings };
    if (cfg.strict && malformedCount(r.summaries) > 0) {
      warnings.push(`strict: ${malformedCount(r.summaries)} flow line(s) could not be read`);
      return { code: EXIT.INPUT, written, ingest: r, status, lines, warnings };
    }
    if (code !== EXIT.OK) {
      lines.push(`fail_on ${cfg.failOn}: reached; failing now in the store: ${status.failing.slice(0, 10).join(', ')}${status.failing.length > 10 ? ` (+${status.failing.length - 10} more)` : ''}`);
    }
    return { code, written, ingest: r, status, lines, warnings };
  } finally {
    await store.close();
  }
}
