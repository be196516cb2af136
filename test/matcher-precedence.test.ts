/**
 * rulesets/README.md "How a flow is attributed to requirements", checked against the built-in rulesets:
 * conditional findings for every `when` of every vendor document, the LanGuard version mismatch both ways,
 * one owner per port (eScan 3333, LanGuard 1072), well-known ports not claimed by wide ranges, and grouped
 * findings for 1,000 blocked agents.
 */
import { describe, expect, it } from 'vitest';
import { Matcher } from '../src/matcher/matcher.js';
import { parseInventory, type Inventory } from '../src/inventory/load.js';
import { loadBuiltinRulesets, paramValues, requirementApplies } from '../src/rulesets/load.js';
import { compileRequirements, isWellKnownPort, requirementRows } from '../src/requirements/index.js';
import { newFlow, type Action, type Flow } from '../src/model/flow.js';
import type { Requirement, Ruleset } from '../src/model/ruleset.js';
import { renderTerminal } from '../src/reports/terminal.js';
import { generatedInventory } from './helpers/vendor-inventory.js';

const rulesets = loadBuiltinRulesets();
const byId = (id: string) => rulesets.find((r) => r.id === id)!;

let n = 0;
function flow(action: Action, transport: string, s: string, d: string, port: number | null, extra: Partial<Flow> = {}): Flow {
  const f = newFlow('panos-syslog', 'fw.log', ++n);
  Object.assign(f, { ts: Date.UTC(2026, 2, 10, 11, 0, n % 60), action, transport, src_ip: s, src_port: 40000, dst_ip: d, dst_port: port, device: 'PA-3220', rule: 'block-default' }, extra);
  return f;
}

function run(rs: Ruleset[], inv: Inventory | null, flows: Flow[], by: 'host' | 'requirement' = 'requirement') {
  const m = new Matcher(rs, inv, { by });
  for (const f of flows) m.observe(f);
  return m.result();
}

/** One /24 per role, params as given; hostnames resolve to 198.51.100.x. */
function inventoryFor(rs: Ruleset, params: Record<string, unknown>, rsIdx: number): { inv: Inventory; addr: (role: string) => string; hostIp: (req: Requirement) => string } {
  const g = generatedInventory(rs, rsIdx, params);
  return { inv: g.inv, addr: (role) => (role === 'internet' ? '93.184.216.34' : `${g.block(role)}.${role === 'x' ? 1 : 20}`), hostIp: g.hostIp };
}

/** A parameter value under which `when` is false. */
function offValue(when: Record<string, unknown>, current: unknown): unknown {
  if ('eq' in when) return typeof when['eq'] === 'boolean' ? !when['eq'] : typeof when['eq'] === 'number' ? (when['eq'] as number) + 1 : `not-${String(when['eq'])}`;
  if ('ne' in when) return when['ne'];
  if ('in' in when) return 'none-of-these';
  if ('lte' in when) return Number(when['lte']) + 1;
  if ('lt' in when) return Number(when['lt']);
  if ('gte' in when) return Number(when['gte']) - 1;
  if ('gt' in when) return Number(when['gt']);
  return current;
}

