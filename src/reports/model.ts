/**
 * The report model, computed from the stored flows (never from the latest run alone). Every renderer (HTML,
 * Markdown, CSV, JSON, JUnit) reads only this.
 *
 * Semantics (README "Reports"):
 * - Only complete runs count. The period (`since`/`until`) selects flows by their log time, everywhere.
 * - Per requirement and per bucket of log time (`day` or `hour`, in `displayTz`, UTC by default): the denied and
 *   allowed flows that matched it, and the bucket's status (denies only: violated; both: intermittent; allows only: ok).
 * - The current status of a requirement is the status of its most recent bucket with evidence. It is `ok` only when
 *   that bucket saw allowed traffic and no deny; absence of data never makes it ok. `last_evidence` is its last
 *   flow, `silent_devices` the devices that carried its evidence and have sent no log in the latest bucket any device
 *   covered. A requirement deployed (in a run's matrix) without any evidence in the period is `unobserved`.
 * - Outages: contiguous stretches of failing buckets (buckets without evidence do not end a stretch; an ok bucket
 *   does); `from`/`to` are the first and last deny of the stretch.
 * - Changes, relative to the previous run: the status from every complete run's flows is compared with the status
 *   from the flows of the runs before the latest run that read something. `new`: failing now, not failing before;
 *   `resolved`: failing before, ok now (allowed traffic since the last deny). Host detail is capped at `top`.
 * - Every list is capped with the count of the rest, so the size of a report does not grow with the store.
 */
import { parseUserTime } from '../model/time.js';
import type { RequirementStatus } from '../model/finding.js';
import { compareStatus, isFailing } from '../model/status.js';
import { UsageError } from '../model/errors.js';
import { assertTimeZone } from '../model/time.js';
import type { Row, Store } from '../store/store.js';
import { ACTION_CODES, ACTION_TEXT } from '../store/codes.js';

const DENY = ACTION_CODES.deny;
const ALLOW = ACTION_CODES.allow;

export const REPORT_SCHEMA_VERSION = 2;

export type Bucket = 'day' | 'hour';

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

/** A capped list: the first items and how many more there are. */
export interface Capped<T> { items: T[]; more: number }

export interface TimelinePoint {
  /** Bucket start: `YYYY-MM-DD` for days, `YYYY-MM-DDTHH:00` (+ `Z` in UTC) for hours, in the display zone. */
  date: string;
  denies: number;
  allows: number;
  status: RequirementStatus;
}

export interface Outage {
  from: string;
  to: string;
  denies: number;
  /** The requirement is still failing (this is its current stretch). */
  ongoing: boolean;
}

export interface RequirementReport {
  product: string;
  product_name: string | null;
  requirement: string;
  necessity: string;
  purpose: string;
  source: string;
  status: RequirementStatus;
  /** Bucket of the current status (the most recent with evidence). */
  status_date: string | null;
  last_evidence: string | null;
  last_deny: string | null;
  last_allow: string | null;
  first_seen: string | null;
  /** Totals in the period. */
  denies: number;
  allows: number;
  timeline: TimelinePoint[];
  outages: Outage[];
  /** Devices that logged its flows (most flows first). */
  devices: Capped<string>;
  silent_devices: string[];
  /** Rules that denied it (most denies first). */
  rules: Capped<string>;
  src_hosts: Capped<string>;
  dst_hosts: Capped<string>;
  /** Suggested openings from the latest findings. */
  openings: string[];
  /** New or resolved relative to the previous run. */
  change: 'new' | 'resolved' | null;
}

export interface HostGroup { src_ip: string | null; dst_ip: string | null; transport: string | null; dst_port: number | null; count: number; last_seen: string | null }

