/**
 * DuckDB store measurements, called at the end of `npm run bench` (scripts/bench.ts):
 *
 * 1. Ingest throughput: the generated iptables file through the real ingest path (`ingestInto`: matcher +
 *    Appender) into a fresh store, with `keep all` (every flow is a row) and with the default keep (denied +
 *    matched), beside parse-only flows/s measured in the same run on the same file.
 * 2. Report build on a big store: a store of `--store-flows N` flows (default 10,000,000) is built with DuckDB SQL
 *    itself (`INSERT INTO flow_rows SELECT … FROM range(N)` in the narrow layout, realistic columns, two finished runs with findings derived
 *    from the flows and a full matrix), then the report model is built and rendered as HTML, timed.
 *
 * Each measurement runs in its own process (this file with `ingest …` / `report …` arguments) so that the peak
 * RSS printed is that measurement's. Options: --store-flows N, --skip-store.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface WorkerResult { lines: number; flows: number; seconds: number; bytes: number; maxRssMB: number; errors: string[]; findings: number | null }

export interface StoreBenchOptions {
  data: string;
  lines: number;
  generate: (family: string, lines: number, suffix?: string) => Promise<string>;
  runWorker: (args: string[]) => WorkerResult;
  fmt: (n: number) => string;
}

const SELF = fileURLToPath(import.meta.url);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

function child<T>(args: string[]): T {
  const r = spawnSync(process.execPath, [SELF, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`bench-store ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

function removeDb(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

interface IngestResult { flows: number; stored: number; seconds: number; maxRssMB: number; dbBytes: number; errors: string[] }
interface ReportResult {
  flows: number; buildSeconds: number; dbBytes: number; modelSeconds: number; htmlSeconds: number; htmlBytes: number; cpuSeconds: number;
  findings: number; requirements: number; newViolations: number; resolved: number; topBlocked: number; maxRssMB: number;
}

export async function runStoreBench(o: StoreBenchOptions): Promise<void> {
  if (process.argv.includes('--skip-store')) return;
  const storeFlows = Number(arg('--store-flows', '10000000'));
  if (!Number.isInteger(storeFlows) || storeFlows < 1000) throw new Error(`--store-flows: expected an integer ≥ 1000, got ${arg('--store-flows', '')}`);
  const { writeBenchInventory } = await import('./bench-match.js');
  const inventory = writeBenchInventory(o.data);
  const file = await o.generate('iptables', o.lines);

  console.log('\nDuckDB store');
  const parse = [0, 1].map(() => o.runWorker(['parse', file])).reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  const parseRate = parse.flows / parse.seconds;
  console.log(`  parse-only (same file, this run): ${o.fmt(parse.flows)} flows in ${parse.seconds.toFixed(2)} s = ${o.fmt(parseRate)} flows/s`);
  // What `analyze` does (parse + match, same inventory): the reference of the ingest target (≥ 0.5 × its rate).
  const match = [0, 1].map(() => o.runWorker(['match', file, inventory])).reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  const matchRate = match.flows / match.seconds;
  console.log(`  parse + match (analyze's work, this run): ${o.fmt(matchRate)} flows/s`);
  for (const keep of ['all', 'default']) {
    const db = join(o.data, `bench-ingest-${keep}.duckdb`);
    removeDb(db);
    const r = child<IngestResult>(['ingest', file, db, inventory, keep]);
    removeDb(db);
    if (r.errors.length) console.log(`  ingest errors: ${r.errors.join('; ')}`);
    const rate = r.flows / r.seconds;
    console.log(`  ingest keep ${keep.padEnd(7)}: ${o.fmt(r.flows)} flows read, ${o.fmt(r.stored)} rows stored in ${r.seconds.toFixed(2)} s = `
      + `${o.fmt(rate)} flows/s (${(rate / parseRate * 100).toFixed(0)} % of parse-only, ${(rate / matchRate).toFixed(2)} × parse + match; target ≥ 0.5), `
      + `store ${mb(r.dbBytes)}, peak RSS ${r.maxRssMB.toFixed(0)} MB (target < 300)`);
  }

  const big = join(o.data, `bench-report-${storeFlows}.duckdb`);
  removeDb(big);
  const rep = child<ReportResult>(['report', big, String(storeFlows)]);
  removeDb(big);
  console.log(`  report store: ${o.fmt(rep.flows)} flows built with SQL in ${rep.buildSeconds.toFixed(1)} s (${mb(rep.dbBytes)}); `
    + `${rep.findings} findings, ${rep.requirements} requirements, ${rep.newViolations} new / ${rep.resolved} resolved, top ${rep.topBlocked} blocked`);
  console.log(`  report model ${rep.modelSeconds.toFixed(2)} s + HTML render ${rep.htmlSeconds.toFixed(2)} s (${(rep.htmlBytes / 1e3).toFixed(0)} kB); `
    + `CPU ${rep.cpuSeconds.toFixed(2)} s (both threads); peak RSS of the report process ${rep.maxRssMB.toFixed(0)} MB (targets < 3 s, < 500 MB)`);
}

// ---------------------------------------------------------------------------------------------------
// Child processes

async function ingestChild(file: string, db: string, inventoryPath: string, keep: string): Promise<void> {
  const { Store } = await import('../src/store/store.js');
  const { ingestInto, loadAnalysisConfig } = await import('../src/cli/commands/ingest.js');
  const { rulesets, inventory } = await loadAnalysisConfig({ inventory: inventoryPath });
  const store = await Store.open(db);
  const t0 = process.hrtime.bigint();
  const r = await ingestInto(store, [file], { rulesets, inventory, read: { tz: 'UTC', year: 2026 }, keep: keep === 'all' ? 'all' : undefined });
  await store.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({
    flows: r.flows, stored: r.stored, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, dbBytes: statSync(db).size,
    errors: r.summaries.map((s) => s.error).filter((e): e is string => e !== null),
  } satisfies IngestResult) + '\n');
}

/** Builds a big store with SQL: flows over ~4 weeks, two finished runs, findings derived from the flows, a full matrix. */
async function buildBigStore(db: string, n: number): Promise<{ seconds: number; findings: number; requirements: number }> {
  const { Store } = await import('../src/store/store.js');
  const { resolveRulesets } = await import('../src/rulesets/load.js');
  const store = await Store.open(db);
  const t0 = process.hrtime.bigint();
  const c = store.connection;
  const runs = [
    { id: 'run-previous', started: '2026-03-28 02:30:00', finished: '2026-03-28 02:34:00' },
    { id: 'run-latest', started: '2026-03-29 02:30:00', finished: '2026-03-29 02:35:00' },
  ];
  for (const r of runs) {
    await c.run(`INSERT INTO runs (run_id, started_at, finished_at, fwaudit_version, inputs, lines, flows, findings, ruleset_versions, skipped, stored_flows)
                 VALUES ($1, CAST($2 AS TIMESTAMP), CAST($3 AS TIMESTAMP), 'bench', 1, $4, $4, 0, '{}', 0, $5)`,
    [r.id, r.started, r.finished, n, Math.floor(n / 2)]);
    await c.run(`INSERT INTO inputs (input_id, path, format, dialect, size, lines, flows, skipped, notes, error, first_run_id)
                 VALUES ($1, $2, 'iptables', 'bsd', $3, $4, $4, '[]', '{}', NULL, $5)`, [`bench:${r.id}`, `/var/log/${r.id}.log`, n * 230, Math.floor(n / 2), r.id]);
  }
  // Flows: 80 % denied, half of them on requirement ports, 4 × 256 × 250 sources, 30 servers, 250 ms apart (~4 weeks for 10 M).
  // Written straight into the narrow table (schema v4): texts first, then flow_rows with their keys. TCP flows to
  // the four requirement ports below carry that requirement as their matched label (allowed ones too).
  const texts = ['[UFW ALLOW]', '[UFW BLOCK]', 'udp', 'tcp', 'gw01', 'iptables', '/var/log/run-previous.log', '/var/log/run-latest.log',
    'bench:run-previous', 'bench:run-latest', 'run-previous', 'run-latest',
    'groundlabs-er/node-agent-to-master', 'escan/client-update-check', 'gfi-languard/server-to-agent-smb', 'gfi-languard/agent-to-server'];
  const k = (text: string) => texts.indexOf(text) + 1;
  for (const [i, text] of texts.entries()) await c.run(`INSERT INTO texts VALUES ($1, $2)`, [i + 1, text]);
  for (const label of texts.slice(12)) await c.run(`INSERT INTO matched_labels VALUES ($1, $1)`, [k(label)]);
  const half = Math.floor(n / 2);
  await c.run(`
    INSERT INTO flow_rows
    SELECT ts, action, 1, transport_key, src4, NULL, src_port, dst4, NULL, dst_port, raw_action_key, ${k('gw01')}, raw_action_key, NULL, NULL,
           NULL, NULL, NULL, NULL, ${k('iptables')}, CASE WHEN i < ${half} THEN ${k('/var/log/run-previous.log')} ELSE ${k('/var/log/run-latest.log')} END,
           i % ${half} + 1, CASE WHEN i < ${half} THEN ${k('bench:run-previous')} ELSE ${k('bench:run-latest')} END,
           CASE WHEN i < ${half} THEN ${k('run-previous')} ELSE ${k('run-latest')} END,
           CASE WHEN transport_key = ${k('tcp')} THEN CASE dst_port WHEN 11117 THEN ${k(texts[12]!)} WHEN 3333 THEN ${k(texts[13]!)}
                WHEN 445 THEN ${k(texts[14]!)} WHEN 1072 THEN ${k(texts[15]!)} END END,
           ${k('gw01')}
      FROM (SELECT i, TIMESTAMP '2026-03-01 00:00:00' + to_milliseconds(i * 250) AS ts,
                   CASE WHEN h % 5 = 0 THEN 2 ELSE 1 END AS action,
                   CASE WHEN h % 5 = 0 THEN ${k('[UFW ALLOW]')} ELSE ${k('[UFW BLOCK]')} END AS raw_action_key,
                   CASE WHEN (h >> 8) % 7 = 0 THEN ${k('udp')} ELSE ${k('tcp')} END AS transport_key,
                   (10 * 16777216 + (40 + (h >> 12) % 4) * 65536 + ((h >> 16) % 256) * 256 + (1 + (h >> 24) % 250))::UINTEGER AS src4,
                   1024 + ((h >> 32) % 60000)::INTEGER AS src_port,
                   (10 * 16777216 + 10 * 65536 + 0 * 256 + (1 + (h >> 40) % 30))::UINTEGER AS dst4,
                   CASE WHEN (h >> 46) % 2 = 0 THEN [22, 53, 80, 135, 139, 443, 445, 1072, 1070, 2021, 3333, 11117, 8080, 3389, 49700, 50001][(1 + (h >> 47) % 16)::BIGINT]
                        ELSE 1024 + (h >> 50) % 60000 END::INTEGER AS dst_port
              FROM (SELECT range AS i, hash(range) AS h FROM range(${n})))`);
  // The denied-flow groups every run keeps up to date (store.finishRun does it for a real run).
  await c.run(`INSERT INTO blocked_groups SELECT src4, src_text, dst4, dst_text, transport_key, dst_port, count(*), min(ts), max(ts)
                 FROM flow_rows WHERE action = 1 GROUP BY ALL`);
  // Findings: denied flows on requirement ports from one /24 per run (the previous run's /24 differs: new + resolved).
  const reqs: Array<[string, string, string, number]> = [
    ['groundlabs-er', 'node-agent-to-master', 'Ground Labs Enterprise Recon', 11117],
    ['escan', 'client-update-check', 'eScan', 3333],
    ['gfi-languard', 'server-to-agent-smb', 'GFI LanGuard', 445],
    ['gfi-languard', 'agent-to-server', 'GFI LanGuard', 1072],
  ];
  for (const [ri, r] of runs.entries()) {
    for (const [product, requirement, name, port] of reqs) {
      await c.run(`
        INSERT INTO findings (run_id, product, requirement, confidence, transport, src_ip, dst_ip, dst_port, src_role, dst_role, count,
                              first_seen, last_seen, devices, rules, symptom, purpose, source, evidence, product_name, necessity, ports, opening, candidates)
        SELECT $1, $2, $3, 'confirmed', 'tcp', fw_ip(src4, NULL), fw_ip(dst4, NULL), dst_port, 'client', 'server', count(*), min(ts), max(ts),
               ['gw01'], ['[UFW BLOCK]'], 'Clients cannot reach the server', 'bench requirement', 'bench.txt § 1',
               '[{"file":"/var/log/bench.log","line":1}]', $4, 'required', CAST($5 AS VARCHAR), 'TCP ' || $5 || ' from clients to servers', NULL
          FROM flow_rows WHERE run_key = $6 AND action = 1 AND transport_key = $7 AND dst_port = $5 AND src4 >> 8 = $8
         GROUP BY src4, dst4, dst_port`, [r.id, product, requirement, name, port, k(r.id), k('tcp'), (10 * 65536 + 40 * 256 + ri + 1)]);
    }
  }
  // Matrix: every built-in requirement; the four above violated, the rest unobserved.
  let requirements = 0;
  for (const rs of resolveRulesets([])) {
    for (const q of rs.requirements) {
      const bad = reqs.some(([p, id]) => p === rs.id && id === q.id);
      for (const r of runs) {
        await c.run(`INSERT INTO matrix (run_id, product, requirement, necessity, status, allows, denies, first_seen, last_seen, purpose, source)
                     VALUES ($1, $2, $3, $4, $5, 0, $6, NULL, NULL, $7, 'bench')`,
        [r.id, rs.id, q.id, q.necessity, bad ? 'violated' : 'unobserved', bad ? 1000 : 0, q.purpose]);
      }
      requirements++;
    }
  }
  await c.run(`UPDATE runs SET findings = (SELECT count(*) FROM findings f WHERE f.run_id = runs.run_id)`);
  const [{ n: findings }] = (await store.all(`SELECT count(*) AS n FROM findings WHERE run_id = 'run-latest'`)) as [{ n: number }];
  await c.run('CHECKPOINT');
  await store.close();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, findings, requirements };
}

