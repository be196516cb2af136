/**
 * The store through the CLI: `ingest` and `analyze --db` write runs, inputs, flows, findings and matrix; an input
 * already in the store is skipped (no count changes); `--keep` decides which flows are stored; two runs over two
 * days of logs give NEW and RESOLVED violations in `fwaudit report`.
 */
import { describe, expect, it } from 'vitest';
import type { ReportModel } from '../src/reports/model.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';
import { schemaErrors } from './helpers/schemas.js';

const INV = ['--inventory', 'fixtures/demo/inventory.yaml', '--tz', 'UTC', '--year', '2026'];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'fwaudit-store-'));
}

/** Rows of a query as objects. */
function q(db: string, sql: string): Array<Record<string, unknown>> {
  const r = runCli(['query', '--db', db, '--json', sql]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

function counts(db: string): Record<string, unknown> {
  return q(db, `SELECT (SELECT count(*) FROM flows) AS flows, (SELECT count(*) FROM inputs) AS inputs,
    (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM findings) AS findings, (SELECT count(*) FROM matrix) AS matrix`)[0]!;
}

describe('ingest', () => {
  const db = join(tmp(), 'demo.duckdb');
  const first = runCli(['ingest', 'fixtures/demo/logs', '--db', db, ...INV]);

  it('stores denied and requirement-matched flows, inputs, findings and the matrix as one run', () => {
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('fixtures/demo/logs/pa-3220.log: panos-syslog (bsd): 106 lines = 106 flows + 0 not-flow + 0 malformed');
    expect(first.stderr).toMatch(/^Run [0-9a-f-]{36} → .*demo\.duckdb: 3 new input\(s\), 0 resumed, 0 already ingested; 151 lines, 145 flows, 145 stored; findings 4 confirmed, 0 probable, 0 port-only\nStore: 4 requirement\(s\) failing now \(3 violated, 1 intermittent\): escan\/client-update-check, finjan-vsos\/policy-updates, gfi-languard\/server-to-target-rpc-dynamic, groundlabs-er\/node-agent-to-master$/m);
    expect(counts(db)).toEqual({ flows: 145, inputs: 3, runs: 1, findings: 4, matrix: 95 });
    expect(q(db, `SELECT action, count(*) AS n, count(matched) AS matched FROM flows GROUP BY action ORDER BY action`))
      .toEqual([{ action: 'allow', n: 33, matched: 33 }, { action: 'deny', n: 112, matched: 95 }]);
    const [run] = q(db, `SELECT run_id, inputs, lines, flows, findings, skipped, stored_flows, finished_at IS NOT NULL AS finished FROM runs`);
    expect(run).toMatchObject({ inputs: 3, lines: 151, flows: 145, findings: 4, skipped: 5, stored_flows: 145, finished: true });
    // every flow carries its run and its input
    expect(q(db, `SELECT count(*) AS n FROM flows f JOIN inputs i USING (input_id) WHERE f.run_id = '${String(run!.run_id)}'`)).toEqual([{ n: 145 }]);
    expect(q(db, `SELECT path, format, lines, flows FROM inputs ORDER BY path`)).toEqual([
      { path: 'fixtures/demo/logs/gw01-kern.log', format: 'iptables', lines: 20, flows: 19 },
      { path: 'fixtures/demo/logs/pa-3220.log', format: 'panos-syslog', lines: 106, flows: 106 },
      { path: 'fixtures/demo/logs/target-10.20.0.33-pfirewall.log', format: 'winfw', lines: 25, flows: 20 },
    ]);
    expect(q(db, `SELECT DISTINCT matched FROM flows WHERE dst_port = 11117 AND src_ip = '10.40.0.7'`)).toEqual([{ matched: 'groundlabs-er/node-agent-to-master' }]);
    expect(q(db, `SELECT status, count(*) AS n FROM matrix GROUP BY status ORDER BY status`)).toEqual([
      { status: 'intermittent', n: 1 }, { status: 'ok', n: 5 }, { status: 'unobserved', n: 86 }, { status: 'violated', n: 3 },
    ]);
    expect(q(db, `SELECT product, requirement, src_ip, count FROM findings WHERE product = 'groundlabs-er'`))
      .toEqual([{ product: 'groundlabs-er', requirement: 'node-agent-to-master', src_ip: '10.40.0.7', count: 65 }]);
  });

  it('skips inputs already in the store: a new run, no other count changes', () => {
    const again = runCli(['ingest', 'fixtures/demo/logs', '--db', db, ...INV]);
    expect(again.code).toBe(0);
    expect(again.stderr.split('\n').filter((l) => l.endsWith(': already ingested, skipped'))).toEqual([
      'fixtures/demo/logs/gw01-kern.log: already ingested, skipped',
      'fixtures/demo/logs/pa-3220.log: already ingested, skipped',
      'fixtures/demo/logs/target-10.20.0.33-pfirewall.log: already ingested, skipped',
    ]);
    expect(again.stderr).toMatch(/^Run [0-9a-f-]{36} → .*demo\.duckdb: nothing new \(3 input\(s\) already ingested\)\nStore: 4 requirement\(s\) failing now/m);
    const c = counts(db);
    expect(c).toMatchObject({ flows: 145, inputs: 3, runs: 2, findings: 4 });
    expect(q(db, `SELECT inputs, flows, stored_flows FROM runs ORDER BY started_at`)).toEqual([
      { inputs: 3, flows: 145, stored_flows: 145 }, { inputs: 0, flows: 0, stored_flows: 0 },
    ]);
  });

  it('identifies inputs by content: a copy under another name is skipped too', () => {
    const dir = tmp();
    const copy = join(dir, 'renamed.log');
    writeFileSync(copy, readFileSync('fixtures/demo/logs/gw01-kern.log'));
    const r = runCli(['ingest', copy, '--db', db, ...INV]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${copy}: already ingested, skipped`);
    expect(counts(db)).toMatchObject({ flows: 145, inputs: 3 });
  });
});

describe('--keep', () => {
  // day 1 of the history: 9 flows; 4 denied (one on no requirement port), 5 allowed (one on no requirement port)
  const keep = (mode: string | null) => {
    const db = join(tmp(), 'k.duckdb');
    const r = runCli(['ingest', 'fixtures/history/day1', '--db', db, ...INV, ...(mode ? ['--keep', mode] : [])]);
    expect(r.code).toBe(0);
    return q(db, `SELECT action, dst_port, count(*) AS n FROM flows GROUP BY ALL ORDER BY action, dst_port`);
  };

  it('default keeps denied flows and flows that matched a requirement', () => {
    expect(keep(null)).toEqual([
      { action: 'allow', dst_port: 445, n: 2 }, { action: 'allow', dst_port: 3333, n: 2 },
      { action: 'deny', dst_port: 23, n: 1 }, { action: 'deny', dst_port: 11117, n: 3 },
    ]);
  });
  it('all keeps every flow', () => {
    expect(keep('all')).toEqual([
      { action: 'allow', dst_port: 445, n: 2 }, { action: 'allow', dst_port: 3333, n: 2 }, { action: 'allow', dst_port: 8443, n: 1 },
      { action: 'deny', dst_port: 23, n: 1 }, { action: 'deny', dst_port: 11117, n: 3 },
    ]);
  });
  it('denied and matched keep what they say', () => {
    expect(keep('denied')).toEqual([{ action: 'deny', dst_port: 23, n: 1 }, { action: 'deny', dst_port: 11117, n: 3 }]);
    expect(keep('matched')).toEqual([
      { action: 'allow', dst_port: 445, n: 2 }, { action: 'allow', dst_port: 3333, n: 2 }, { action: 'deny', dst_port: 11117, n: 3 },
    ]);
  });
  it('rejects an unknown mode and --keep without --db', () => {
    expect(runCli(['ingest', 'fixtures/history/day1', '--db', join(tmp(), 'x.duckdb'), '--keep', 'some']).code).toBe(2);
    expect(runCli(['analyze', 'fixtures/history/day1', '--keep', 'all']).code).toBe(2);
  });
});

describe('analyze --db', () => {
  it('prints the analysis and stores the run with its findings and matrix', () => {
    const db = join(tmp(), 'a.duckdb');
    const r = runCli(['analyze', 'fixtures/demo/logs', ...INV, '--db', db, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { findings: Array<{ product: string; requirement: string; src_ip: string; count: number }> };
    expect(r.stderr).toMatch(/Run [0-9a-f-]{36} → .*a\.duckdb: 3 new input\(s\)/);
    const stored = q(db, `SELECT product, requirement, src_ip, count FROM findings ORDER BY product, requirement, src_ip`);
    expect(stored).toEqual(out.findings.map((f) => ({ product: f.product, requirement: f.requirement, src_ip: f.src_ip, count: f.count }))
      .sort((a, b) => `${a.product}/${a.requirement}/${a.src_ip}`.localeCompare(`${b.product}/${b.requirement}/${b.src_ip}`)));
    expect(stored).toHaveLength(4);
    expect(q(db, `SELECT status, denies, allows FROM matrix WHERE requirement = 'node-agent-to-master'`)).toEqual([{ status: 'intermittent', denies: 65, allows: 20 }]);
    expect(counts(db)).toEqual({ flows: 145, inputs: 3, runs: 1, findings: 4, matrix: 95 });
  });

  it('terminal output names the stored run', () => {
    const db = join(tmp(), 'b.duckdb');
    const r = runCli(['analyze', 'fixtures/history/day1', ...INV, '--db', db, '--fail-on', 'violated']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('CONFIRMED  Ground Labs Enterprise Recon node-agent 10.40.0.7 cannot reach its master 10.10.0.11 on TCP 11117');
    expect(r.stderr).toMatch(/^Run [0-9a-f-]{36} → .*b\.duckdb: 3 new input\(s\), 0 resumed, 0 already ingested; 14 lines, 9 flows, 8 stored/m);
    expect(r.stderr).toMatch(/^Store: 1 requirement\(s\) failing now \(1 violated, 0 intermittent\): groundlabs-er\/node-agent-to-master$/m);
    // A second analyze --db with nothing new: still failing in the store, still exit 1.
    const again = runCli(['analyze', 'fixtures/history/day1', ...INV, '--db', db, '--fail-on', 'violated']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/nothing new \(3 input\(s\) already ingested\)\nStore: 1 requirement\(s\) failing now/);
    expect(again.stderr).toContain('fwaudit: --fail-on violated: reached (failing now in the store)');
  });
});

describe('history: two days, two runs', () => {
  const db = join(tmp(), 'h.duckdb');
  const d1 = runCli(['ingest', 'fixtures/history/day1', '--db', db, ...INV]);
  const d2 = runCli(['ingest', 'fixtures/history/day2', '--db', db, ...INV]);

  it('day 1 has violation A, day 2 has A fixed and violation B', () => {
    expect([d1.code, d2.code]).toEqual([0, 0]);
    expect(q(db, `SELECT r.inputs, f.product, f.requirement, f.src_ip, f.dst_ip, f.dst_port, f.count FROM findings f JOIN runs r USING (run_id) ORDER BY r.started_at`)).toEqual([
      { inputs: 3, product: 'groundlabs-er', requirement: 'node-agent-to-master', src_ip: '10.40.0.7', dst_ip: '10.10.0.11', dst_port: 11117, count: 3 },
      { inputs: 3, product: 'escan', requirement: 'client-update-check', src_ip: '10.60.0.15', dst_ip: '10.10.0.6', dst_port: 3333, count: 3 },
    ]);
  });

  it('the Markdown report lists A as resolved and B as new, at requirement level', () => {
    const r = runCli(['report', '--db', db, '--format', 'md']);
    expect(r.code).toBe(0);
    const start = r.stdout.indexOf('## Changes since the previous run');
    expect(r.stdout.slice(start, r.stdout.indexOf('\n## ', start + 3)).trim()).toBe([
      '## Changes since the previous run', '',
      '- **escan / client-update-check**: violated (was ok), failing since 2026-03-11T08:30:00.000Z; 10.60.0.15 → 10.10.0.6 tcp/3333 ×3',
      '- **groundlabs-er / node-agent-to-master**: ok (was violated), allowed again since 2026-03-11T09:00:05.000Z; 10.40.0.7 → 10.10.0.11 tcp/11117 ×2',
    ].join('\n'));
  });

  it('the JSON report lists A as resolved and B as new', () => {
    const r = runCli(['report', '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as ReportModel;
    expect(m.changes.new.map((c) => [c.product, c.requirement, c.previous_status, c.status])).toEqual([['escan', 'client-update-check', 'ok', 'violated']]);
    expect(m.changes.new[0]!.hosts).toEqual({ items: [{ src_ip: '10.60.0.15', dst_ip: '10.10.0.6', transport: 'tcp', dst_port: 3333, count: 3, last_seen: '2026-03-11T08:52:00.000Z' }], more: 0 });
    expect(m.changes.resolved.map((c) => [c.product, c.requirement, c.since])).toEqual([['groundlabs-er', 'node-agent-to-master', '2026-03-11T09:00:05.000Z']]);
    expect(m.summary).toMatchObject({ new: 1, resolved: 1 });
    const a = m.requirements.find((x) => x.requirement === 'node-agent-to-master')!;
    expect(a).toMatchObject({ status: 'ok', outages: [{ from: '2026-03-10T09:00:05.000Z', to: '2026-03-10T09:06:09.000Z', denies: 3, ongoing: false }] });
    expect(a.timeline).toEqual([{ date: '2026-03-10', denies: 3, allows: 0, status: 'violated' }, { date: '2026-03-11', denies: 0, allows: 2, status: 'ok' }]);
    expect(m.requirements.find((x) => x.requirement === 'client-update-check')?.status).toBe('violated');
  });
});

describe('ingest: bad input and bad stores', () => {
  it('an unreadable input exits 2, the others are stored, the error is recorded for coverage and retried', () => {
    const db = join(tmp(), 'e.duckdb');
    const r = runCli(['ingest', 'fixtures/history/day2/gw01-kern-day2.log', 'no/such/file.log', '--db', db, ...INV]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such/file.log: ERROR cannot read');
    expect(q(db, `SELECT path, flows, error IS NOT NULL AS failed FROM inputs ORDER BY path`)).toEqual([
      { path: 'fixtures/history/day2/gw01-kern-day2.log', flows: 3, failed: false },
      { path: 'no/such/file.log', flows: 0, failed: true },
    ]);
    const again = runCli(['ingest', 'no/such/file.log', '--db', db, ...INV]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no/such/file.log: ERROR cannot read');
    expect(again.stderr).not.toContain(': already ingested, skipped');
  });

  it('reads stdin like a file, and knows it again', () => {
    const db = join(tmp(), 's.duckdb');
    const input = readFileSync('fixtures/history/day2/gw01-kern-day2.log');
    const r = runCli(['ingest', '-', '--db', db, ...INV], { input });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('-: iptables (bsd): 3 lines = 3 flows + 0 not-flow + 0 malformed');
    expect(q(db, `SELECT DISTINCT file FROM flows`)).toEqual([{ file: '-' }]);
    const again = runCli(['ingest', '-', '--db', db, ...INV], { input });
    expect(again.stderr).toContain('-: already ingested, skipped');
    expect(counts(db)).toMatchObject({ flows: 3, inputs: 1, runs: 2 });
  });

  it('a file that is not a store gives a clear error and exit 2', () => {
    const dir = tmp();
    const bad = join(dir, 'not-a-store.duckdb');
    writeFileSync(bad, 'this is not a database\n'.repeat(200));
    const r = runCli(['ingest', 'fixtures/history/day1', '--db', bad, ...INV]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^fwaudit: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot open store`));
    const a = runCli(['analyze', 'fixtures/history/day1', '--db', bad, ...INV]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('cannot open store');
  });

  it('a bad inventory is a configuration error (exit 2) with file:line', () => {
    const dir = tmp();
    const inv = join(dir, 'inv.yaml');
    writeFileSync(inv, 'deployments:\n  - product: no-such-product\n    roles: {}\n');
    const r = runCli(['ingest', 'fixtures/history/day1', '--db', join(dir, 'x.duckdb'), '--inventory', inv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${inv}:2: deployments[0].product: unknown product "no-such-product"`);
  });
});

describe('streams: ingest and run print nothing on stdout (diagnostics on stderr)', () => {
  it('ingest with a missing input: exit 2, stdout empty, stderr names the input; run --config: stdout empty', () => {
    const dir = tmp();
    const r = runCli(['ingest', 'no/such/missing-input.log', '--db', join(dir, 's.duckdb'), ...INV]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no/such/missing-input.log');
    const cfg = join(dir, 'fwaudit.yaml');
    writeFileSync(cfg, `inputs: [${join(ROOT, 'fixtures/history/day1')}]\ninventory: ${join(ROOT, 'fixtures/demo/inventory.yaml')}\nstore: s.duckdb\ntz: UTC\nyear: 2026\nreports:\n  - { out: r.md }\nfail_on: none\n`);
    const run = runCli(['run', '--config', cfg]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Run [0-9a-f-]{36} → /m);
    expect(run.stderr).toContain(`Report md → ${join(dir, 'r.md')}`);
  });

  it('ingest --json: one object on stdout (also with -q), the summary still on stderr', () => {
    const db = join(tmp(), 'j.duckdb');
    const r = runCli(['ingest', 'fixtures/demo/logs', '--db', db, ...INV, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { schema_version: number; run_id: string; inputs: Array<{ file: string; decision: string; flows?: number }>; counts: { flows: number; stored: number; findings: Record<string, number> }; failing_now: { requirements: string[] } };
    expect(j.schema_version).toBe(1);
    expect(schemaErrors('ingest', j)).toEqual([]);
    expect(schemaErrors('ingest', { ...j, counts: { ...j.counts, flows: -1 } })).not.toEqual([]);
    expect(j.run_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(j.inputs.find((i) => i.file === 'fixtures/demo/logs/pa-3220.log')).toMatchObject({ decision: 'anew', flows: 106 });
    expect(j.counts).toMatchObject({ flows: 145, stored: 145, findings: { confirmed: 4 } });
    expect(j.failing_now.requirements).toHaveLength(4);
    expect(r.stderr).toMatch(/^Run [0-9a-f-]{36} → /m);
    const again = runCli(['ingest', 'fixtures/demo/logs', '--db', db, ...INV, '--json', '-q']);
    expect(again.stderr).toBe('');
    const j2 = JSON.parse(again.stdout) as typeof j;
    expect(schemaErrors('ingest', j2)).toEqual([]);
    const rep = runCli(['report', '--db', db, '--format', 'json']);
    expect(rep.code).toBe(0);
    const m = JSON.parse(rep.stdout) as { requirements: Array<{ status: string }> };
    expect(schemaErrors('report', m)).toEqual([]);
    expect(schemaErrors('report', { ...m, requirements: [{ ...m.requirements[0], status: 'fine' }] })).not.toEqual([]);
    expect(j2.inputs.map((i) => i.decision)).toEqual(['skip', 'skip', 'skip']);
    expect(j2.counts.stored).toBe(0);
  });
});
