/**
 * The fixture week (fixtures/history/week, README there): seven daily drops from three devices, one run per day.
 * Status over time from the stored flows, changes at requirement level, outages, silent devices, and per-day
 * counts in the JSON report equal to the store's flows per day.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestInto, loadAnalysisConfig } from '../src/app/ingest.js';
import { exitFromStatus, storeStatusExit } from '../src/app/run.js';
import { failExitCode } from '../src/app/exit-policy.js';
import { buildReportModel, type ReportModel } from '../src/reports/model.js';
import { renderJson } from '../src/reports/json.js';
import { Store } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-week-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const A = 'groundlabs-er/node-agent-to-master'; // blocked every day, a different agent each day
const B = 'escan/client-events'; // allowed, denied days 3-5, allowed again days 6-7
const C = 'gfi-languard/server-to-target-snmp'; // denied in the target's pfirewall.log days 1-3; the target then sends nothing
const D = 'gfi-languard/server-to-target-ssh'; // allowed days 1-6, denied on day 7

const models: ReportModel[] = [];
let store: Store;

function req(m: ReportModel, id: string) {
  const r = m.requirements.find((x) => `${x.product}/${x.requirement}` === id);
  if (!r) throw new Error(`no ${id}`);
  return r;
}
const changed = (m: ReportModel, kind: 'new' | 'resolved') => m.changes[kind].map((c) => `${c.product}/${c.requirement}`).sort();

beforeAll(async () => {
  const cfg = await loadAnalysisConfig({ inventory: 'fixtures/demo/inventory.yaml' });
  store = await Store.open(join(dir, 'week.duckdb'));
  for (let n = 1; n <= 7; n++) {
    await ingestInto(store, [`fixtures/history/week/day${n}`], { ...cfg, read: { tz: 'UTC', year: 2026 } });
    models.push(await buildReportModel(store, { now: new Date(`2026-03-0${n + 1}T23:00:00Z`) }));
  }
}, 240_000);
afterAll(async () => { await store?.close(); });

describe('the fixture week, one run per day', () => {
  it('A, blocked every day from different agents: new on day 1 only, never resolved, one ongoing outage', () => {
    expect(changed(models[0]!, 'new')).toContain(A);
    for (let n = 1; n < 7; n++) {
      expect(changed(models[n]!, 'new'), `day ${n + 1}`).not.toContain(A);
      expect(changed(models[n]!, 'resolved'), `day ${n + 1}`).not.toContain(A);
      expect(req(models[n]!, A).status).toBe('violated');
    }
    const a = req(models[6]!, A);
    expect(a.outages).toEqual([{ from: '2026-03-02T08:00:05.000Z', to: '2026-03-08T17:00:05.000Z', denies: 28, ongoing: true }]);
    expect(a.timeline.map((p) => [p.date, p.denies, p.allows, p.status])).toEqual(
      [2, 3, 4, 5, 6, 7, 8].map((d) => [`2026-03-0${d}`, 4, 0, 'violated']));
    expect(a.devices.items).toEqual(['PA-3220']);
    expect(a.rules.items).toEqual(['block-agents']);
    expect(a.src_hosts).toEqual({ items: ['10.40.0.11', '10.40.0.12', '10.40.0.13', '10.40.0.14', '10.40.0.15'], more: 2 });
  });

  it('B, a three-day outage: new on day 3, resolved on day 6 when allows return, outage interval exact', () => {
    expect(req(models[1]!, B).status).toBe('ok');
    expect(changed(models[2]!, 'new')).toContain(B);
    expect(changed(models[3]!, 'new')).not.toContain(B);
    expect(changed(models[4]!, 'new')).not.toContain(B);
    expect(req(models[4]!, B).status).toBe('violated');
    expect(changed(models[5]!, 'resolved')).toEqual([B]);
    const res = models[5]!.changes.resolved[0]!;
    expect(res).toMatchObject({ status: 'ok', previous_status: 'violated', since: '2026-03-07T09:00:00.000Z' });
    expect(res.hosts.items).toEqual([{ src_ip: '10.60.0.15', dst_ip: '10.10.0.6', transport: 'tcp', dst_port: 2225, count: 3, last_seen: '2026-03-07T15:00:00.000Z' }]);
    expect(changed(models[6]!, 'resolved')).not.toContain(B);
    const b = req(models[6]!, B);
    expect(b.status).toBe('ok');
    expect(b.outages).toEqual([{ from: '2026-03-04T08:10:00.000Z', to: '2026-03-06T14:10:00.000Z', denies: 12, ongoing: false }]);
  });

  it('C, seen only in a target that stops sending: stays failing with last_evidence and the silent device', () => {
    for (let n = 3; n < 7; n++) {
      const c = req(models[n]!, C);
      expect(c.status, `day ${n + 1}`).toBe('violated');
      expect(c.last_evidence).toBe('2026-03-04T17:30:00.000Z');
      expect(c.silent_devices).toEqual(['10.20.0.33']);
      expect(changed(models[n]!, 'resolved')).not.toContain(C);
    }
    expect(req(models[2]!, C).silent_devices).toEqual([]);
    const cov = models[6]!.coverage;
    expect(cov.map((d) => [d.device, d.first, d.last, d.silent])).toEqual([
      ['10.20.0.33', '2026-03-02T09:30:00.000Z', '2026-03-04T17:30:00.000Z', true],
      ['gw01', '2026-03-02T07:55:00.000Z', '2026-03-08T18:05:00.000Z', false],
      ['PA-3220', '2026-03-02T08:00:05.000Z', '2026-03-08T17:00:05.000Z', false],
    ]);
  });

  it('D, broken on the last day only: new on day 7', () => {
    for (let n = 0; n < 6; n++) expect(req(models[n]!, D).status).toBe('ok');
    expect(changed(models[6]!, 'new')).toEqual([D]);
    const d = models[6]!.changes.new[0]!;
    expect(d).toMatchObject({ status: 'violated', previous_status: 'ok', since: '2026-03-08T09:45:00.000Z' });
    expect(d.hosts).toEqual({ items: [{ src_ip: '10.10.0.5', dst_ip: '10.20.0.40', transport: 'tcp', dst_port: 22, count: 5, last_seen: '2026-03-08T13:45:00.000Z' }], more: 0 });
    expect(changed(models[6]!, 'resolved')).toEqual([]);
  });

  it('the JSON report carries the documented fields, and its per-day counts equal the store\'s flows per day', async () => {
    const json = JSON.parse(renderJson(models[6]!)) as ReportModel;
    expect(json.schema_version).toBe(2);
    expect(Object.keys(json.changes)).toEqual(['new', 'resolved']);
    expect(json.changes.new[0]).toMatchObject({ product: 'gfi-languard', requirement: 'server-to-target-ssh' });
    expect(json.coverage.map((c) => c.device)).toEqual(['10.20.0.33', 'gw01', 'PA-3220']);
    for (const r of json.requirements) {
      for (const k of ['product', 'requirement', 'status', 'last_evidence', 'outages', 'timeline']) expect(r).toHaveProperty(k);
    }
    const perDay = await store.all(
      `SELECT split_part(m, '/', 1) AS product, split_part(m, '/', 2) AS requirement, strftime(ts, '%Y-%m-%d') AS date,
              count(*) FILTER (WHERE action = 'deny') AS denies, count(*) FILTER (WHERE action = 'allow') AS allows
         FROM (SELECT unnest(string_split(matched, ';')) AS m, ts, action FROM flows WHERE matched IS NOT NULL)
        GROUP BY ALL ORDER BY 1, 2, 3`);
    const fromReport = json.requirements.flatMap((r) => r.timeline.map((p) => ({ product: r.product, requirement: r.requirement, date: p.date, denies: p.denies, allows: p.allows })))
      .sort((a, b) => a.product.localeCompare(b.product) || a.requirement.localeCompare(b.requirement) || a.date.localeCompare(b.date));
    expect(fromReport).toEqual(perDay);
    expect(json.summary).toMatchObject({ violated: 3, intermittent: 0, ok: 1, new: 1, resolved: 0, denied_flows: 61, allowed_flows: 24 });
  });

  it('--since/--until filter by log time: status, timeline and counts all from the period', async () => {
    const m = await buildReportModel(store, { since: new Date('2026-03-07T00:00:00Z'), until: new Date('2026-03-08T23:59:59Z') });
    expect(req(m, B).timeline.map((p) => p.date)).toEqual(['2026-03-07', '2026-03-08']);
    expect(req(m, B).outages).toEqual([]);
    expect(req(m, C).status).toBe('unobserved');
    expect(m.buckets).toEqual(['2026-03-07', '2026-03-08']);
    const [n] = await store.all(`SELECT count(*) FILTER (WHERE action = 'deny') AS d FROM flows WHERE ts BETWEEN '2026-03-07' AND '2026-03-08 23:59:59'`);
    expect(m.summary.denied_flows).toBe(n!.d);
    await expect(buildReportModel(store, { since: new Date('2026-03-08T00:00:00Z'), until: new Date('2026-03-07T00:00:00Z') })).rejects.toThrow(/empty period/);
  });

  it('hour buckets in a display zone', async () => {
    const m = await buildReportModel(store, { bucket: 'hour', displayTz: 'Europe/Berlin', since: new Date('2026-03-08T00:00:00Z') });
    expect(req(m, D).timeline.map((p) => [p.date, p.denies])).toEqual([
      ['2026-03-08T10:00', 1], ['2026-03-08T11:00', 1], ['2026-03-08T12:00', 1], ['2026-03-08T13:00', 1], ['2026-03-08T14:00', 1]]);
  });

  it('the exit status comes from what is failing now in the store', async () => {
    expect((await storeStatusExit(store, 'violated')).code).toBe(1);
    expect((await storeStatusExit(store, 'none')).code).toBe(0);
    expect((await storeStatusExit(store, 'violated')).status.failing).toEqual([C, D, A]);
  });

  it('fail_on levels over the store status follow the one exit policy', () => {
    const clean = { failing: [], violated: 0, intermittent: 0, probable: 0, conditional: 0 };
    expect(exitFromStatus({ ...clean, failing: [A], violated: 1 }, 'violated')).toBe(1);
    expect(exitFromStatus({ ...clean, failing: [A], violated: 1 }, 'none')).toBe(0);
    expect(exitFromStatus(clean, 'conditional')).toBe(0);
    for (const failOn of ['violated', 'probable', 'conditional'] as const) {
      for (const kind of ['probable', 'conditional'] as const) {
        expect(exitFromStatus({ ...clean, [kind]: 1 }, failOn), `${kind} under ${failOn}`)
          .toBe(failExitCode({ findings: [{ confidence: kind }], requirements: [] }, failOn));
      }
    }
  });

  it('the current_status view agrees with the report', async () => {
    const rows = await store.all(`SELECT product || '/' || requirement AS id, status FROM current_status ORDER BY id`);
    expect(rows).toEqual([
      { id: B, status: 'ok' }, { id: C, status: 'violated' }, { id: D, status: 'violated' }, { id: A, status: 'violated' },
    ].sort((x, y) => x.id.localeCompare(y.id)));
  });
});
