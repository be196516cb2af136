/**
 * Report data assembled from the store. Every renderer (HTML, Markdown, CSV, JSON, JUnit) reads only this.
 *
 * Semantics:
 * - The period (`since`/`until`) selects runs by start time and flows by their timestamp.
 * - Requirement status comes from the LATEST finished run in the period (its matrix rows);
 *   first/last seen span every run in the period; hosts, devices and rules come from the latest run's findings.
 * - NEW / RESOLVED compare the latest run's violation keys (product, requirement, src, dst) with those of the run
 *   just before it (which may start before `since`). A key counts as a violation when its requirement is
 *   `violated` in that run's matrix, or the run has no matrix row for it.
 * - Top blocked flows and denies-over-time read the flows table (denied flows in the period).
 */
import type { MatrixRow, RequirementStatus } from '../model/finding.js';
import { compareStatus } from '../model/status.js';
import type { Row, Store } from '../store/store.js';

export interface RunInfo {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  fwaudit_version: string | null;
  ruleset_versions: Record<string, string>;
  inputs: number;
  lines: number;
  flows: number;
  findings: number;
}

/** A matrix row of the latest run, with what the findings add. */
export interface RequirementReport extends MatrixRow {
  product_name: string | null;
  /** Findings (src → dst groups) in the latest run. */
  findings: number;
  src_hosts: string[];
  dst_hosts: string[];
  devices: string[];
  rules: string[];
  /** Suggested openings from the findings, where the matcher gave them. */
  openings: string[];
  symptom: string | null;
  evidence: Array<{ file: string; line: number }>;
}

export interface ViolationKey {
  product: string;
  requirement: string;
  src_ip: string;
  dst_ip: string;
  transport: string;
  dst_port: number | null;
  count: number;
  first_seen: string | null;
  last_seen: string | null;
}

export interface BlockedFlow {
  src_ip: string | null;
  dst_ip: string | null;
  transport: string | null;
  dst_port: number | null;
  count: number;
  first_seen: string | null;
  last_seen: string | null;
  rules: string[];
  devices: string[];
}

export interface DenySeries {
  product: string;
  requirement: string;
  counts: number[];
  total: number;
}

export interface CoverageRow {
  input_id: string;
  path: string | null;
  format: string | null;
  dialect: string | null;
  lines: number;
  flows: number;
  skipped: number;
  skipped_detail: Array<{ reason: string; kind: string; count: number }>;
  error: string | null;
  run_id: string | null;
}

export interface ReportModel {
  generated_at: string;
  store: string;
  period: { since: string | null; until: string | null };
  latest_run: RunInfo | null;
  previous_run: RunInfo | null;
  runs: RunInfo[];
  summary: {
    requirements: number; violated: number; intermittent: number; ok: number; unobserved: number;
    new_violations: number; resolved_violations: number; denied_flows: number;
  };
  requirements: RequirementReport[];
  new_violations: ViolationKey[];
  resolved_violations: ViolationKey[];
  top_blocked: BlockedFlow[];
  denies_over_time: { bucket: 'day' | 'hour'; buckets: string[]; series: DenySeries[] };
  coverage: CoverageRow[];
}

export interface ReportOptions {
  since?: Date | null;
  until?: Date | null;
  /** How many blocked flow groups to list (default 20). */
  top?: number;
  /** Clock for `generated_at` (tests). */
  now?: Date;
}

const ISO = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

function num(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}
function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}
function parseJson<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string') return fallback;
  try { return JSON.parse(v) as T; } catch { return fallback; }
}
function uniqSorted(xs: Iterable<string | null | undefined>): string[] {
  return [...new Set([...xs].filter((x): x is string => typeof x === 'string' && x !== ''))].sort();
}

function toRun(r: Row): RunInfo {
  return {
    run_id: String(r.run_id), started_at: String(r.started_at), finished_at: strOrNull(r.finished_at),
    fwaudit_version: strOrNull(r.fwaudit_version), ruleset_versions: parseJson(r.ruleset_versions, {}),
    inputs: num(r.inputs), lines: num(r.lines), flows: num(r.flows), findings: num(r.findings),
  };
}