describe('conditional findings: every `when` of every vendor document', () => {
  rulesets.forEach((rs, rsIdx) => {
    const conditional = rs.requirements.filter((r) => r.when && !r.local_only);
    for (const req of conditional) {
      it(`${rs.id}/${req.id}: a deny between its roles while ${String(req.when!['param'])} turns it off names the parameter`, () => {
        const param = String(req.when!['param']);
        const value = offValue(req.when!, paramValues(rs)[param]);
        const { inv, addr, hostIp } = inventoryFor(rs, { [param]: value }, rsIdx);
        expect(requirementApplies(req, paramValues(rs, { [param]: value as never }))).toBe(false);
        const idx = compileRequirements([rs], inv);
        const e = idx.entries.find((x) => x.req.id === req.id)!;
        // a port this requirement owns and that a wide range may claim (not well-known)
        const port = e.ports.length === 0 ? null : (() => {
          for (const [lo, hi] of e.owned) for (let p = lo; p <= hi && p <= lo + 2000; p++) if (!(e.wide && isWellKnownPort(p))) return p;
          return undefined;
        })();
        const d = req.hosts ? hostIp(req) : addr(req.to!);
        if (port === undefined) {
          // every port of it belongs to a narrower or earlier off requirement of the pair: that finding names it as an alternative
          const ivs = e.ports;
          const probe = ivs[0]![0] === 1024 ? 5000 : ivs[0]![0];
          const r = run([rs], inv, [flow('deny', req.transport, addr(req.from), d, probe)]);
          const f = r.findings.find((x) => x.confidence === 'conditional');
          expect(f!.alternatives!.map((a) => a.requirement), `${req.id} on ${probe}`).toContain(req.id);
          expect(f!.alternatives!.find((a) => a.requirement === req.id)!.parameter).toBe(param);
          expect(f!.note).toContain(`\`${param}`);
          return;
        }
        const r = run([rs], inv, [flow('deny', req.transport, addr(req.from), d, port ?? null)]);
        const f = r.findings.find((x) => x.requirement === req.id);
        expect(f, `${req.id} on ${req.transport} ${port}`).toBeDefined();
        expect(f!.confidence).toBe('conditional');
        expect(f!.parameter!.name).toBe(param);
        expect(f!.parameter!.value).toEqual(value);
        expect(f!.note).toContain(`\`${param}`);
        expect(f!.note).toContain(rs.id);
        // never in the matrix, counted in not_applicable
        expect(r.requirements.find((x) => x.requirement === req.id)).toBeUndefined();
        expect(r.not_applicable.find((x) => x.requirement === req.id)).toMatchObject({ reason: 'inactive', param, denies: 1 });
      });
    }
  });

  it('eScan clients trying HTTP download on TCP 2221 in FTP mode: set http_mode: true', () => {
    const inv = parseInventory('deployments:\n  - product: escan\n    roles:\n      server: [10.10.0.6]\n      client: [10.60.0.0/24]\n', 'inv.yaml', rulesets);
    const r = run(rulesets, inv, [flow('deny', 'tcp', '10.60.0.44', '10.10.0.6', 2221)]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ requirement: 'client-http-download', confidence: 'conditional', src_ip: '10.60.0.44', dst_ip: '10.10.0.6', parameter: { name: 'http_mode', value: false, suggestion: 'set `http_mode: true`' } });
    expect(r.findings[0]!.note).toBe('clients 10.60.0.44 try HTTP download of virus signatures and policies (replaces FTP and its passive port range) on TCP 2221: set `http_mode: true` for escan if that is intended');
    const text = renderTerminal(r);
    expect(text).toContain('Findings: 0 confirmed, 1 conditional, 0 probable, 0 port-only.');
    expect(text).toMatch(/CONDITIONAL +clients 10\.60\.0\.44/);
  });

  it('Enterprise Recon proxy agent on NFSv3 ports and legacy CIFS ports: conditional, naming nfs_version / legacy_windows_2000', () => {
    const inv = parseInventory('deployments:\n  - product: groundlabs-er\n    roles:\n      master: [10.10.0.11]\n      proxy-agent: [10.10.0.12]\n      target: [10.50.0.0/24]\n', 'inv.yaml', rulesets);
    const r = run(rulesets, inv, [
      flow('deny', 'tcp', '10.10.0.12', '10.50.0.9', 111), flow('deny', 'udp', '10.10.0.12', '10.50.0.9', 111), flow('deny', 'udp', '10.10.0.12', '10.50.0.9', 2049),
      flow('deny', 'udp', '10.10.0.12', '10.50.0.9', 137), flow('deny', 'tcp', '10.10.0.12', '10.50.0.9', 139),
    ]);
    expect(r.findings.map((f) => [f.requirement, f.confidence, f.parameter?.name]).sort()).toEqual([
      ['storage-cifs-legacy-tcp', 'conditional', 'legacy_windows_2000'],
      ['storage-cifs-legacy-udp', 'conditional', 'legacy_windows_2000'],
      ['storage-nfs-rpcbind-tcp', 'conditional', 'nfs_version'],
      ['storage-nfs-rpcbind-udp', 'conditional', 'nfs_version'],
      ['storage-nfs-udp', 'conditional', 'nfs_version'],
    ].sort());
  });
});

