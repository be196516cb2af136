/**
 * Rows of the generated statements → the objects `analyze --json` prints ("findings", "requirements"):
 * used to compare engines with the TypeScript matcher, and by `fwaudit sql` users who post-process
 * results in Node. Arrays may arrive as JSON text (CSV exports of the Spark job).
 */
import type { Finding, MatrixRow } from '../model/finding.js';

type Row = Record<string, unknown>;

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  return typeof v === 'bigint' ? Number(v) : Number(v);
}
function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}
function arr(v: unknown): unknown[] | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return JSON.parse(v) as unknown[];
  if (Array.isArray(v)) return v;
  if (typeof v === 'object' && v !== null && 'items' in v) return (v as { items: unknown[] }).items;
  throw new TypeError(`not an array: ${String(v)}`);
}

export function findingFromRow(r: Row): Finding {
  const ports = arr(r['dst_ports']);
  const f: Finding = {
    product: String(r['product']),
    requirement: String(r['requirement']),
    confidence: String(r['confidence']) as Finding['confidence'],
    transport: String(r['transport']),
    src_ip: String(r['src_ip']),
    dst_ip: String(r['dst_ip']),
    dst_port: num(r['dst_port']),
    ...(ports !== null ? { dst_ports: ports.map((p) => Number(p)) } : {}),
    src_role: str(r['src_role']),
    dst_role: str(r['dst_role']),
    dst_host: str(r['dst_host']),
    count: num(r['count'])!,
    first_seen: str(r['first_seen']),
    last_seen: str(r['last_seen']),
    devices: (arr(r['devices']) ?? []).map(String),
    rules: (arr(r['rules']) ?? []).map(String),
    symptom: str(r['symptom']),
    purpose: String(r['purpose']),
    source: String(r['source']),
    evidence: (arr(r['evidence']) ?? []).map((e) => {
      const o = e as Record<string, unknown>;
      return { file: String(o['file']), line: Number(o['line']) };
    }),
    product_name: String(r['product_name']),
    necessity: String(r['necessity']),
    ports: String(r['ports']),
    open: String(r['open']),
  };
  if (f.confidence === 'conditional') {
    // The fields conditionalFields (src/matcher/matcher.ts) adds, in its order.
    const alts = arr(r['alternatives']);
    if (alts !== null) f.alternatives = alts as NonNullable<Finding['alternatives']>;
    f.condition = str(r['condition']);
    const name = str(r['parameter_name']);
    if (name !== null) {
      const v = str(r['parameter_value']);
      f.parameter = { name, value: v === null ? null : JSON.parse(v) as number | string | boolean | null, suggestion: String(r['parameter_suggestion']) };
    }
    const mismatch = str(r['mismatch']);
    if (mismatch !== null) f.mismatch = mismatch;
    f.note = String(r['note']);
  }
  return f;
}

export function matrixRowFromRow(r: Row): MatrixRow {
  return {
    product: String(r['product']),
    requirement: String(r['requirement']),
    necessity: String(r['necessity']),
    status: String(r['status']) as MatrixRow['status'],
    allows: num(r['allows'])!,
    denies: num(r['denies'])!,
    first_seen: str(r['first_seen']),
    last_seen: str(r['last_seen']),
    purpose: String(r['purpose']),
    source: String(r['source']),
  };
}

/** Key order of analyze --json, for a byte-for-byte comparison of JSON text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return x;
  });
}
