/**
 * Store schema as an ordered list of migrations. Version N is the state after steps[0..N-1] ran.
 * A new store runs every step; an older store runs the steps it lacks; a newer store is refused.
 * Never edit a released step: append a new one.
 */

export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

/** Flow columns in table order (FLOW_COLUMNS, then the store's own columns). */
export const FLOW_TABLE_COLUMNS = [
  'ts', 'action', 'raw_action', 'transport', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'direction',
  'device', 'rule', 'app', 'bytes', 'packets', 'end_reason', 'host', 'url', 'format', 'file', 'line',
  'input_id', 'run_id', 'matched',
] as const;

/** Version 1: the first released layout (kept verbatim; scripts/make-v1-store.ts builds the fixture from it). */
export const V1_STATEMENTS = [
  `CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL, description VARCHAR)`,
  `CREATE TABLE runs (
     run_id VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, fwaudit_version VARCHAR,
     inputs INTEGER, lines BIGINT, flows BIGINT, findings INTEGER)`,
  `CREATE TABLE inputs (
     input_id VARCHAR NOT NULL, path VARCHAR, format VARCHAR, lines BIGINT, flows BIGINT, first_run_id VARCHAR)`,
  `CREATE TABLE flows (
     ts TIMESTAMP, action VARCHAR, raw_action VARCHAR, transport VARCHAR, src_ip VARCHAR, src_port INTEGER,
     dst_ip VARCHAR, dst_port INTEGER, direction VARCHAR, device VARCHAR, rule VARCHAR, app VARCHAR,
     bytes BIGINT, packets BIGINT, end_reason VARCHAR, host VARCHAR, url VARCHAR, format VARCHAR,
     file VARCHAR, line BIGINT, input_id VARCHAR)`,
  `CREATE TABLE findings (
     run_id VARCHAR NOT NULL, product VARCHAR, requirement VARCHAR, confidence VARCHAR, transport VARCHAR,
     src_ip VARCHAR, dst_ip VARCHAR, dst_port INTEGER, src_role VARCHAR, dst_role VARCHAR, count BIGINT,
     first_seen TIMESTAMP, last_seen TIMESTAMP, devices VARCHAR[], rules VARCHAR[], symptom VARCHAR,
     purpose VARCHAR, source VARCHAR, evidence VARCHAR)`,
  `CREATE TABLE matrix (
     run_id VARCHAR NOT NULL, product VARCHAR, requirement VARCHAR, necessity VARCHAR, status VARCHAR,
     allows BIGINT, denies BIGINT, first_seen TIMESTAMP, last_seen TIMESTAMP, purpose VARCHAR, source VARCHAR)`,
];

/**
 * Views for `fwaudit query` and the reports. Every view reads complete runs only (a run is written in one
 * transaction; older stores may hold unfinished runs, which the next read-write open deletes).
 * - `complete_runs`: runs that finished.
 * - `stored_flows`: flows of complete runs, with `log_device`: the device that logged the flow (the flow's
 *   device, else for host firewall logs (winfw, wfp) the local address: destination inbound, source outbound).
 * - `requirement_flows`: one row per (flow, requirement it matched), product and requirement split out.
 * - `requirement_daily`: per requirement and UTC day: denies, allows and the day's status.
 * - `current_status`: per requirement the status of its most recent day with evidence, last deny/allow.
 */