describe('LanGuard version mismatch (gfi-languard-port-1072.txt "Common Issues")', () => {
  const inv = (version: number) => parseInventory(`deployments:\n  - product: gfi-languard\n    params: {version: ${version}}\n    roles:\n      server: [10.10.0.5]\n      agent: [10.20.0.0/24]\n`, 'inv.yaml', rulesets);

  it('a v11 agent denied on 1070 against a server configured as 12', () => {
    const r = run(rulesets, inv(12), [flow('deny', 'tcp', '10.20.0.7', '10.10.0.5', 1070)]);
    expect(r.findings.map((f) => [f.requirement, f.confidence])).toEqual([['agent-to-server-v11', 'conditional']]);
    expect(r.findings[0]!.mismatch).toMatch(/^Version mismatch: agents and servers may be trying to communicate on different ports/);
    expect(r.findings[0]!.note).toContain('`version: 12`');
    expect(r.findings[0]!.parameter).toMatchObject({ name: 'version', value: 12 });
  });

  it('a v12 agent denied on 1072 against a server configured as 11', () => {
    const r = run(rulesets, inv(11), [flow('deny', 'tcp', '10.20.0.7', '10.10.0.5', 1072)]);
    expect(r.findings.map((f) => [f.requirement, f.confidence])).toEqual([['agent-to-server', 'conditional']]);
    expect(r.findings[0]!.mismatch).toMatch(/^Version mismatch/);
    expect(r.findings[0]!.note).toContain('`version: 11`');
  });

  it('1072 allows leave the 1072-1170 fallback row alone; 1073 counts there', () => {
    const r = run(rulesets, inv(12), [flow('allow', 'tcp', '10.20.0.7', '10.10.0.5', 1072), flow('allow', 'tcp', '10.20.0.8', '10.10.0.5', 1072)]);
    const row = (id: string) => r.requirements.find((x) => x.requirement === id)!;
    expect(row('agent-to-server')).toMatchObject({ status: 'ok', allows: 2 });
    expect(row('agent-to-server-fallback')).toMatchObject({ status: 'unobserved', allows: 0, denies: 0 });
    const r2 = run(rulesets, inv(12), [flow('deny', 'tcp', '10.20.0.7', '10.10.0.5', 1073)]);
    expect(r2.requirements.find((x) => x.requirement === 'agent-to-server-fallback')).toMatchObject({ status: 'violated', denies: 1 });
    expect(r2.findings.map((f) => f.requirement)).toEqual(['agent-to-server-fallback']);
  });

  it('check-in window: unobserved agent rows say whether the logs cover 10:00-17:00', () => {
    const early = run(rulesets, inv(12), [flow('allow', 'tcp', '10.20.0.7', '10.10.0.9', 80, { ts: Date.UTC(2026, 2, 10, 6) }), flow('allow', 'tcp', '10.20.0.7', '10.10.0.9', 80, { ts: Date.UTC(2026, 2, 10, 8) })]);
    expect(early.requirements.find((x) => x.requirement === 'agent-to-server')).toMatchObject({ status: 'unobserved', window: '10:00-17:00', window_covered: false });
    expect(renderTerminal(early)).toContain('agent-to-server: the logs do not cover its check-in window 10:00-17:00');
    const day = run(rulesets, inv(12), [flow('allow', 'tcp', '10.20.0.7', '10.10.0.9', 80, { ts: Date.UTC(2026, 2, 10, 9, 50) }), flow('allow', 'tcp', '10.20.0.7', '10.10.0.9', 80, { ts: Date.UTC(2026, 2, 10, 10, 5) })]);
    expect(day.requirements.find((x) => x.requirement === 'agent-to-server')).toMatchObject({ status: 'unobserved', window_covered: true });
  });
});

describe('one owner per port and well-known ports (eScan)', () => {
  const inv = parseInventory('deployments:\n  - product: escan\n    roles:\n      server: [10.10.0.6]\n      client: [10.60.0.0/24]\n', 'inv.yaml', rulesets);

  it('3333 denies belong to the update check and leave the passive-FTP row alone', () => {
    const r = run(rulesets, inv, [flow('deny', 'tcp', '10.60.0.4', '10.10.0.6', 3333), flow('deny', 'tcp', '10.60.0.5', '10.10.0.6', 3333)]);
    expect(r.findings.map((f) => [f.requirement, f.count])).toEqual([['client-update-check', 2]]);
    expect(r.requirements.find((x) => x.requirement === 'client-ftp-passive')).toMatchObject({ status: 'unobserved', denies: 0 });
    expect(r.requirements.filter((x) => x.status === 'violated').map((x) => x.requirement)).toEqual(['client-update-check']);
  });

  it('a denied 3389 from an unknown internal host is not eScan passive FTP; 3500 is (probable)', () => {
    const r = run(rulesets, inv, [flow('deny', 'tcp', '10.99.0.7', '10.10.0.6', 3389), flow('deny', 'tcp', '10.99.0.7', '10.10.0.6', 3500)]);
    // the unknown source may be a client or an Update Agent: both passive rows are probable on 3500
    expect(r.findings.map((f) => [f.requirement, f.confidence, f.dst_port])).toEqual([['client-ftp-passive', 'probable', 3500], ['update-agent-ftp-passive', 'probable', 3500]]);
  });

  it('port-only: 3389 between internal hosts is not passive FTP, 3333 is only the update check', () => {
    const r = run([byId('escan')], null, [flow('deny', 'tcp', '10.1.0.7', '10.2.0.1', 3389), flow('deny', 'tcp', '10.1.0.7', '10.2.0.1', 3333)]);
    expect(r.findings.map((f) => [f.dst_port, f.candidates])).toEqual([[3333, ['escan/client-to-update-agent-update-check', 'escan/client-update-check', 'escan/update-agent-update-check']]]);
  });

  it('the compiled index exposes the owned ports (for the SQL matcher)', () => {
    const idx = compileRequirements(rulesets, inv);
    const passive = idx.entries.find((e) => e.req.id === 'client-ftp-passive')!;
    expect(passive.owned).toEqual([[3023, 3332], [3334, 4023]]);
    expect(passive.wide).toBe(true);
    const rows = requirementRows(idx);
    expect(rows.find((r) => r.requirement === 'client-update-check')).toMatchObject({ product: 'escan', deployment: 0, from_role: 'client', to_role: 'server', owned: [[3333, 3333]], active: true, wide: false });
    expect(rows.find((r) => r.requirement === 'server-self-events')).toMatchObject({ local_only: true });
    expect(rows.find((r) => r.requirement === 'client-http-download')).toMatchObject({ active: false, when_param: 'http_mode', owned: [[2221, 2221]] });
  });
});

