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
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