export const VIEWS_V3 = [
  `CREATE VIEW complete_runs AS SELECT * FROM runs WHERE finished_at IS NOT NULL`,
  `CREATE VIEW stored_flows AS
     SELECT f.*, coalesce(f.device, CASE WHEN f.format LIKE 'winfw%' OR f.format LIKE 'wfp%' THEN
              CASE f.direction WHEN 'inbound' THEN f.dst_ip WHEN 'outbound' THEN f.src_ip END END) AS log_device
       FROM flows f WHERE f.run_id IN (SELECT run_id FROM runs WHERE finished_at IS NOT NULL)`,
  `CREATE VIEW requirement_flows AS
     SELECT split_part(m.label, '/', 1) AS product, substr(m.label, strpos(m.label, '/') + 1) AS requirement,
            m.ts, m.action, m.transport, m.src_ip, m.dst_ip, m.dst_port, m.rule, m.log_device, m.run_id, m.file, m.line
       FROM (SELECT unnest(string_split(matched, ';')) AS label, * FROM stored_flows
              WHERE matched IS NOT NULL AND action IN ('deny', 'allow')) m`,
  `CREATE VIEW requirement_daily AS
     SELECT product, requirement, date_trunc('day', ts) AS day,
            count(*) FILTER (WHERE action = 'deny') AS denies, count(*) FILTER (WHERE action = 'allow') AS allows,
            CASE WHEN count(*) FILTER (WHERE action = 'deny') = 0 THEN 'ok'
                 WHEN count(*) FILTER (WHERE action = 'allow') = 0 THEN 'violated' ELSE 'intermittent' END AS status
       FROM requirement_flows WHERE ts IS NOT NULL GROUP BY ALL`,
  `CREATE VIEW current_status AS
     SELECT d.product, d.requirement, d.status, d.day AS status_day, e.last_evidence, e.last_deny, e.last_allow,
            e.denies AS total_denies, e.allows AS total_allows
       FROM (SELECT *, row_number() OVER (PARTITION BY product, requirement ORDER BY day DESC) AS rn FROM requirement_daily) d
       JOIN (SELECT product, requirement, max(ts) AS last_evidence, max(ts) FILTER (WHERE action = 'deny') AS last_deny,
                    max(ts) FILTER (WHERE action = 'allow') AS last_allow,
                    count(*) FILTER (WHERE action = 'deny') AS denies, count(*) FILTER (WHERE action = 'allow') AS allows
               FROM requirement_flows GROUP BY ALL) e USING (product, requirement)
      WHERE d.rn = 1`,
];

export const MIGRATIONS: Migration[] = [
  { version: 1, description: 'initial layout', statements: V1_STATEMENTS },
  {
    version: 2,
    description: 'ruleset versions and parse coverage per run/input; run id and matched requirements per flow',
    statements: [
      `ALTER TABLE runs ADD COLUMN ruleset_versions VARCHAR`,
      `ALTER TABLE runs ADD COLUMN skipped BIGINT`,
      `ALTER TABLE runs ADD COLUMN stored_flows BIGINT`,
      `ALTER TABLE inputs ADD COLUMN dialect VARCHAR`,
      `ALTER TABLE inputs ADD COLUMN size BIGINT`,
      `ALTER TABLE inputs ADD COLUMN skipped VARCHAR`,
      `ALTER TABLE inputs ADD COLUMN notes VARCHAR`,
      `ALTER TABLE inputs ADD COLUMN error VARCHAR`,
      `ALTER TABLE findings ADD COLUMN product_name VARCHAR`,
      `ALTER TABLE findings ADD COLUMN necessity VARCHAR`,
      `ALTER TABLE findings ADD COLUMN ports VARCHAR`,
      `ALTER TABLE findings ADD COLUMN opening VARCHAR`,
      `ALTER TABLE findings ADD COLUMN candidates VARCHAR[]`,
      `ALTER TABLE flows ADD COLUMN run_id VARCHAR`,
      `ALTER TABLE flows ADD COLUMN matched VARCHAR`,
      // v1 stores knew the run only through the input: backfill it.
      `UPDATE flows SET run_id = (SELECT first_run_id FROM inputs WHERE inputs.input_id = flows.input_id)`,
      `UPDATE inputs SET skipped = '[]', notes = '{}' WHERE skipped IS NULL`,
      `UPDATE runs SET ruleset_versions = '{}' WHERE ruleset_versions IS NULL`,
    ],
  },
  {
    version: 3,
    description: 'checkpoints (fingerprint + offset) per input, log coverage per device, views for the status model',
    statements: [
      // What was read of each input: the content hash of [0, end_offset) and the line count there. A later run
      // resumes a grown file after end_line, recognises a renamed or gzip-rotated copy, reads a replaced file anew.
      `CREATE TABLE checkpoints (
         run_id VARCHAR NOT NULL, input_id VARCHAR, path VARCHAR, fingerprint VARCHAR NOT NULL, start_line BIGINT,
         end_offset BIGINT NOT NULL, end_line BIGINT NOT NULL, prefix_hash VARCHAR NOT NULL, size BIGINT,
         compressed BOOLEAN, dev VARCHAR, ino VARCHAR, mtime_ms DOUBLE)`,
      `CREATE TABLE device_coverage (
         run_id VARCHAR NOT NULL, input_id VARCHAR, device VARCHAR, first_ts TIMESTAMP, last_ts TIMESTAMP, flows BIGINT)`,
      `ALTER TABLE inputs ADD COLUMN start_line BIGINT`,
      `ALTER TABLE inputs ADD COLUMN end_line BIGINT`,
      ...VIEWS_V3,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
