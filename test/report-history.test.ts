/**
 * The report model over the synthetic two-run history (fixtures/store/history.ts): status from the stored flows
 * per day, changes at requirement level, outages, capped lists, the period by log time, parseWhen.
 */
import { describe, expect, it } from 'vitest';
import { buildReportModel, parseWhen } from '../src/reports/model.js';
import { buildHistoryStore, EVIL_RULE, FORMULA_RULE } from '../fixtures/store/history.js';

describe('report model over two runs', () => {
  it('status from the flows per day; the fixed requirement resolved, the newly failing ones new', async () => {
    const store = await buildHistoryStore();
    const m = await buildReportModel(store, { now: new Date('2026-03-11T00:00:00Z') });
    expect(m.latest_run?.run_id).toBe('run-2');
    expect(m.previous_run?.run_id).toBe('run-1');
    expect(m.runs).toEqual({ items: [expect.objectContaining({ run_id: 'run-2' }), expect.objectContaining({ run_id: 'run-1' })], more: 0 });
    expect(m.summary).toEqual({ requirements: 5, violated: 2, intermittent: 1, ok: 1, unobserved: 1, new: 2, resolved: 1, denied_flows: 16, allowed_flows: 12 });
    expect(m.requirements.map((r) => `${r.status}:${r.product}/${r.requirement}:${r.change ?? ''}`)).toEqual([
      'violated:escan/update-pull:', 'violated:gfi/scan-smb:new', 'intermittent:gfi/snmp-trap:new', 'unobserved:gfi/console-web:', 'ok:escan/agent-push:resolved',
    ]);
    expect(m.changes.new.map((c) => [c.requirement, c.previous_status, c.since])).toEqual([
      ['scan-smb', 'ok', '2026-03-10T10:15:00.000Z'], ['snmp-trap', 'unobserved', '2026-03-10T12:15:00.000Z']]);
    expect(m.changes.resolved).toEqual([{ product: 'escan', requirement: 'agent-push', status: 'ok', previous_status: 'violated', since: '2026-03-10T14:15:00.000Z',
      hosts: { items: [{ src_ip: '10.40.0.21', dst_ip: '10.10.0.11', transport: 'tcp', dst_port: 2222, count: 4, last_seen: '2026-03-10T17:15:00.000Z' }], more: 0 } }]);

    const pull = m.requirements.find((r) => r.requirement === 'update-pull')!;
    expect(pull).toMatchObject({
      denies: 5, allows: 0, last_evidence: '2026-03-10T09:15:00.000Z', status_date: '2026-03-10', product_name: 'ESCAN',
      src_hosts: { items: ['10.40.0.22'], more: 0 }, dst_hosts: { items: ['10.10.0.12'], more: 0 }, devices: { items: ['SRV1'], more: 0 },
      rules: { items: [FORMULA_RULE], more: 0 }, openings: ['TCP 2221 from 10.40.0.22 to 10.10.0.12'],
      outages: [{ from: '2026-03-09T09:15:00.000Z', to: '2026-03-10T09:15:00.000Z', denies: 5, ongoing: true }],
      timeline: [{ date: '2026-03-09', denies: 3, allows: 0, status: 'violated' }, { date: '2026-03-10', denies: 2, allows: 0, status: 'violated' }],
    });
    const push = m.requirements.find((r) => r.requirement === 'agent-push')!;
    expect(push).toMatchObject({ status: 'ok', purpose: EVIL_RULE, rules: { items: [EVIL_RULE], more: 0 },
      outages: [{ from: '2026-03-09T08:15:00.000Z', to: '2026-03-09T13:15:00.000Z', denies: 6, ongoing: false }] });
    expect(m.requirements.find((r) => r.requirement === 'console-web')).toMatchObject({ status: 'unobserved', last_evidence: null, timeline: [], outages: [] });

    expect(m.top_blocked.items[0]).toEqual({ src_ip: '10.40.0.21', dst_ip: '10.10.0.11', transport: 'tcp', dst_port: 2222, count: 6,
      first_seen: '2026-03-09T08:15:00.000Z', last_seen: '2026-03-09T13:15:00.000Z', rules: [EVIL_RULE], devices: ['SRV1'] });
    expect(m.top_blocked.items.map((b) => b.count)).toEqual([6, 5, 4, 1]);
    expect(m.buckets).toEqual(['2026-03-09', '2026-03-10']);
    expect(m.inputs.items.map((c) => [c.path, c.lines, c.flows, c.skipped])).toEqual([['2026-03-10.log', 9, 7, 2], ['2026-03-09.log', 12, 9, 3]]);
    await store.close();
  });

  it('the period selects flows by log time, for statuses too', async () => {
    const store = await buildHistoryStore();
    const day1 = await buildReportModel(store, { until: new Date('2026-03-09T23:59:59Z') });
    expect(day1.summary.denied_flows).toBe(9);
    expect(day1.requirements.find((r) => r.requirement === 'agent-push')?.status).toBe('violated');
    expect(day1.requirements.find((r) => r.requirement === 'scan-smb')?.status).toBe('ok');

    const day2 = await buildReportModel(store, { since: new Date('2026-03-10T00:00:00Z') });
    expect(day2.summary.denied_flows).toBe(7);
    expect(day2.requirements.find((r) => r.requirement === 'update-pull')).toMatchObject({ denies: 2, outages: [{ from: '2026-03-10T08:15:00.000Z', to: '2026-03-10T09:15:00.000Z', denies: 2, ongoing: true }] });

    const none = await buildReportModel(store, { since: new Date('2027-01-01T00:00:00Z') });
    expect(none.requirements.every((r) => r.status === 'unobserved')).toBe(true);
    expect(none.summary.denied_flows).toBe(0);
    await expect(buildReportModel(store, { since: new Date('2026-03-10T00:00:00Z'), until: new Date('2026-03-10T00:00:00Z') })).rejects.toThrow(/empty period/);
    await store.close();
  });

  it('every list is capped with the count of the rest', async () => {
    const store = await buildHistoryStore();
    const m = await buildReportModel(store, { top: 2 });
    expect(m.top_blocked).toEqual({ items: [expect.objectContaining({ count: 6 }), expect.objectContaining({ count: 5 })], more: 2 });
    await store.close();
  });

  it('parses --since/--until: h, d, w, min; dates in a zone unless they carry an offset', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(parseWhen('7d', now).toISOString()).toBe('2026-03-03T12:00:00.000Z');
    expect(parseWhen('36h', now).toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(parseWhen('2w', now).toISOString()).toBe('2026-02-24T12:00:00.000Z');
    expect(parseWhen('90min', now).toISOString()).toBe('2026-03-10T10:30:00.000Z');
    expect(() => parseWhen('1m', now)).toThrow(/min/);
    expect(parseWhen('2026-03-01', now).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseWhen('2026-03-01T08:30:00', now).toISOString()).toBe('2026-03-01T08:30:00.000Z');
    expect(parseWhen('2026-03-01T08:30:00+02:00', now).toISOString()).toBe('2026-03-01T06:30:00.000Z');
    expect(parseWhen('2026-03-01T08:30', now, 'Europe/Berlin').toISOString()).toBe('2026-03-01T07:30:00.000Z');
    expect(parseWhen('2026-07-01', now, 'Europe/Berlin').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(() => parseWhen('2026-02-30', now)).toThrow(/out of range|invalid/);
    expect(() => parseWhen('yesterday', now)).toThrow(/cannot read time/);
  });
});
