import { describe, expect, it } from 'vitest';
import { buildReportModel, parseWhen } from '../src/reports/model.js';
import { buildHistoryStore, EVIL_RULE, FORMULA_RULE, SQL_RULE } from '../fixtures/store/history.js';

describe('report model over two runs', () => {
  it('lists the fixed violation as resolved and the new one as new', async () => {
    const store = await buildHistoryStore();
    const m = await buildReportModel(store, { now: new Date('2026-03-11T00:00:00Z') });
    expect(m.latest_run?.run_id).toBe('run-2');
    expect(m.previous_run?.run_id).toBe('run-1');
    expect(m.runs.map((r) => r.run_id)).toEqual(['run-2', 'run-1']);
    expect(m.new_violations.map((v) => [v.product, v.requirement, v.src_ip, v.dst_ip, v.dst_port, v.count]))
      .toEqual([['gfi', 'scan-smb', '10.50.0.5', '10.60.0.6', 445, 4]]);
    expect(m.resolved_violations.map((v) => [v.product, v.requirement, v.src_ip, v.dst_ip, v.dst_port, v.count]))
      .toEqual([['escan', 'agent-push', '10.40.0.21', '10.10.0.11', 2222, 6]]);
    expect(m.summary).toEqual({ requirements: 5, violated: 2, intermittent: 1, ok: 1, unobserved: 1, new_violations: 1, resolved_violations: 1, denied_flows: 16 });

    const byId = new Map(m.requirements.map((r) => [`${r.product}/${r.requirement}`, r]));
    expect(m.requirements.map((r) => `${r.status}:${r.product}/${r.requirement}`)).toEqual([
      'violated:gfi/scan-smb', 'violated:escan/update-pull', 'intermittent:gfi/snmp-trap', 'unobserved:gfi/console-web', 'ok:escan/agent-push',
    ]);
    const pull = byId.get('escan/update-pull')!;
    expect(pull).toMatchObject({ denies: 2, allows: 0, first_seen: '2026-03-09T08:00:00.000Z', last_seen: '2026-03-10T17:00:00.000Z',
      src_hosts: ['10.40.0.22'], dst_hosts: ['10.10.0.12'], devices: ['SRV1'], rules: [FORMULA_RULE], product_name: 'ESCAN', findings: 1,
      openings: ['TCP 2221 from 10.40.0.22 to 10.10.0.12'] });
    // first_seen is the first traffic of any verdict in the period: scan-smb was ok (allowed) on day 1.
    expect(byId.get('gfi/scan-smb')).toMatchObject({ rules: [SQL_RULE], first_seen: '2026-03-09T08:00:00.000Z', last_seen: '2026-03-10T17:00:00.000Z' });
    expect(byId.get('escan/agent-push')).toMatchObject({ status: 'ok', purpose: EVIL_RULE, rules: [], findings: 0 });

    expect(m.top_blocked[0]).toEqual({ src_ip: '10.40.0.21', dst_ip: '10.10.0.11', transport: 'tcp', dst_port: 2222, count: 6,
      first_seen: '2026-03-09T08:15:00.000Z', last_seen: '2026-03-09T13:15:00.000Z', rules: [EVIL_RULE], devices: ['SRV1'] });
    expect(m.top_blocked.map((b) => b.count)).toEqual([6, 5, 4, 1]);

    // Denies over time: violated/intermittent requirements of the latest run, hourly over 2 days of flows.
    expect(m.denies_over_time.bucket).toBe('hour');
    const series = new Map(m.denies_over_time.series.map((s) => [`${s.product}/${s.requirement}`, s]));
    expect([...series.keys()]).toEqual(['escan/update-pull', 'gfi/scan-smb', 'gfi/snmp-trap']);
    expect(series.get('escan/update-pull')!.total).toBe(5);
    expect(m.denies_over_time.buckets[0]).toBe('2026-03-09T09:00:00.000Z');
    expect(series.get('escan/update-pull')!.counts.slice(0, 3)).toEqual([1, 1, 1]);

    expect(m.coverage.map((c) => [c.path, c.lines, c.flows, c.skipped])).toEqual([['2026-03-09.log', 12, 9, 3], ['2026-03-10.log', 9, 7, 2]]);
    await store.close();
  });

  it('limits runs and flows to the period', async () => {
    const store = await buildHistoryStore();
    const m = await buildReportModel(store, { until: new Date('2026-03-09T23:59:59Z') });
    expect(m.latest_run?.run_id).toBe('run-1');
    expect(m.previous_run).toBeNull();
    expect(m.resolved_violations).toEqual([]);
    expect(m.new_violations.map((v) => v.requirement)).toEqual(['agent-push', 'update-pull']);
    expect(m.summary.denied_flows).toBe(9);
    expect(m.coverage).toHaveLength(1);

    const only2 = await buildReportModel(store, { since: new Date('2026-03-10T00:00:00Z') });
    expect(only2.latest_run?.run_id).toBe('run-2');
    // The previous run is compared even when it started before `since`.
    expect(only2.previous_run?.run_id).toBe('run-1');
    expect(only2.summary.denied_flows).toBe(7);
    expect(only2.requirements.find((r) => r.requirement === 'update-pull')?.first_seen).toBe('2026-03-10T08:00:00.000Z');

    const none = await buildReportModel(store, { since: new Date('2027-01-01T00:00:00Z') });
    expect(none.latest_run).toBeNull();
    expect(none.requirements).toEqual([]);
    await store.close();
  });

  it('parses --since/--until', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(parseWhen('7d', now).toISOString()).toBe('2026-03-03T12:00:00.000Z');
    expect(parseWhen('36h', now).toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(parseWhen('2026-03-01', now).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseWhen('2026-03-01T08:30:00', now).toISOString()).toBe('2026-03-01T08:30:00.000Z');
    expect(parseWhen('2026-03-01T08:30:00+02:00', now).toISOString()).toBe('2026-03-01T06:30:00.000Z');
    expect(() => parseWhen('yesterday', now)).toThrow(/not a date/);
  });
});