export interface Change {
  product: string;
  requirement: string;
  status: RequirementStatus;
  previous_status: RequirementStatus;
  /** new: first deny of the current failing stretch; resolved: first allow after the last deny. */
  since: string | null;
  hosts: Capped<HostGroup>;
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

export interface DeviceCoverage {
  device: string;
  first: string | null;
  last: string | null;
  flows: number;
  /** Buckets (as in `buckets`) in which the device logged flows. */
  dates: string[];
  silent: boolean;
}

export interface InputCoverage {
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
  schema_version: number;
  generated_at: string;
  store: string;
  period: { since: string | null; until: string | null };
  bucket: Bucket;
  display_tz: string;
  /** Every bucket from the first to the last flow in the period (capped to the most recent MAX_BUCKETS). */
  buckets: string[];
  latest_run: RunInfo | null;
  previous_run: RunInfo | null;
  runs: Capped<RunInfo>;
  summary: {
    requirements: number; violated: number; intermittent: number; ok: number; unobserved: number;
    new: number; resolved: number; denied_flows: number; allowed_flows: number;
  };
  requirements: RequirementReport[];
  changes: { new: Change[]; resolved: Change[] };
  top_blocked: Capped<BlockedFlow>;
  coverage: DeviceCoverage[];
  inputs: Capped<InputCoverage>;
}

export interface ReportOptions {
  since?: Date | null;
  until?: Date | null;
  /** Cap of host groups, rules, devices per list (default 20 for tables, 5 per requirement). */
  top?: number;
  bucket?: Bucket;
  /** IANA zone of the buckets and the dates shown (default UTC). */
  displayTz?: string;
  /** Clock for `generated_at` (tests). */
  now?: Date;
  /** Groups kept before the top-blocked tie-break (tests force the full ranking with 1). */
  topCandidates?: number;
}

export const MAX_BUCKETS = 400;
const PER_REQ = 5;
const MAX_RUNS = 20;
const MAX_INPUTS = 50;
const MAX_DEVICES = 50;
/** Largest groups kept by the top-blocked aggregate before the tie-break (see there). */
const TOP_CANDIDATES = 1000;

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
function toRun(r: Row): RunInfo {
  return {
    run_id: String(r.run_id), started_at: String(r.started_at), finished_at: strOrNull(r.finished_at),
    fwaudit_version: strOrNull(r.fwaudit_version), ruleset_versions: parseJson(r.ruleset_versions, {}),
    inputs: num(r.inputs), lines: num(r.lines), flows: num(r.flows), findings: num(r.findings),
  };
}
const RUN_COLS = `run_id, ${ISO('started_at')} AS started_at, ${ISO('finished_at')} AS finished_at, fwaudit_version,
  ruleset_versions, inputs, lines, flows, findings`;
const key = (p: string, r: string) => `${p}\u0000${r}`;

export function bucketStatus(denies: number, allows: number): RequirementStatus {
  return denies > 0 ? (allows > 0 ? 'intermittent' : 'violated') : allows > 0 ? 'ok' : 'unobserved';
}

interface Agg { product: string; requirement: string; b: string; denies: number; allows: number; latestDenies: number; latestAllows: number;
  firstDeny: string | null; lastDeny: string | null; firstAllow: string | null; lastAllow: string | null; first: string | null; last: string | null;
  prevLastDeny: string | null; prevLastAllow: string | null }

/** The status of one requirement from its buckets (sorted by date): current status, outages. */
function statusOf(points: Array<{ b: string; denies: number; allows: number; firstDeny: string | null; lastDeny: string | null }>): { status: RequirementStatus; date: string | null; outages: Outage[] } {
  const outages: Outage[] = [];
  let cur: Outage | null = null;
  let status: RequirementStatus = 'unobserved';
  let date: string | null = null;
  for (const p of points) {
    const s = bucketStatus(p.denies, p.allows);
    if (s === 'unobserved') continue;
    status = s; date = p.b;
    if (isFailing(s)) {
      if (!cur) { cur = { from: p.firstDeny ?? p.b, to: p.lastDeny ?? p.b, denies: 0, ongoing: false }; outages.push(cur); }
      cur.to = p.lastDeny ?? cur.to;
      cur.denies += p.denies;
    } else cur = null;
  }
  if (cur && isFailing(status)) cur.ongoing = true;
  return { status, date, outages };
}

export async function buildReportModel(store: Store, opts: ReportOptions = {}): Promise<ReportModel> {
  const since = opts.since ?? null;
  const until = opts.until ?? null;
  if (since && until && since.getTime() >= until.getTime()) {
    throw new UsageError(`empty period: --since ${since.toISOString()} is not before --until ${until.toISOString()}`);
  }
  const top = Math.max(1, Math.trunc(opts.top ?? 20));
  const bucket: Bucket = opts.bucket ?? 'day';
  const tz = opts.displayTz ?? 'UTC';
  try { assertTimeZone(tz); } catch (e) { throw new UsageError((e as Error).message); }
  const utc = tz === 'UTC' || tz === 'Etc/UTC';
  // Bucket text in the display zone. TIMESTAMP columns hold UTC.
  const local = (col: string) => (utc ? col : `timezone('${tz.replace(/'/g, "''")}', ${col} AT TIME ZONE 'UTC')`);
  // The bucket's start (local wall-clock time), and its text: queries group on the start and format the groups.
  const bucketStart = (col: string) => `date_trunc('${bucket}', ${local(col)})`;
  const bucketText = (start: string) => bucket === 'day' ? `strftime(${start}, '%Y-%m-%d')` : `strftime(${start}, '%Y-%m-%dT%H:00${utc ? 'Z' : ''}')`;
  const bucketExpr = (col: string) => bucketText(bucketStart(col));
  const period = (col: string, first: number): { sql: string; params: string[] } => {
    const parts: string[] = [];
    const params: string[] = [];
    if (since) { parts.push(`${col} >= CAST($${first + params.length} AS TIMESTAMP)`); params.push(since.toISOString().replace('Z', '')); }
    if (until) { parts.push(`${col} <= CAST($${first + params.length} AS TIMESTAMP)`); params.push(until.toISOString().replace('Z', '')); }
    return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
  };

  // Runs: the latest complete run that read something is "latest"; the one before it "previous".
  const runsAll = (await store.all(`SELECT ${RUN_COLS} FROM complete_runs ORDER BY started_at DESC, run_id DESC`)).map(toRun);
  const latestIdx = runsAll.findIndex((r) => r.inputs > 0);
  const latest = latestIdx >= 0 ? runsAll[latestIdx]! : runsAll[0] ?? null;
  const previous = latestIdx >= 0 ? runsAll.slice(latestIdx + 1).find((r) => r.inputs > 0) ?? null : null;
  const latestId = latest && latestIdx >= 0 ? latest.run_id : '';

  // The matched flows of the period, once, in the narrow layout (schema v4: codes and dictionary keys; texts are
  // joined to the small aggregated results at the end): every per-requirement query below reads this temporary
  // table (a temporary table works on a read-only store too). `report_labels`: product and requirement per label key.
  const fp = period('ts', 1);
  await store.all(`CREATE OR REPLACE TEMP TABLE report_rf AS
    SELECT label_key, ts, action, transport_key, src4, src_text, dst4, dst_text, dst_port, rule_key, log_device_key, run_key
      FROM requirement_rows WHERE ts IS NOT NULL AND ${fp.sql}`, fp.params);
  await store.all(`CREATE OR REPLACE TEMP TABLE report_labels AS
    SELECT t.key AS label_key, split_part(t.text, '/', 1) AS product, substr(t.text, strpos(t.text, '/') + 1) AS requirement
      FROM texts t WHERE t.key IN (SELECT DISTINCT label_key FROM report_rf)`);
  const [latestRow] = latestId ? await store.all(`SELECT key FROM texts WHERE text = $1`, [latestId]) : [];
  // 0 is no key: `run_key = 0` is never true, `run_key <> 0` always (as run_id = '' was).
  const latestKey = latestRow ? num(latestRow.key) : 0;
  try {
    return await modelFromTemp();
  } finally {
    await store.all(`DROP TABLE IF EXISTS temp.report_rf`);
    await store.all(`DROP TABLE IF EXISTS temp.report_labels`);
  }

  async function modelFromTemp(): Promise<ReportModel> {
  // Per requirement and bucket; the latest run's share apart, for the state before it.
  const aggRows = await store.all(
    `SELECT l.product, l.requirement, ${bucketText('a.bs')} AS b, a.* EXCLUDE (label_key, bs) FROM (
       SELECT label_key, ${bucketStart('ts')} AS bs,
            count(*) FILTER (WHERE action = ${DENY}) AS denies, count(*) FILTER (WHERE action = ${ALLOW}) AS allows,
            count(*) FILTER (WHERE action = ${DENY} AND run_key = $1) AS latest_denies,
            count(*) FILTER (WHERE action = ${ALLOW} AND run_key = $1) AS latest_allows,
            ${ISO(`min(ts) FILTER (WHERE action = ${DENY})`)} AS first_deny, ${ISO(`max(ts) FILTER (WHERE action = ${DENY})`)} AS last_deny,
            ${ISO(`min(ts) FILTER (WHERE action = ${ALLOW})`)} AS first_allow, ${ISO(`max(ts) FILTER (WHERE action = ${ALLOW})`)} AS last_allow,
            ${ISO(`max(ts) FILTER (WHERE action = ${DENY} AND run_key <> $1)`)} AS prev_last_deny,
            ${ISO(`max(ts) FILTER (WHERE action = ${ALLOW} AND run_key <> $1)`)} AS prev_last_allow,
            ${ISO('min(ts)')} AS first, ${ISO('max(ts)')} AS last
         FROM report_rf GROUP BY ALL) a JOIN report_labels l USING (label_key)
      ORDER BY l.product, l.requirement, a.bs`, [latestKey]);
  const byReq = new Map<string, Agg[]>();
  for (const r of aggRows) {
    const a: Agg = {
      product: String(r.product), requirement: String(r.requirement), b: String(r.b), denies: num(r.denies), allows: num(r.allows),
      latestDenies: num(r.latest_denies), latestAllows: num(r.latest_allows), firstDeny: strOrNull(r.first_deny), lastDeny: strOrNull(r.last_deny),
      firstAllow: strOrNull(r.first_allow), lastAllow: strOrNull(r.last_allow), first: strOrNull(r.first), last: strOrNull(r.last),
      prevLastDeny: strOrNull(r.prev_last_deny), prevLastAllow: strOrNull(r.prev_last_allow),
    };
    const k = key(a.product, a.requirement);
    const l = byReq.get(k) ?? [];
    l.push(a);
    byReq.set(k, l);
  }

  // Buckets from the first to the last flow in the period (any flow, so silent days show as gaps).
  // One scan for the span of the period and the flow counts (min/max skip flows without a time).
  const [span] = await store.all(
    `SELECT ${bucketExpr('min(ts)')} AS lo, ${bucketExpr('max(ts)')} AS hi,
            count(*) FILTER (WHERE action = ${DENY}) AS d, count(*) FILTER (WHERE action = ${ALLOW}) AS a
       FROM complete_flow_rows WHERE ${period('ts', 1).sql}`, period('ts', 1).params);
  const buckets = enumerateBuckets(strOrNull(span?.lo), strOrNull(span?.hi), bucket, utc);

  // Requirements known from runs (matrix rows: deployed, maybe unobserved), newest metadata first.
  const meta = await store.all(
    `SELECT DISTINCT ON (m.product, m.requirement) m.product, m.requirement, m.necessity, m.purpose, m.source
       FROM matrix m JOIN complete_runs r USING (run_id) ORDER BY m.product, m.requirement, r.started_at DESC`);
  const names = await store.all(
    `SELECT DISTINCT ON (f.product) f.product, f.product_name FROM findings f JOIN complete_runs r USING (run_id)
      WHERE f.product_name IS NOT NULL ORDER BY f.product, r.started_at DESC`);
  const productName = new Map(names.map((n) => [String(n.product), String(n.product_name)]));
  const openingRows = await store.all(
    `SELECT product, requirement, opening FROM (
       SELECT f.product, f.requirement, f.opening, row_number() OVER (PARTITION BY f.product, f.requirement ORDER BY r.started_at DESC, f.count DESC) AS rn
         FROM findings f JOIN complete_runs r USING (run_id) WHERE f.opening IS NOT NULL) WHERE rn <= 2`);
  const openings = new Map<string, string[]>();
  for (const o of openingRows) {
    const k = key(String(o.product), String(o.requirement));
    const l = openings.get(k) ?? [];
    if (!l.includes(String(o.opening))) l.push(String(o.opening));
    openings.set(k, l);
  }

  // Top values per requirement (devices, rules, hosts), capped, with the count of the rest.
  // Counted on keys (a key or an address pair stands for exactly one text), ranked on the text.
  const capped = async (col: 'log_device' | 'rule' | 'src' | 'dst', where: string): Promise<Map<string, Capped<string>>> => {
    const ip = col === 'src' || col === 'dst';
    const keys = ip ? `${col}4, ${col}_text` : `${col}_key`;
    const notNull = ip ? `(${col}4 IS NOT NULL OR ${col}_text IS NOT NULL)` : `${col}_key IS NOT NULL`;
    const value = ip ? `fw_ip(g.${col}4, g.${col}_text)` : `(SELECT t.text FROM texts t WHERE t.key = g.${col}_key)`;
    const rows = await store.all(
      `WITH g AS (SELECT label_key, ${keys}, count(*) AS n FROM report_rf WHERE ${notNull} AND ${where} GROUP BY ALL),
            cut AS (SELECT label_key, list_min(max(n, ${PER_REQ})) AS c, count(*) AS total FROM g GROUP BY label_key),
            c AS (SELECT g.label_key, ${value} AS v, g.n, cut.total FROM g JOIN cut ON cut.label_key = g.label_key AND g.n >= cut.c)
       SELECT l.product, l.requirement, v, n, total FROM c JOIN report_labels l USING (label_key)
       QUALIFY row_number() OVER (PARTITION BY label_key ORDER BY n DESC, v) <= ${PER_REQ}
       ORDER BY l.product, l.requirement, n DESC, v`);
    const out = new Map<string, Capped<string>>();
    for (const r of rows) {
      const k = key(String(r.product), String(r.requirement));
      const c = out.get(k) ?? { items: [], more: 0 };
      c.items.push(String(r.v));
      c.more = num(r.total) - c.items.length;
      out.set(k, c);
    }
    return out;
  };
  const devicesBy = await capped('log_device', 'TRUE');
  const rulesBy = await capped('rule', `action = ${DENY}`);
  const srcBy = await capped('src', `action = ${DENY}`);
  const dstBy = await capped('dst', `action = ${DENY}`);

  // Device coverage (logs of complete runs overlapping the period).
  const covWhere: string[] = [];
  const covParams: string[] = [];
  if (since) { covParams.push(since.toISOString().replace('Z', '')); covWhere.push(`c.last_ts >= CAST($${covParams.length} AS TIMESTAMP)`); }
  if (until) { covParams.push(until.toISOString().replace('Z', '')); covWhere.push(`c.first_ts <= CAST($${covParams.length} AS TIMESTAMP)`); }
  const covRows = await store.all(
    `SELECT c.device, ${ISO('min(c.first_ts)')} AS first, ${ISO('max(c.last_ts)')} AS last, ${bucketExpr('max(c.last_ts)')} AS last_b, sum(c.flows) AS flows
       FROM device_coverage c JOIN complete_runs r USING (run_id)
      WHERE c.last_ts IS NOT NULL AND ${covWhere.length ? covWhere.join(' AND ') : 'TRUE'}
      GROUP BY c.device ORDER BY c.device`, covParams);
  const dateRows = await store.all(
    `SELECT t.text AS device, ${bucketText('d.bs')} AS b FROM (
       SELECT log_device_key, ${bucketStart('ts')} AS bs FROM complete_flow_rows
        WHERE ts IS NOT NULL AND log_device_key IS NOT NULL AND ${period('ts', 1).sql} GROUP BY ALL) d
       JOIN texts t ON t.key = d.log_device_key ORDER BY 1, 2`, period('ts', 1).params);
  const datesBy = new Map<string, string[]>();
  for (const r of dateRows) {
    const l = datesBy.get(String(r.device)) ?? [];
    l.push(String(r.b));
    datesBy.set(String(r.device), l);
  }
  // Silent: no log in the latest bucket that any device covered.
  const latestLogBucket = covRows.reduce<string | null>((m, r) => (r.last_b !== null && (m === null || String(r.last_b) > m) ? String(r.last_b) : m), null);
  const coverageAll: DeviceCoverage[] = covRows.map((r) => ({
    device: String(r.device), first: strOrNull(r.first), last: strOrNull(r.last), flows: num(r.flows), dates: datesBy.get(String(r.device)) ?? [],
    silent: latestLogBucket !== null && r.last_b !== null && String(r.last_b) < latestLogBucket,
  }));
  const silentDevices = new Set(coverageAll.filter((c) => c.silent).map((c) => c.device));

  // Requirements: those deployed (matrix) and those with evidence in the period.
  const reqKeys = new Map<string, { product: string; requirement: string; meta: Row | null }>();
  for (const m of meta) reqKeys.set(key(String(m.product), String(m.requirement)), { product: String(m.product), requirement: String(m.requirement), meta: m });
  for (const [k, list] of byReq) if (!reqKeys.has(k)) reqKeys.set(k, { product: list[0]!.product, requirement: list[0]!.requirement, meta: null });

  const requirements: RequirementReport[] = [];
  const changeCandidates: Array<{ r: RequirementReport; before: RequirementStatus; since: string | null }> = [];
  for (const [k, { product, requirement, meta: m }] of reqKeys) {
    const points = byReq.get(k) ?? [];
    const now = statusOf(points);
    const beforePoints = points.map((p) => ({ b: p.b, denies: p.denies - p.latestDenies, allows: p.allows - p.latestAllows, firstDeny: p.firstDeny, lastDeny: p.prevLastDeny }));
    const before = statusOf(beforePoints);
    const sum = (f: (a: Agg) => number) => points.reduce((n, p) => n + f(p), 0);
    const maxOf = (f: (a: Agg) => string | null) => points.reduce<string | null>((x, p) => { const v = f(p); return v !== null && (x === null || v > x) ? v : x; }, null);
    const devices = devicesBy.get(k) ?? { items: [], more: 0 };
    const lastEvidence = maxOf((p) => p.last);
    let change: RequirementReport['change'] = null;
    if (latestId && isFailing(now.status) && !isFailing(before.status)) change = 'new';
    else if (latestId && previous && isFailing(before.status) && now.status === 'ok') change = 'resolved';
    const r: RequirementReport = {
      product, product_name: productName.get(product) ?? null, requirement,
      necessity: String(m?.necessity ?? ''), purpose: String(m?.purpose ?? ''), source: String(m?.source ?? ''),
      status: now.status, status_date: now.date, last_evidence: lastEvidence, last_deny: maxOf((p) => p.lastDeny), last_allow: maxOf((p) => p.lastAllow),
      first_seen: points.reduce<string | null>((x, p) => (p.first !== null && (x === null || p.first < x) ? p.first : x), null),
      denies: sum((p) => p.denies), allows: sum((p) => p.allows),
      timeline: points.map((p) => ({ date: p.b, denies: p.denies, allows: p.allows, status: bucketStatus(p.denies, p.allows) })),
      outages: now.outages,
      devices, silent_devices: devices.items.filter((d) => silentDevices.has(d)),
      rules: rulesBy.get(k) ?? { items: [], more: 0 }, src_hosts: srcBy.get(k) ?? { items: [], more: 0 }, dst_hosts: dstBy.get(k) ?? { items: [], more: 0 },
      openings: openings.get(k) ?? [], change,
    };
    requirements.push(r);
    if (change === 'new') changeCandidates.push({ r, before: before.status, since: now.outages[now.outages.length - 1]?.from ?? null });
    if (change === 'resolved') {
      const lastDeny = r.last_deny;
      const firstAllowAfter = points.filter((p) => p.lastAllow !== null && (lastDeny === null || p.lastAllow > lastDeny)).map((p) => (p.firstAllow !== null && (lastDeny === null || p.firstAllow > lastDeny) ? p.firstAllow : p.lastAllow))[0] ?? null;
      changeCandidates.push({ r, before: before.status, since: firstAllowAfter });
    }
  }
  requirements.sort((a, b) => compareStatus(a.status, b.status) || b.denies - a.denies
    || a.product.localeCompare(b.product) || a.requirement.localeCompare(b.requirement));

  // Host detail of the changes: the latest run's denied (new) or allowed (resolved) flows of the requirement,
  // top host groups per requirement and action in one pass.
  const changes: ReportModel['changes'] = { new: [], resolved: [] };
  const hostGroups = new Map<string, Capped<HostGroup>>();
  if (changeCandidates.length > 0) {
    const rows = await store.all(
      `WITH g AS (SELECT label_key, action, src4, src_text, dst4, dst_text, transport_key, dst_port, count(*) AS n, max(ts) AS hi
                    FROM report_rf WHERE run_key = $1 GROUP BY ALL),
            c AS (SELECT label_key, ${ACTION_TEXT('action')} AS action, fw_ip(src4, src_text) AS src_ip, fw_ip(dst4, dst_text) AS dst_ip,
                         (SELECT t.text FROM texts t WHERE t.key = g.transport_key) AS transport, dst_port, n, hi FROM g)
       SELECT l.product, l.requirement, action, src_ip, dst_ip, transport, dst_port, n, ${ISO('hi')} AS hi,
              count(*) OVER (PARTITION BY label_key, action) AS total FROM c JOIN report_labels l USING (label_key)
       QUALIFY row_number() OVER (PARTITION BY label_key, action ORDER BY n DESC, src_ip, dst_ip, dst_port) <= ${top}
       ORDER BY l.product, l.requirement, action, n DESC, src_ip, dst_ip, dst_port`, [latestKey]);
    for (const h of rows) {
      const k = `${key(String(h.product), String(h.requirement))}\u0000${String(h.action)}`;
      const c = hostGroups.get(k) ?? { items: [], more: 0 };
      c.items.push({ src_ip: strOrNull(h.src_ip), dst_ip: strOrNull(h.dst_ip), transport: strOrNull(h.transport),
        dst_port: h.dst_port === null ? null : num(h.dst_port), count: num(h.n), last_seen: strOrNull(h.hi) });
      c.more = num(h.total) - c.items.length;
      hostGroups.set(k, c);
    }
  }
  for (const c of changeCandidates) {
    const action = c.r.change === 'new' ? 'deny' : 'allow';
    const hosts = hostGroups.get(`${key(c.r.product, c.r.requirement)}\u0000${action}`) ?? { items: [], more: 0 };
    changes[c.r.change === 'new' ? 'new' : 'resolved'].push({ product: c.r.product, requirement: c.r.requirement, status: c.r.status,
      previous_status: c.before, since: c.since, hosts });
  }

  // Top blocked flows in the period (every stored denied flow), capped.
  const tp = period('ts', 1);
  // Counted on the integer columns only (flows whose addresses are both IPv4 apart: no text to hash), in one
  // aggregate over the groups that keeps the `top` largest counts and the TOP_CANDIDATES groups with the largest
  // counts: when the last candidate's count is below the top-th count, every group that can reach the top (count at
  // least the top-th) is a candidate, and only those are turned into text for the tie-break order. Otherwise (more
  // ties than candidates) the groups are ranked in full. Without a period the groups come from `blocked_groups`
  // (kept by every run; the same counts, see src/store/flow-table.ts). Then the first/last time, rules and devices of the top
  // groups from their flows.
  const TOP_CANDIDATES_N = Math.max(1, Math.trunc(opts.topCandidates ?? TOP_CANDIDATES));
  const groups = `
       SELECT src4, NULL::VARCHAR AS src_text, dst4, NULL::VARCHAR AS dst_text, transport_key, dst_port, count(*) AS count
         FROM complete_flow_rows WHERE action = ${DENY} AND ${tp.sql} AND src_text IS NULL AND dst_text IS NULL
        GROUP BY src4, dst4, transport_key, dst_port
       UNION ALL
       SELECT src4, src_text, dst4, dst_text, transport_key, dst_port, count(*) AS count
         FROM complete_flow_rows WHERE action = ${DENY} AND ${tp.sql} AND (src_text IS NOT NULL OR dst_text IS NOT NULL) GROUP BY ALL`;
  const decoded = (from: string) => `SELECT g.*, fw_ip(src4, src_text) AS src_ip, fw_ip(dst4, dst_text) AS dst_ip,
         (SELECT x.text FROM texts x WHERE x.key = g.transport_key) AS transport FROM ${from}`;
  const topOf = (t: string, complete = 't.complete') => `WITH ${t}
     SELECT t.src_ip, t.dst_ip, t.transport, t.dst_port, t.count, t.total, ${ISO('min(fl.ts)')} AS first_seen, ${ISO('max(fl.ts)')} AS last_seen,
            list(DISTINCT ru.text ORDER BY ru.text) FILTER (WHERE ru.text IS NOT NULL) AS rules,
            list(DISTINCT ld.text ORDER BY ld.text) FILTER (WHERE ld.text IS NOT NULL) AS devices, ${complete} AS complete
       FROM t JOIN complete_flow_rows fl
         ON fl.action = ${DENY} AND ${period('fl.ts', 1).sql} AND fl.src4 IS NOT DISTINCT FROM t.src4 AND fl.src_text IS NOT DISTINCT FROM t.src_text
        AND fl.dst4 IS NOT DISTINCT FROM t.dst4 AND fl.dst_text IS NOT DISTINCT FROM t.dst_text
        AND fl.transport_key IS NOT DISTINCT FROM t.transport_key AND fl.dst_port IS NOT DISTINCT FROM t.dst_port
       LEFT JOIN texts ru ON ru.key = fl.rule_key LEFT JOIN texts ld ON ld.key = fl.log_device_key
      GROUP BY ALL
      ORDER BY t.count DESC, t.src_ip, t.dst_ip, t.transport, t.dst_port`;
  let topRows = await store.all(topOf(`
     s AS (SELECT max(count, ${top}) AS top, max(count, ${TOP_CANDIDATES_N}) AS topk,
                  max_by({'src4': src4, 'src_text': src_text, 'dst4': dst4, 'dst_text': dst_text, 'transport_key': transport_key,
                          'dst_port': dst_port, 'count': count}, count, ${TOP_CANDIDATES_N}) AS cands, count(*) AS total
            FROM ${since || until ? `(${groups})` : 'blocked_groups'}),
     c AS (SELECT unnest(s.cands, recursive := true), s.total,
                  len(s.topk) < ${TOP_CANDIDATES_N} OR list_min(s.topk) < list_min(s.top) AS complete,
                  list_min(s.top) AS cut FROM s),
     t AS (${decoded('c g')} WHERE g.count >= g.cut ORDER BY count DESC, src_ip, dst_ip, transport, dst_port LIMIT ${top})`), tp.params);
  if (topRows.length > 0 && topRows[0]!.complete !== true) {
    topRows = await store.all(topOf(`
     g AS (${groups}),
     cut AS (SELECT list_min(max(count, ${top})) AS c, count(*) AS total FROM g),
     t AS (${decoded('(SELECT g.*, cut.total FROM g JOIN cut ON g.count >= cut.c) g')} ORDER BY count DESC, src_ip, dst_ip, transport, dst_port LIMIT ${top})`, 'TRUE'), tp.params);
  }
  const blocked: BlockedFlow[] = topRows.map((r) => ({
    src_ip: strOrNull(r.src_ip), dst_ip: strOrNull(r.dst_ip), transport: strOrNull(r.transport),
    dst_port: r.dst_port === null ? null : num(r.dst_port), count: num(r.count), first_seen: strOrNull(r.first_seen),
    last_seen: strOrNull(r.last_seen), rules: ((r.rules as string[] | null) ?? []).slice(0, PER_REQ), devices: ((r.devices as string[] | null) ?? []).slice(0, PER_REQ),
  }));
  const counts = span;

  // Inputs read (parse coverage): the most recent, capped.
  const inputRows = await store.all(
    `SELECT i.input_id, i.path, i.format, i.dialect, i.lines, i.flows, i.skipped, i.error, i.first_run_id, count(*) OVER () AS total
       FROM inputs i JOIN complete_runs r ON r.run_id = i.first_run_id
      ORDER BY r.started_at DESC, i.path LIMIT ${MAX_INPUTS}`);
  const inputs: InputCoverage[] = inputRows.map((r) => {
    const detail = parseJson<Array<{ reason: string; kind: string; count: number }>>(r.skipped, [])
      .map((s) => ({ reason: String(s.reason), kind: String(s.kind), count: num(s.count) }));
    return {
      input_id: String(r.input_id), path: strOrNull(r.path), format: strOrNull(r.format), dialect: strOrNull(r.dialect),
      lines: num(r.lines), flows: num(r.flows), skipped: detail.reduce((a, s) => a + s.count, 0), skipped_detail: detail.slice(0, PER_REQ),
      error: strOrNull(r.error), run_id: strOrNull(r.first_run_id),
    };
  });

  const count = (s: RequirementStatus) => requirements.filter((r) => r.status === s).length;
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    generated_at: (opts.now ?? new Date()).toISOString(),
    store: store.path,
    period: { since: since ? since.toISOString() : null, until: until ? until.toISOString() : null },
    bucket, display_tz: tz,
    buckets: buckets.slice(-MAX_BUCKETS),
    latest_run: latest,
    previous_run: previous,
    runs: { items: runsAll.slice(0, MAX_RUNS), more: Math.max(0, runsAll.length - MAX_RUNS) },
    summary: {
      requirements: requirements.length, violated: count('violated'), intermittent: count('intermittent'), ok: count('ok'),
      unobserved: count('unobserved'), new: changes.new.length, resolved: changes.resolved.length,
      denied_flows: num(counts?.d), allowed_flows: num(counts?.a),
    },
    requirements,
    changes,
    top_blocked: { items: blocked, more: Math.max(0, num(topRows[0]?.total) - blocked.length) },
    coverage: coverageAll.sort((a, b) => Number(b.silent) - Number(a.silent) || a.device.localeCompare(b.device)).slice(0, MAX_DEVICES),
    inputs: { items: inputs, more: Math.max(0, num(inputRows[0]?.total) - inputs.length) },
  };
  }
}