const RUN_COLS = `run_id, ${ISO('started_at')} AS started_at, ${ISO('finished_at')} AS finished_at, fwaudit_version,
  ruleset_versions, inputs, lines, flows, findings`;

function key(r: Row): string {
  return `${String(r.product)}\u0000${String(r.requirement)}`;
}

async function violationKeys(store: Store, runId: string): Promise<Map<string, ViolationKey>> {
  const rows = await store.all(
    `SELECT f.product, f.requirement, f.src_ip, f.dst_ip, f.transport, min(f.dst_port) AS dst_port, sum(f.count) AS count,
            ${ISO('min(f.first_seen)')} AS first_seen, ${ISO('max(f.last_seen)')} AS last_seen
       FROM findings f
       LEFT JOIN matrix m ON m.run_id = f.run_id AND m.product = f.product AND m.requirement = f.requirement
      WHERE f.run_id = $1 AND (m.status IS NULL OR m.status = 'violated')
      GROUP BY f.product, f.requirement, f.src_ip, f.dst_ip, f.transport
      ORDER BY f.product, f.requirement, f.src_ip, f.dst_ip`, [runId]);
  const out = new Map<string, ViolationKey>();
  for (const r of rows) {
    const v: ViolationKey = {
      product: String(r.product), requirement: String(r.requirement), src_ip: String(r.src_ip), dst_ip: String(r.dst_ip),
      transport: String(r.transport), dst_port: r.dst_port === null ? null : num(r.dst_port), count: num(r.count),
      first_seen: strOrNull(r.first_seen), last_seen: strOrNull(r.last_seen),
    };
    out.set([v.product, v.requirement, v.src_ip, v.dst_ip].join('\u0000'), v);
  }
  return out;
}