async function buildChild(db: string, n: number): Promise<void> {
  const built = await buildBigStore(db, n);
  process.stdout.write(JSON.stringify(built) + '\n');
}

/** Builds the store in one process (unless it exists), then times the report in another (its own peak RSS). */
async function reportChild(db: string, n: number): Promise<void> {
  const { existsSync } = await import('node:fs');
  const built = existsSync(db) ? { seconds: 0, findings: 0, requirements: 0 } : child<{ seconds: number; findings: number; requirements: number }>(['build', db, String(n)]);
  const r = child<ReportResult>(['report-only', db, String(n)]);
  process.stdout.write(JSON.stringify({ ...r, buildSeconds: built.seconds, findings: built.findings || r.findings } satisfies ReportResult) + '\n');
}

async function reportOnlyChild(db: string, n: number): Promise<void> {
  const { openExistingStore } = await import('../src/store/store.js');
  const { buildReportModel } = await import('../src/reports/model.js');
  const { renderHtml } = await import('../src/reports/html.js');
  const store = await openExistingStore(db);
  const [{ findings }] = (await store.all(`SELECT count(*) AS findings FROM findings WHERE run_id = 'run-latest'`)) as [{ findings: number }];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const model = await buildReportModel(store, { now: new Date('2026-03-29T03:00:00Z') });
  const t1 = process.hrtime.bigint();
  const html = renderHtml(model);
  const t2 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  process.stdout.write(JSON.stringify({
    flows: n, buildSeconds: 0, dbBytes: statSync(db).size, modelSeconds: Number(t1 - t0) / 1e9, htmlSeconds: Number(t2 - t1) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6, htmlBytes: Buffer.byteLength(html), findings, requirements: model.requirements.length,
    newViolations: model.changes.new.length, resolved: model.changes.resolved.length, topBlocked: model.top_blocked.items.length,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  } satisfies ReportResult) + '\n');
}

if (process.argv[1] && fileURLToPath(new URL(`file://${process.argv[1]}`)) === SELF) {
  const [mode, ...rest] = process.argv.slice(2);
  const work = mode === 'ingest' ? ingestChild(rest[0]!, rest[1]!, rest[2]!, rest[3] ?? 'default')
    : mode === 'report' ? reportChild(rest[0]!, Number(rest[1]))
      : mode === 'build' ? buildChild(rest[0]!, Number(rest[1]))
        : mode === 'report-only' ? reportOnlyChild(rest[0]!, Number(rest[1]))
      : Promise.reject(new Error(`usage: bench-store.js ingest FILE DB INVENTORY [all|default] | report DB FLOWS`));
  work.catch((e) => { console.error(e); process.exit(1); });
}