/** Every bucket label from lo to hi (labels as bucketExpr makes them; local calendar arithmetic). */
function enumerateBuckets(lo: string | null, hi: string | null, bucket: Bucket, utc: boolean): string[] {
  if (!lo || !hi) return [];
  const out: string[] = [];
  if (bucket === 'day') {
    let t = Date.parse(`${lo}T00:00:00Z`);
    const end = Date.parse(`${hi}T00:00:00Z`);
    for (; t <= end && out.length <= 20_000; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  } else {
    let t = Date.parse(`${lo.slice(0, 13)}:00:00Z`);
    const end = Date.parse(`${hi.slice(0, 13)}:00:00Z`);
    for (; t <= end && out.length <= 200_000; t += 3_600_000) out.push(`${new Date(t).toISOString().slice(0, 13)}:00${utc ? 'Z' : ''}`);
  }
  return out;
}

/**
 * A user-typed time for --since/--until: `12h`, `7d`, `2w`, `30min` before now, or a date/time (ISO 8601; read in
 * `tz`, UTC by default, unless it carries an offset). `m` alone is refused (minutes or months?).
 */
export function parseWhen(text: string, now: Date = new Date(), tz = 'UTC'): Date {
  try {
    return new Date(parseUserTime(text, tz, now.getTime()));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
