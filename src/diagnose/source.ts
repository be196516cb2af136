/**
 * Where `diagnose` gets its flows: log inputs through the reading pipeline, or a DuckDB store
 * (`--db FILE`, written by `fwaudit analyze --db` / `fwaudit ingest`) queried with bound parameters.
 */
import type { Action, Direction, Flow } from '../model/flow.js';
import { isoUtc } from '../model/time.js';
import { readFlows, type InputSummary, type ReadOptions } from '../pipeline/run.js';
import { openExistingStore } from '../store/store.js';
import type { TimeWindow } from './common.js';

export interface SourceResult {
  /** Per-input summaries (empty for --db). */
  summaries: InputSummary[];
  /** Human description of what was read. */
  described: string;
}

/** Pre-filter pushed down to the store (the caller still filters every flow itself). */
export interface StoreFilter {
  window: TimeWindow | null;
  /** Flows between these two addresses (either direction). */
  pair?: [string, string];
  /** Flows with this address at either end. */
  host?: string;
}

export async function readInputs(inputs: string[], ro: ReadOptions, onFlow: (f: Flow) => void): Promise<SourceResult> {
  const summaries = await readFlows(inputs, ro, onFlow);
  const flows = summaries.reduce((n, s) => n + s.flows, 0);
  return { summaries, described: `${summaries.length} input(s), ${flows} flow(s)` };
}

const COLS = 'ts, action, raw_action, transport, src_ip, src_port, dst_ip, dst_port, direction, device, rule, app, bytes, packets, end_reason, host, url, format, file, line';

function sqlTime(ms: number): string {
  return isoUtc(ms)!.replace('T', ' ').replace('Z', '');
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : null);

/** Reads flows from a store; the WHERE clause binds every value. */
export async function readStore(path: string, filter: StoreFilter, onFlow: (f: Flow) => void): Promise<SourceResult> {
  const store = await openExistingStore(path, { readOnly: true });
  try {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown): string => { params.push(v); return `$${params.length}`; };
    if (filter.window) where.push(`ts BETWEEN CAST(${p(sqlTime(filter.window.from))} AS TIMESTAMP) AND CAST(${p(sqlTime(filter.window.to))} AS TIMESTAMP)`);
    if (filter.pair) {
      const a = p(filter.pair[0]), b = p(filter.pair[1]);
      where.push(`((src_ip = ${a} AND dst_ip = ${b}) OR (src_ip = ${b} AND dst_ip = ${a}))`);
    }
    if (filter.host) { const h = p(filter.host); where.push(`(src_ip = ${h} OR dst_ip = ${h})`); }
    const sql = `SELECT ${COLS} FROM flows${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts NULLS LAST, file, line`;
    const rows = params.length ? await store.all(sql, params) : await store.all(sql);
    for (const r of rows) {
      const ts = r['ts'] === null || r['ts'] === undefined ? null : Date.parse(String(r['ts']).replace(' ', 'T') + (/Z|[+-]\d\d:?\d\d$/.test(String(r['ts'])) ? '' : 'Z'));
      onFlow({
        ts: ts !== null && Number.isFinite(ts) ? ts : null,
        action: (r['action'] === 'allow' || r['action'] === 'deny' ? r['action'] : 'unknown') as Action,
        raw_action: str(r['raw_action']), transport: str(r['transport']),
        src_ip: str(r['src_ip']), src_port: num(r['src_port']), dst_ip: str(r['dst_ip']), dst_port: num(r['dst_port']),
        direction: (r['direction'] ?? null) as Direction, device: str(r['device']), rule: str(r['rule']), app: str(r['app']),
        bytes: num(r['bytes']), packets: num(r['packets']), end_reason: str(r['end_reason']), host: str(r['host']), url: str(r['url']),
        format: str(r['format']) ?? 'store', file: str(r['file']) ?? path, line: num(r['line']) ?? 0,
      });
    }
    return { summaries: [], described: `store ${path}, ${rows.length} flow(s) selected` };
  } finally {
    await store.close();
  }
}