export async function buildReportModel(store: Store, opts: ReportOptions = {}): Promise<ReportModel> {
  const since = opts.since ?? null;
  const until = opts.until ?? null;
  const top = opts.top ?? 20;
  const period = (col: string, first: number): { sql: string; params: string[] } => {
    const parts: string[] = [];
    const params: string[] = [];
    if (since) { parts.push(`${col} >= CAST($${first + params.length} AS TIMESTAMP)`); params.push(since.toISOString().replace('Z', '')); }
    if (until) { parts.push(`${col} <= CAST($${first + params.length} AS TIMESTAMP)`); params.push(until.toISOString().replace('Z', '')); }
    return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
  };

  const rp = period('started_at', 1);
  const runs = (await store.all(
    `SELECT ${RUN_COLS} FROM runs WHERE finished_at IS NOT NULL AND ${rp.sql} ORDER BY started_at DESC, run_id DESC`, rp.params)).map(toRun);
  // A scheduled run that found no new input observed nothing: it must not turn earlier violations
  // into "resolved". Status comes from the latest run that read something.
  const latest = runs.find((r) => r.inputs > 0) ?? runs[0] ?? null;
  let previous: RunInfo | null = null;
  if (latest) {
    const prev = await store.all(
      `SELECT ${RUN_COLS} FROM runs
        WHERE finished_at IS NOT NULL AND run_id <> $1 AND coalesce(inputs, 1) > 0
          AND (started_at < CAST($2 AS TIMESTAMP) OR (started_at = CAST($2 AS TIMESTAMP) AND run_id < $1))
        ORDER BY started_at DESC, run_id DESC LIMIT 1`, [latest.run_id, latest.started_at.replace('Z', '')]);
    previous = prev[0] ? toRun(prev[0]) : null;
  }

  // Requirements: the latest run's matrix, plus requirements that only appear in its findings.
  const requirements: RequirementReport[] = [];
  if (latest) {
    const matrix = await store.all(
      `SELECT product, requirement, necessity, status, allows, denies, ${ISO('first_seen')} AS first_seen,
              ${ISO('last_seen')} AS last_seen, purpose, source FROM matrix WHERE run_id = $1`, [latest.run_id]);
    const rpm = period('r.started_at', 1);
    const history = await store.all(
      `SELECT m.product, m.requirement, ${ISO('min(m.first_seen)')} AS first_seen, ${ISO('max(m.last_seen)')} AS last_seen
         FROM matrix m JOIN runs r USING (run_id)
        WHERE r.finished_at IS NOT NULL AND ${rpm.sql}
        GROUP BY m.product, m.requirement`, rpm.params);
    const hist = new Map(history.map((h) => [key(h), h]));
    const findings = await store.all(
      `SELECT product, product_name, requirement, necessity, src_ip, dst_ip, count, ${ISO('first_seen')} AS first_seen,
              ${ISO('last_seen')} AS last_seen, devices, rules, symptom, purpose, source, evidence, opening
         FROM findings WHERE run_id = $1 ORDER BY product, requirement, count DESC, src_ip, dst_ip`, [latest.run_id]);
    const byReq = new Map<string, Row[]>();
    for (const f of findings) {
      const k = key(f);
      const list = byReq.get(k) ?? [];
      list.push(f);
      byReq.set(k, list);
    }
    const seen = new Set<string>();
    const add = (base: Row, status: RequirementStatus, allows: number, denies: number) => {
      const k = key(base);
      seen.add(k);
      const fs = byReq.get(k) ?? [];
      const h = hist.get(k);
      const evidence: Array<{ file: string; line: number }> = [];
      for (const f of fs) for (const e of parseJson<Array<{ file: string; line: number }>>(f.evidence, [])) if (evidence.length < 5) evidence.push(e);
      requirements.push({
        product: String(base.product), product_name: strOrNull(fs[0]?.product_name), requirement: String(base.requirement),
        necessity: String(base.necessity ?? fs[0]?.necessity ?? ''), status, allows, denies,
        first_seen: strOrNull(h?.first_seen ?? base.first_seen), last_seen: strOrNull(h?.last_seen ?? base.last_seen),
        purpose: String(base.purpose ?? ''), source: String(base.source ?? ''), findings: fs.length,
        src_hosts: uniqSorted(fs.map((f) => f.src_ip as string)), dst_hosts: uniqSorted(fs.map((f) => f.dst_ip as string)),
        devices: uniqSorted(fs.flatMap((f) => (f.devices as string[] | null) ?? [])),
        rules: uniqSorted(fs.flatMap((f) => (f.rules as string[] | null) ?? [])),
        openings: uniqSorted(fs.map((f) => f.opening as string | null)),
        symptom: strOrNull(fs.find((f) => f.symptom)?.symptom), evidence,
      });
    };
    for (const m of matrix) add(m, m.status as RequirementStatus, num(m.allows), num(m.denies));
    for (const [k, fs] of byReq) {
      if (seen.has(k)) continue;
      const f = fs[0]!;
      const denies = fs.reduce((a, x) => a + num(x.count), 0);
      add({ ...f, first_seen: null, last_seen: null }, 'violated', 0, denies);
    }
    requirements.sort((a, b) => compareStatus(a.status, b.status) || b.denies - a.denies
      || a.product.localeCompare(b.product) || a.requirement.localeCompare(b.requirement));
  }

  let newViolations: ViolationKey[] = [];
  let resolved: ViolationKey[] = [];
  if (latest) {
    const now = await violationKeys(store, latest.run_id);
    const before = previous ? await violationKeys(store, previous.run_id) : new Map<string, ViolationKey>();
    newViolations = [...now].filter(([k]) => !before.has(k)).map(([, v]) => v);
    resolved = previous ? [...before].filter(([k]) => !now.has(k)).map(([, v]) => v) : [];
  }

  // Top blocked flows: count first, then gather rules and devices for the top groups only (lists
  // over every group of a large store would not fit a bounded memory budget).
  const fp = period('ts', 1);
  const jp2 = period('fl.ts', 1 + fp.params.length);
  const topRows = await store.all(
    `WITH t AS (
       SELECT src_ip, dst_ip, transport, dst_port, count(*) AS count, min(ts) AS lo, max(ts) AS hi
         FROM flows WHERE action = 'deny' AND ${fp.sql}
        GROUP BY src_ip, dst_ip, transport, dst_port
        ORDER BY count DESC, src_ip, dst_ip, transport, dst_port LIMIT ${Math.max(1, Math.trunc(top))})
     SELECT t.src_ip, t.dst_ip, t.transport, t.dst_port, t.count, ${ISO('t.lo')} AS first_seen, ${ISO('t.hi')} AS last_seen,
            list(DISTINCT fl.rule ORDER BY fl.rule) FILTER (WHERE fl.rule IS NOT NULL) AS rules,
            list(DISTINCT fl.device ORDER BY fl.device) FILTER (WHERE fl.device IS NOT NULL) AS devices
       FROM t JOIN flows fl
         ON fl.src_ip IS NOT DISTINCT FROM t.src_ip AND fl.dst_ip IS NOT DISTINCT FROM t.dst_ip
        AND fl.transport IS NOT DISTINCT FROM t.transport AND fl.dst_port IS NOT DISTINCT FROM t.dst_port
        AND fl.action = 'deny' AND ${jp2.sql}
      GROUP BY t.src_ip, t.dst_ip, t.transport, t.dst_port, t.count, t.lo, t.hi
      ORDER BY t.count DESC, t.src_ip, t.dst_ip, t.transport, t.dst_port`, [...fp.params, ...jp2.params]);
  const topBlocked: BlockedFlow[] = topRows.map((r) => ({
    src_ip: strOrNull(r.src_ip), dst_ip: strOrNull(r.dst_ip), transport: strOrNull(r.transport),
    dst_port: r.dst_port === null ? null : num(r.dst_port), count: num(r.count), first_seen: strOrNull(r.first_seen),
    last_seen: strOrNull(r.last_seen), rules: (r.rules as string[] | null) ?? [], devices: (r.devices as string[] | null) ?? [],
  }));
  const [denied] = await store.all(`SELECT count(*) AS n FROM flows WHERE action = 'deny' AND ${fp.sql}`, fp.params);

  // Denies over time per violated requirement: denied flows joined to the latest run's findings on the flow key.
  let overTime: ReportModel['denies_over_time'] = { bucket: 'day', buckets: [], series: [] };
  if (latest) {
    const jp = period('fl.ts', 2);
    // Flows carry the requirements they matched (`matched`, "product/requirement;…"), so a finding
    // over a whole port range (dynamic RPC) counts every port it covers; flows stored without that
    // column filled fall back to the finding's port.
    const joined = `FROM flows fl JOIN (
          SELECT DISTINCT f.product, f.requirement, f.transport, f.src_ip, f.dst_ip, f.dst_port
            FROM findings f JOIN matrix m ON m.run_id = f.run_id AND m.product = f.product AND m.requirement = f.requirement
           WHERE f.run_id = $1 AND m.status IN ('violated', 'intermittent')) v
        ON fl.transport = v.transport AND fl.src_ip = v.src_ip AND fl.dst_ip = v.dst_ip
       AND (list_contains(string_split(coalesce(fl.matched, ''), ';'), v.product || '/' || v.requirement)
            OR (fl.matched IS NULL AND fl.dst_port IS NOT DISTINCT FROM v.dst_port))
       WHERE fl.action = 'deny' AND fl.ts IS NOT NULL AND ${jp.sql}`;
    const [span] = await store.all(`SELECT epoch_ms(min(fl.ts)) AS lo, epoch_ms(max(fl.ts)) AS hi ${joined}`, [latest.run_id, ...jp.params]);
    if (span && span.lo !== null) {
      const bucket: 'day' | 'hour' = num(span.hi) - num(span.lo) <= 2 * 86_400_000 ? 'hour' : 'day';
      const rows = await store.all(
        `SELECT v.product, v.requirement, ${ISO(`date_trunc('${bucket}', fl.ts)`)} AS b, count(*) AS n ${joined}
          GROUP BY ALL ORDER BY b`, [latest.run_id, ...jp.params]);
      const step = bucket === 'day' ? 86_400_000 : 3_600_000;
      const lo = Math.floor(num(span.lo) / step) * step;
      const hi = Math.floor(num(span.hi) / step) * step;
      const buckets: string[] = [];
      for (let t = lo; t <= hi && buckets.length < 2000; t += step) buckets.push(new Date(t).toISOString());
      const index = new Map(buckets.map((b, i) => [b, i]));
      const series = new Map<string, DenySeries>();
      for (const r of rows) {
        const k = key(r);
        let s = series.get(k);
        if (!s) { s = { product: String(r.product), requirement: String(r.requirement), counts: buckets.map(() => 0), total: 0 }; series.set(k, s); }
        const i = index.get(String(r.b));
        if (i !== undefined) { s.counts[i]! += num(r.n); s.total += num(r.n); }
      }
      overTime = { bucket, buckets, series: [...series.values()].sort((a, b) => b.total - a.total) };
    }
  }

  const cp = period('r.started_at', 1);
  const coverageRows = await store.all(
    `SELECT i.input_id, i.path, i.format, i.dialect, i.lines, i.flows, i.skipped, i.error, i.first_run_id
       FROM inputs i JOIN runs r ON r.run_id = i.first_run_id
      WHERE ${cp.sql} ORDER BY r.started_at, i.path`, cp.params);
  const coverage: CoverageRow[] = coverageRows.map((r) => {
    const detail = parseJson<Array<{ reason: string; kind: string; count: number }>>(r.skipped, [])
      .map((s) => ({ reason: String(s.reason), kind: String(s.kind), count: num(s.count) }));
    return {
      input_id: String(r.input_id), path: strOrNull(r.path), format: strOrNull(r.format), dialect: strOrNull(r.dialect),
      lines: num(r.lines), flows: num(r.flows), skipped: detail.reduce((a, s) => a + s.count, 0), skipped_detail: detail,
      error: strOrNull(r.error), run_id: strOrNull(r.first_run_id),
    };
  });

  const count = (s: RequirementStatus) => requirements.filter((r) => r.status === s).length;
  return {
    generated_at: (opts.now ?? new Date()).toISOString(),
    store: store.path,
    period: { since: since ? since.toISOString() : null, until: until ? until.toISOString() : null },
    latest_run: latest,
    previous_run: previous,
    runs,
    summary: {
      requirements: requirements.length, violated: count('violated'), intermittent: count('intermittent'), ok: count('ok'),
      unobserved: count('unobserved'), new_violations: newViolations.length, resolved_violations: resolved.length,
      denied_flows: num(denied?.n),
    },
    requirements,
    new_violations: newViolations,
    resolved_violations: resolved,
    top_blocked: topBlocked,
    denies_over_time: overTime,
    coverage,
  };
}

/** `7d`, `24h`, `90m`, `2w` (relative to now) or an ISO date/time (`2026-03-01`, `2026-03-01T08:00:00Z`). */
export function parseWhen(text: string, now: Date = new Date()): Date {
  const rel = /^(\d+)\s*([mhdw])$/i.exec(text.trim());
  if (rel) {
    const n = Number(rel[1]);
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[rel[2]!.toLowerCase() as 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - n * unit);
  }
  const t = text.trim();
  // A bare date or a time without zone is read as UTC (the store keeps UTC).
  const withZone = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(withZone);
  if (!Number.isFinite(ms)) throw new Error(`not a date or duration: ${JSON.stringify(text)} (use e.g. 7d, 24h, 2026-03-01)`);
  return new Date(ms);
}
