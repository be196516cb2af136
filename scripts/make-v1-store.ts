/**
 * Writes fixtures/store/v1-store.db: a tiny store in schema version 1, for the migration test
 * (test/store-migrate.test.ts). Run after a build:  node dist/scripts/make-v1-store.js [OUT]
 * The file is regenerated only when the v1 fixture must change; the schema it uses (V1_STATEMENTS) is frozen.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { V1_STATEMENTS } from '../src/store/schema.js';

const out = process.argv[2] ?? 'fixtures/store/v1-store.db';
for (const f of [out, `${out}.wal`]) if (existsSync(f)) unlinkSync(f);

const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
// 16 KiB blocks keep the fixture small (the default 256 KiB blocks make a ~0.5 MB file).
// The .db extension (not .duckdb) keeps it out of the *.duckdb ignore pattern.
await c.run(`ATTACH '${out.replace(/'/g, "''")}' AS v1 (BLOCK_SIZE 16384)`);
await c.run('USE v1');
for (const s of V1_STATEMENTS) await c.run(s);
await c.run(`INSERT INTO schema_version VALUES (1, TIMESTAMP '2026-03-01 00:00:00', 'initial layout')`);
await c.run(`INSERT INTO runs VALUES ('run-v1', TIMESTAMP '2026-03-01 08:00:00', TIMESTAMP '2026-03-01 08:00:05', '0.0.9', 1, 4, 3, 1)`);
await c.run(`INSERT INTO inputs VALUES ('310:aaaaaaaa', 'logs/pfirewall.log', 'winfw', 4, 3, 'run-v1')`);
await c.run(`INSERT INTO flows VALUES
  (TIMESTAMP '2026-03-01 07:00:01', 'deny', 'DROP', 'tcp', '10.40.0.21', 50001, '10.10.0.11', 11117, 'inbound', 'SRV1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'winfw', 'logs/pfirewall.log', 6, '310:aaaaaaaa'),
  (TIMESTAMP '2026-03-01 07:00:02', 'deny', 'DROP', 'tcp', '10.40.0.21', 50002, '10.10.0.11', 11117, 'inbound', 'SRV1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'winfw', 'logs/pfirewall.log', 7, '310:aaaaaaaa'),
  (TIMESTAMP '2026-03-02 09:30:00', 'deny', 'DROP', 'udp', '10.40.0.22', 53000, '10.10.0.12', 161, 'inbound', 'SRV2', 'O''Brien rule', NULL, NULL, NULL, NULL, NULL, NULL, 'winfw', 'logs/pfirewall.log', 8, '310:aaaaaaaa')`);
await c.run(`INSERT INTO findings VALUES ('run-v1', 'escan', 'agent-push', 'confirmed', 'tcp', '10.40.0.21', '10.10.0.11', 11117,
  'console', 'agent', 2, TIMESTAMP '2026-03-01 07:00:01', TIMESTAMP '2026-03-01 07:00:02', ['SRV1'], [], 'agents do not update',
  'push updates', 'escan.txt § Ports', '[{"file":"logs/pfirewall.log","line":6}]')`);
await c.run(`INSERT INTO matrix VALUES
  ('run-v1', 'escan', 'agent-push', 'required', 'violated', 0, 2, TIMESTAMP '2026-03-01 07:00:01', TIMESTAMP '2026-03-01 07:00:02', 'push updates', 'escan.txt § Ports'),
  ('run-v1', 'escan', 'console-web', 'optional', 'unobserved', 0, 0, NULL, NULL, 'web console', 'escan.txt § Ports')`);
await c.run('USE memory');
await c.run('DETACH v1');
c.closeSync();
inst.closeSync();
console.log(`wrote ${out}`);