describe('grouped findings', () => {
  const inv = parseInventory('deployments:\n  - product: gfi-languard\n    roles:\n      server: [10.10.0.5]\n      agent: [10.20.0.0/21]\n', 'inv.yaml', rulesets);
  const flows = () => {
    const out: Flow[] = [];
    for (let i = 0; i < 1000; i++) out.push(flow('deny', 'tcp', `10.20.${1 + (i >> 8)}.${i & 255}`, '10.10.0.5', 1072));
    return out;
  };

  it('1,000 agents blocked on one port: one finding per requirement and destination, with the count and the first hosts', () => {
    const r = run(rulesets, inv, flows());
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ requirement: 'agent-to-server', confidence: 'confirmed', dst_ip: '10.10.0.5', src_ip: '10.20.1.0', count: 1000 });
    expect(f.hosts).toEqual({
      count: 1000, side: 'src',
      first: ['10.20.1.0', '10.20.1.1', '10.20.1.2', '10.20.1.3', '10.20.1.4', '10.20.1.5', '10.20.1.6', '10.20.1.7', '10.20.1.8', '10.20.1.9'],
      cidrs: ['10.20.1.0/24', '10.20.2.0/23', '10.20.4.0/25', '10.20.4.128/26', '10.20.4.192/27', '10.20.4.224/29'],
    });
    const text = renderTerminal(r);
    expect(text.match(/^CONFIRMED/gm)).toHaveLength(1);
    expect(text).toContain('1000 agents (10.20.1.0, 10.20.1.1, 10.20.1.2, 10.20.1.3, 10.20.1.4 and 995 more; 10.20.1.0/24, 10.20.2.0/23');
  });

  it('--by host keeps one finding per host pair, with the fields of earlier versions', () => {
    const r = run(rulesets, inv, flows(), 'host');
    expect(r.findings).toHaveLength(1000);
    expect(r.findings[0]!.hosts).toBeUndefined();
    expect(r.findings.every((f) => f.count === 1 && f.dst_ip === '10.10.0.5')).toBe(true);
  });
});

describe('bounded memory without an inventory (issue 14 item 5)', () => {
  it('keeps at most maxGroups port-only groups and counts the rest, exactly', () => {
    const m = new Matcher([byId('escan')], null, { maxGroups: 100, by: 'host' });
    for (let i = 0; i < 1000; i++) m.observe(flow('deny', 'tcp', `10.1.${i >> 8}.${i & 255}`, '10.2.0.1', 3333));
    for (let i = 0; i < 5; i++) m.observe(flow('deny', 'tcp', '10.1.0.0', '10.2.0.1', 3333)); // an admitted pair keeps counting
    const r = m.result();
    expect(r.findings).toHaveLength(100);
    expect(r.findings.reduce((s, f) => s + f.count, 0)).toBe(105);
    expect(r.omitted).toEqual({ groups: 900, flows: 900 });
    expect(renderTerminal(r)).toContain('900 denied flows of port-only/probable matches beyond the memory bound were counted but not grouped (900 more host pairs).');
  });
});
