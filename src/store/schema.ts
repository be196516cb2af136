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

import { ACTION_TEXT, CREATE_BLOCKED_GROUPS, CREATE_FLOW_ROWS, DIRECTION_TEXT } from './flow-table.js';

/** Columns of the `flows` view (and of the v1–v3 `flows` table) in order: FLOW_COLUMNS, then the store's own. */
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

/** A canonical dotted quad (no leading zeros): the addresses v4 keeps as integers. */
const IPV4_RE = `'(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])){3}'`;
const ipv4Int = (col: string) => `CASE WHEN regexp_full_match(${col}, ${IPV4_RE}) THEN (split_part(${col}, '.', 1)::UBIGINT * 16777216
  + split_part(${col}, '.', 2)::UBIGINT * 65536 + split_part(${col}, '.', 3)::UBIGINT * 256 + split_part(${col}, '.', 4)::UBIGINT)::UINTEGER END`;
const ipv4Rest = (col: string) => `CASE WHEN NOT regexp_full_match(${col}, ${IPV4_RE}) THEN ${col} END`;
const V3_LOG_DEVICE = `coalesce(device, CASE WHEN format LIKE 'winfw%' OR format LIKE 'wfp%' THEN
  CASE direction WHEN 'inbound' THEN dst_ip WHEN 'outbound' THEN src_ip END END)`;

/** Dictionary-keyed columns of `flow_rows`: alias in the views, key column, text column of the wide layout. */
const KEYED: Array<[string, string, string]> = [
  ['ra', 'raw_action_key', 'raw_action'], ['tr', 'transport_key', 'transport'], ['dv', 'device_key', 'device'],
  ['ru', 'rule_key', 'rule'], ['ap', 'app_key', 'app'], ['er', 'end_reason_key', 'end_reason'], ['fm', 'format_key', 'format'],
  ['fl', 'file_key', 'file'], ['ii', 'input_key', 'input_id'], ['rn', 'run_key', 'run_id'], ['mt', 'matched_key', 'matched'],
  ['ld', 'log_device_key', 'log_device'],
];
const t = (alias: string) => `${alias}.text`;
/** The readable columns of `flows` from `flow_rows f`, in FLOW_TABLE_COLUMNS order. */
const WIDE_COLUMNS = `f.ts, ${ACTION_TEXT('f.action')} AS action, ${t('ra')} AS raw_action, ${t('tr')} AS transport,
  fw_ip(f.src4, f.src_text) AS src_ip, f.src_port, fw_ip(f.dst4, f.dst_text) AS dst_ip, f.dst_port,
  ${DIRECTION_TEXT('f.direction')} AS direction, ${t('dv')} AS device, ${t('ru')} AS rule, ${t('ap')} AS app, f.bytes, f.packets,
  ${t('er')} AS end_reason, f.host, f.url, ${t('fm')} AS format, ${t('fl')} AS file, f.line, ${t('ii')} AS input_id,
  ${t('rn')} AS run_id, ${t('mt')} AS matched`;
const joins = (aliases: string[]) => KEYED.filter(([a]) => aliases.includes(a))
  .map(([a, k]) => `LEFT JOIN texts ${a} ON ${a}.key = f.${k}`).join(' ');
const ALL_WIDE = ['ra', 'tr', 'dv', 'ru', 'ap', 'er', 'fm', 'fl', 'ii', 'rn', 'mt'];
const product = (label: string) => `split_part(${label}, '/', 1)`;
const requirement = (label: string) => `substr(${label}, strpos(${label}, '/') + 1)`;

/**
 * Views of schema v4 (same names and columns as v3; see VIEWS_V3), over the narrow `flow_rows`:
 * - `flows`: every stored flow with its readable columns (the v1–v3 table's columns, in order).
 * - `complete_run_keys`, `complete_flow_rows`, `requirement_rows`: narrow, for the reports (integer compares).
 */
