/** Flow → plain JSON-ready object with the fixed column names (ts as ISO-8601 UTC). */
import { FLOW_COLUMNS, type Flow } from '../model/flow.js';
import { isoUtc } from '../model/time.js';

export type FlowRow = Omit<Flow, 'ts'> & { ts: string | null };

export function flowToRow(f: Flow): FlowRow {
  return { ...f, ts: isoUtc(f.ts) };
}

/** One JSON Lines record, keys in the documented column order. */
export function flowToJsonLine(f: Flow): string {
  const o: Record<string, unknown> = {};
  for (const c of FLOW_COLUMNS) o[c] = c === 'ts' ? isoUtc(f.ts) : f[c];
  return JSON.stringify(o);
}