export const VIEWS_V4 = [
  `CREATE MACRO fw_ip(v4, txt) AS CASE WHEN v4 IS NULL THEN txt ELSE
     (v4 >> 24)::VARCHAR || '.' || ((v4 >> 16) & 255)::VARCHAR || '.' || ((v4 >> 8) & 255)::VARCHAR || '.' || (v4 & 255)::VARCHAR END`,
  `CREATE VIEW flows AS SELECT ${WIDE_COLUMNS} FROM flow_rows f ${joins(ALL_WIDE)}`,
  `CREATE VIEW complete_runs AS SELECT * FROM runs WHERE finished_at IS NOT NULL`,
  `CREATE VIEW complete_run_keys AS SELECT t.key FROM texts t JOIN runs r ON r.run_id = t.text WHERE r.finished_at IS NOT NULL`,
  `CREATE VIEW complete_flow_rows AS SELECT * FROM flow_rows WHERE run_key IN (SELECT key FROM complete_run_keys)`,
  `CREATE VIEW stored_flows AS SELECT ${WIDE_COLUMNS}, ${t('ld')} AS log_device FROM complete_flow_rows f ${joins([...ALL_WIDE, 'ld'])}`,
  `CREATE VIEW requirement_rows AS
     SELECT ml.label_key, f.* FROM complete_flow_rows f JOIN matched_labels ml ON ml.matched_key = f.matched_key WHERE f.action IN (1, 2)`,
  `CREATE VIEW requirement_flows AS
     SELECT ${product('lb.text')} AS product, ${requirement('lb.text')} AS requirement, f.ts, ${ACTION_TEXT('f.action')} AS action,
            ${t('tr')} AS transport, fw_ip(f.src4, f.src_text) AS src_ip, fw_ip(f.dst4, f.dst_text) AS dst_ip, f.dst_port, ${t('ru')} AS rule,
            ${t('ld')} AS log_device, ${t('rn')} AS run_id, ${t('fl')} AS file, f.line
       FROM requirement_rows f JOIN texts lb ON lb.key = f.label_key ${joins(['tr', 'ru', 'ld', 'rn', 'fl'])}`,
  `CREATE VIEW requirement_daily AS
     SELECT ${product('lb.text')} AS product, ${requirement('lb.text')} AS requirement, d.day, d.denies, d.allows,
            CASE WHEN d.denies = 0 THEN 'ok' WHEN d.allows = 0 THEN 'violated' ELSE 'intermittent' END AS status
       FROM (SELECT label_key, date_trunc('day', ts) AS day, count(*) FILTER (WHERE action = 1) AS denies,
                    count(*) FILTER (WHERE action = 2) AS allows
               FROM requirement_rows WHERE ts IS NOT NULL GROUP BY ALL) d JOIN texts lb ON lb.key = d.label_key`,
  `CREATE VIEW current_status AS
     SELECT ${product('lb.text')} AS product, ${requirement('lb.text')} AS requirement, d.status, d.day AS status_day,
            e.last_evidence, e.last_deny, e.last_allow, e.denies AS total_denies, e.allows AS total_allows
       FROM (SELECT label_key, arg_max(status, day) AS status, max(day) AS day FROM (
               SELECT label_key, date_trunc('day', ts) AS day,
                      CASE WHEN count(*) FILTER (WHERE action = 1) = 0 THEN 'ok' WHEN count(*) FILTER (WHERE action = 2) = 0 THEN 'violated'
                           ELSE 'intermittent' END AS status
                 FROM requirement_rows WHERE ts IS NOT NULL GROUP BY ALL) GROUP BY label_key) d
       JOIN (SELECT label_key, max(ts) AS last_evidence, max(ts) FILTER (WHERE action = 1) AS last_deny,
                    max(ts) FILTER (WHERE action = 2) AS last_allow,
                    count(*) FILTER (WHERE action = 1) AS denies, count(*) FILTER (WHERE action = 2) AS allows
               FROM requirement_rows GROUP BY ALL) e USING (label_key)
       JOIN texts lb ON lb.key = d.label_key`,
];

/** Version 4: the narrow flow table, filled from the v3 `flows` table in the migration's one transaction. */
const V4_STATEMENTS = [
  `CREATE TABLE texts (key UINTEGER NOT NULL, text VARCHAR NOT NULL)`,
  `CREATE TABLE matched_labels (matched_key UINTEGER NOT NULL, label_key UINTEGER NOT NULL)`,
  CREATE_FLOW_ROWS,
  `INSERT INTO texts SELECT (row_number() OVER (ORDER BY v))::UINTEGER, v FROM (
     SELECT DISTINCT v FROM (
       SELECT unnest([raw_action, transport, device, rule, app, end_reason, format, file, input_id, run_id, matched, ${V3_LOG_DEVICE}]) AS v FROM flows
       UNION ALL SELECT unnest(string_split(matched, ';')) AS v FROM flows WHERE matched IS NOT NULL)
     WHERE v IS NOT NULL)`,
  `INSERT INTO matched_labels SELECT m.key, l.key FROM (
     SELECT matched, unnest(string_split(matched, ';')) AS label FROM (SELECT DISTINCT matched FROM flows WHERE matched IS NOT NULL)) d
     JOIN texts m ON m.text = d.matched JOIN texts l ON l.text = d.label`,
  `INSERT INTO flow_rows SELECT f.ts, CASE f.action WHEN 'deny' THEN 1 WHEN 'allow' THEN 2 ELSE 0 END,
     CASE f.direction WHEN 'inbound' THEN 1 WHEN 'outbound' THEN 2 WHEN 'forward' THEN 3 END, tr.key,
     ${ipv4Int('f.src_ip')}, ${ipv4Rest('f.src_ip')}, f.src_port, ${ipv4Int('f.dst_ip')}, ${ipv4Rest('f.dst_ip')}, f.dst_port,
     ra.key, dv.key, ru.key, ap.key, er.key, f.bytes, f.packets, f.host, f.url, fm.key, fl.key, f.line, ii.key, rn.key, mt.key, ld.key
     FROM (SELECT *, ${V3_LOG_DEVICE} AS log_device FROM flows) f
     ${KEYED.map(([a, , c]) => `LEFT JOIN texts ${a} ON ${a}.text = f.${c}`).join(' ')}`,
  CREATE_BLOCKED_GROUPS,
  `INSERT INTO blocked_groups SELECT src4, src_text, dst4, dst_text, transport_key, dst_port, count(*), min(ts), max(ts)
     FROM flow_rows WHERE action = 1
      AND run_key IN (SELECT t.key FROM texts t JOIN runs r ON r.run_id = t.text WHERE r.finished_at IS NOT NULL)
    GROUP BY ALL`,
  `DROP VIEW current_status`, `DROP VIEW requirement_daily`, `DROP VIEW requirement_flows`, `DROP VIEW stored_flows`,
  `DROP VIEW complete_runs`,
  `DROP TABLE flows`,
  ...VIEWS_V4,
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
  {
    version: 4,
    description: 'narrow flow table: addresses as integers, codes, dictionary keys; the flows view gives the text back',
    statements: V4_STATEMENTS,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
