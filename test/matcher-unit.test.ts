import { describe, expect, it } from 'vitest';
import { Matcher } from '../src/matcher/matcher.js';
import { parseInventory } from '../src/inventory/load.js';
import { newFlow, type Action, type Flow } from '../src/model/flow.js';
import type { Ruleset } from '../src/model/ruleset.js';
import { failExitCode } from '../src/app/exit-policy.js';
import { renderTerminal } from '../src/reports/terminal.js';

const src = (section: string) => ({ document: 'demo.txt', section });
const ER: Ruleset = {
  id: 'demo-er', product: 'Demo Recon', file: 'demo-er.yaml',
  roles: { master: 'master', 'node-agent': 'node', 'proxy-agent': 'proxy', target: 'target', console: 'browser' },
  parameters: [{ id: 'version', description: 'v', default: 12, type: 'number' }],
  requirements: [
    { id: 'node-to-master', from: 'node-agent', to: 'master', transport: 'tcp', ports: 11117, purpose: 'Node agents report to the master', symptom: 'Agent offline', necessity: 'required', source: src('Node Agent') },
    { id: 'proxy-rpc', from: 'proxy-agent', to: 'target', transport: 'tcp', ports: [135, '49152-65535'], purpose: 'WMI', necessity: 'required', source: src('Agentless') },
    { id: 'console', from: 'console', to: 'master', transport: 'tcp', ports: 443, purpose: 'Web console', necessity: 'required', source: src('Master') },
    { id: 'update', from: 'master', hosts: ['updates.example.com', '*.cdn.example.com'], transport: 'tcp', ports: 8843, purpose: 'Updates', necessity: 'optional', source: src('Update') },
    { id: 'internet-443', from: 'master', to: 'internet', transport: 'tcp', ports: 443, purpose: 'Cloud', necessity: 'optional', source: src('Cloud') },
    { id: 'local-db', from: 'master', to: 'master', transport: 'tcp', ports: 5432, purpose: 'Local DB', necessity: 'required', local_only: true, source: src('DB') },
    { id: 'legacy-agent', from: 'node-agent', to: 'master', transport: 'tcp', ports: 1070, purpose: 'Old agents', necessity: 'conditional', when: { param: 'version', lte: 11 }, source: src('Legacy') },
    { id: 'new-agent', from: 'node-agent', to: 'master', transport: 'tcp', ports: 1072, purpose: 'New agents', necessity: 'conditional', when: { param: 'version', gte: 12 }, source: src('New') },
    { id: 'new-agent-fallback', from: 'node-agent', to: 'master', transport: 'tcp', ports: '1072-1170', purpose: 'Fallback', necessity: 'conditional', when: { param: 'version', gte: 12 }, source: src('New') },
    { id: 'gre', from: 'node-agent', to: 'master', transport: 'gre', ports: null, purpose: 'Tunnel', necessity: 'optional', source: src('GRE') },
  ],
};

function inventory(params = '{}', hosts = '  updates.example.com: [203.0.113.10]') {
  return parseInventory([
    'hosts:', hosts,
    'deployments:',
    '  - product: demo-er',
    `    params: ${params}`,
    '    roles:',
    '      master: [10.10.0.11, "2001:db8:10::11"]',
    '      node-agent: [10.40.0.0/24, "2001:db8:40::/64"]',
    '      proxy-agent: [10.10.0.12]',
    '      target: [10.50.0.0/24]',
  ].join('\n'), 'inv.yaml', [ER]);
}

let lineNo = 0;
function flow(action: Action, s: string, d: string, port: number | null, extra: Partial<Flow> = {}): Flow {
  const f = newFlow('test', 'fw.log', ++lineNo);
  Object.assign(f, { action, transport: 'tcp', src_ip: s, src_port: 50000, dst_ip: d, dst_port: port, ts: Date.UTC(2026, 2, 10, 9, 0, lineNo % 60), device: 'PA-3220', rule: 'block-default' }, extra);
  return f;
}

function run(flows: Flow[], inv: ReturnType<typeof inventory> | null = inventory(), rulesets = [ER], by: 'host' | 'requirement' = 'host') {
  const m = new Matcher(rulesets, inv, { by });
  for (const f of flows) m.observe(f);
  return m.result();
}

describe('matcher with an inventory', () => {
  it('confirms a deny between the right roles and fills every field', () => {
    lineNo = 0;
    const r = run([flow('deny', '10.40.0.7', '10.10.0.11', 11117), flow('deny', '10.40.0.7', '10.10.0.11', 11117, { device: 'PA-5220', rule: 'deny-all' })]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      product: 'demo-er', requirement: 'node-to-master', confidence: 'confirmed', transport: 'tcp',
      src_ip: '10.40.0.7', dst_ip: '10.10.0.11', dst_port: 11117, src_role: 'node-agent', dst_role: 'master', count: 2,
      first_seen: '2026-03-10T09:00:01.000Z', last_seen: '2026-03-10T09:00:02.000Z',
      devices: ['PA-3220', 'PA-5220'], rules: ['block-default', 'deny-all'], symptom: 'Agent offline',
      purpose: 'Node agents report to the master', source: 'demo.txt § Node Agent',
      evidence: [{ file: 'fw.log', line: 1 }, { file: 'fw.log', line: 2 }],
      open: 'TCP 11117 from 10.40.0.0/24, 2001:db8:40::/64 to 10.10.0.11, 2001:db8:10::11',
    });
    expect(r.requirements.find((x) => x.requirement === 'node-to-master')).toMatchObject({ status: 'violated', denies: 2, allows: 0 });
  });

  it('ignores the wrong direction, another transport, ports just outside, and other roles', () => {
    const r = run([
      flow('deny', '10.10.0.11', '10.40.0.7', 11117),                        // reversed
      flow('deny', '10.40.0.7', '10.10.0.11', 11117, { transport: 'udp' }),  // other transport
      flow('deny', '10.40.0.7', '10.10.0.11', 11116),
      flow('deny', '10.40.0.7', '10.10.0.11', 11118),
      flow('deny', '10.10.0.12', '10.50.0.9', 134),                          // just below 135
      flow('deny', '10.10.0.12', '10.50.0.9', 49151),                        // just below the range
      flow('deny', '10.40.0.7', '10.50.0.9', 11117),                         // dst is a target, not the master
      flow('unknown', '10.40.0.7', '10.10.0.11', 11117),                     // no verdict
    ]);
    expect(r.findings).toEqual([]);
    expect(r.requirements.every((x) => x.status === 'unobserved')).toBe(true);
  });

  it('flags both edges of a range and IPv6 endpoints', () => {
    const r = run([
      flow('deny', '10.10.0.12', '10.50.0.9', 49152),
      flow('deny', '10.10.0.12', '10.50.0.9', 65535),
      flow('deny', '2001:db8:40::7', '2001:db8:10::11', 11117),
    ]);
    // a wide range (dynamic RPC) is one finding per host pair, with the ports seen
    expect(r.findings.map((f) => `${f.requirement} ${f.dst_ip}:${f.dst_port} ${f.confidence} x${f.count} ${f.dst_ports?.join('+') ?? ''}`).sort()).toEqual([
      'node-to-master 2001:db8:10::11:11117 confirmed x1 ', 'proxy-rpc 10.50.0.9:49152 confirmed x2 49152+65535',
    ]);
  });

  it('gives probable when exactly one endpoint is in the inventory and the other outside it', () => {
    const r = run([
      flow('deny', '10.40.0.7', '10.99.0.1', 11117),   // master moved?
      flow('deny', '10.99.0.2', '10.10.0.11', 11117),  // unlisted node agent
      flow('deny', '10.99.0.2', '10.10.0.11', 443),    // console role not listed in the inventory
      flow('deny', '10.99.0.2', '10.99.0.3', 11117),   // neither endpoint known
    ]);
    expect(r.findings.map((f) => [f.requirement, f.confidence, f.src_ip, f.dst_ip, f.src_role, f.dst_role])).toEqual([
      ['console', 'probable', '10.99.0.2', '10.10.0.11', null, 'master'],
      ['node-to-master', 'probable', '10.40.0.7', '10.99.0.1', 'node-agent', null],
      ['node-to-master', 'probable', '10.99.0.2', '10.10.0.11', null, 'master'],
    ]);
    expect(r.requirements.find((x) => x.requirement === 'node-to-master')).toMatchObject({ status: 'violated', denies: 2 });
  });

  it('never reports local-only requirements and lists them as not applicable', () => {
    const r = run([flow('deny', '10.10.0.11', '10.10.0.11', 5432)]);
    expect(r.findings).toEqual([]);
    expect(r.requirements.map((x) => x.requirement)).not.toContain('local-db');
    expect(r.not_applicable).toContainEqual({ product: 'demo-er', requirement: 'local-db', reason: 'local-only', condition: null });
  });

  it('evaluates `when` against params over defaults (version ≤ 11 → 1070)', () => {
    const flows = () => [flow('deny', '10.40.0.7', '10.10.0.11', 1070), flow('deny', '10.40.0.7', '10.10.0.11', 1072)];
    const v12 = run(flows());
    // the 1070 deny between the roles is a conditional finding naming the parameter (rulesets/README.md rule 5)
    expect(v12.findings.map((f) => [f.requirement, f.confidence])).toEqual([['new-agent', 'confirmed'], ['legacy-agent', 'conditional']]);
    expect(v12.findings[1]!.parameter).toEqual({ name: 'version', value: 12, suggestion: 'set `version` to 11 or lower' });
    expect(v12.not_applicable.map((n) => n.requirement)).toContain('legacy-agent');
    const v11 = run(flows(), inventory('{version: 11}'));
    expect(v11.findings.map((f) => [f.requirement, f.confidence])).toEqual([['legacy-agent', 'confirmed'], ['new-agent', 'conditional']]);
    expect(v11.requirements.map((x) => x.requirement)).not.toContain('new-agent');
  });

  it('gives a port to the most specific requirement of a role pair only, in findings and in the matrix', () => {
    const r = run([flow('deny', '10.40.0.7', '10.10.0.11', 1072), flow('deny', '10.40.0.7', '10.10.0.11', 1100)]);
    expect(r.findings.map((f) => `${f.requirement}:${f.dst_port}`).sort()).toEqual(['new-agent-fallback:1100', 'new-agent:1072']);
    expect(r.requirements.find((x) => x.requirement === 'new-agent-fallback')).toMatchObject({ denies: 1, status: 'violated' });
    expect(r.requirements.find((x) => x.requirement === 'new-agent')).toMatchObject({ denies: 1, status: 'violated' });
  });

  it('matches port-less transports (GRE) on transport alone', () => {
    const r = run([flow('deny', '10.40.0.7', '10.10.0.11', null, { transport: 'gre' })]);
    expect(r.findings.map((f) => [f.requirement, f.dst_port])).toEqual([['gre', null]]);
  });

  it('internet role: any public address; private addresses are not the internet', () => {
    const r = run([flow('deny', '10.10.0.11', '198.51.100.7', 443), flow('deny', '10.10.0.11', '192.168.1.1', 443), flow('deny', '10.10.0.11', '2001:db8::1', 443), flow('deny', '10.10.0.11', '2a00:1450::1', 443)]);
    expect(r.findings.map((f) => [f.requirement, f.dst_ip])).toEqual([['internet-443', '198.51.100.7'], ['internet-443', '2a00:1450::1']]);
  });

  it('hostname requirements: static hosts, URL-log hostnames (also after the deny), and other public addresses', () => {
    const r = run([
      flow('deny', '10.10.0.11', '203.0.113.10', 8843),                       // resolves through inventory hosts
      flow('deny', '10.10.0.11', '198.51.100.20', 8843),                      // url log comes later
      flow('deny', '10.10.0.11', '198.51.100.99', 8843),                      // never resolves
      flow('allow', '10.10.0.50', '198.51.100.20', 443, { host: 'eu.cdn.example.com', url: 'eu.cdn.example.com/x' }),
      flow('deny', '10.10.0.11', '198.51.100.30', 8843, { host: 'updates.example.com:8843' }), // the flow names the host itself
    ]);
    expect(r.findings.map((f) => [f.requirement, f.confidence, f.dst_ip])).toEqual([
      ['update', 'confirmed', '198.51.100.20'], ['update', 'confirmed', '198.51.100.30'], ['update', 'confirmed', '203.0.113.10'],
    ]);
    expect(r.unresolved_host_candidates).toBe(1);
    expect(r.requirements.find((x) => x.requirement === 'update')).toMatchObject({ status: 'violated', denies: 3 });
  });

  it('merges a resolved hostname candidate with later confirmed denies of the same group', () => {
    const r = run([
      flow('deny', '10.10.0.11', '198.51.100.20', 8843),
      flow('allow', '10.10.0.50', '198.51.100.20', 80, { host: 'a.cdn.example.com' }),
      flow('deny', '10.10.0.11', '198.51.100.20', 8843),
    ]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.count).toBe(2);
    expect(r.findings[0]!.evidence.map((e) => e.line)).toEqual([lineNo - 2, lineNo]);
  });

  it('computes matrix statuses: violated, intermittent, ok, unobserved', () => {
    const r = run([
      flow('deny', '10.40.0.7', '10.10.0.11', 11117), flow('allow', '10.40.0.8', '10.10.0.11', 11117),
      flow('allow', '10.10.0.12', '10.50.0.3', 135),
      flow('deny', '10.40.0.7', '10.10.0.11', 1072),
    ]);
    const st = Object.fromEntries(r.requirements.map((x) => [x.requirement, x.status]));
    expect(st).toMatchObject({ 'node-to-master': 'intermittent', 'proxy-rpc': 'ok', 'new-agent': 'violated', console: 'unobserved', update: 'unobserved' });
    expect(r.requirements.find((x) => x.requirement === 'node-to-master')).toMatchObject({ allows: 1, denies: 1 });
    expect(failExitCode(r, 'violated')).toBe(1);
    expect(failExitCode(r, 'none')).toBe(0);
  });

  it('groups by endpoints and port, caps evidence at 5 and sets at 10', () => {
    const flows: Flow[] = [];
    for (let i = 0; i < 12; i++) flows.push(flow('deny', '10.40.0.7', '10.10.0.11', 11117, { device: `fw${i}`, rule: `r${i % 2}` }));
    flows.push(flow('deny', '10.40.0.8', '10.10.0.11', 11117));
    const r = run(flows);
    expect(r.findings.map((f) => [f.src_ip, f.count])).toEqual([['10.40.0.7', 12], ['10.40.0.8', 1]]);
    expect(r.findings[0]!.evidence).toHaveLength(5);
    expect(r.findings[0]!.devices).toHaveLength(10);
    expect(r.findings[0]!.rules).toEqual(['r0', 'r1']);
  });

  it('fail-on probable counts probable findings', () => {
    const r = run([flow('deny', '10.99.0.2', '10.10.0.11', 443)]);
    expect(r.findings[0]!.confidence).toBe('probable');
    expect(failExitCode(r, 'violated')).toBe(1); // the console requirement is violated in the matrix
    const onlyProbable = { findings: r.findings, requirements: [] };
    expect(failExitCode(onlyProbable, 'violated')).toBe(0);
    expect(failExitCode(onlyProbable, 'probable')).toBe(1);
  });
});

describe('matcher without an inventory (port-only)', () => {
  it('reports denies between private hosts on a product port, with all candidate requirements', () => {
    const r = run([
      flow('deny', '10.1.0.7', '10.2.0.1', 1072),
      flow('deny', '203.0.113.5', '10.2.0.1', 11117),   // public source: ignored
      flow('deny', '10.1.0.7', '198.51.100.1', 11117), // private → public on an internal requirement: ignored
      flow('deny', '10.1.0.7', '198.51.100.1', 8843),  // hostname requirement to a public address: kept
      flow('deny', '10.1.0.7', '10.2.0.1', 50000),     // dynamic range (16384 ports) is too wide for port-only
    ], null);
    expect(r.findings.map((f) => [f.confidence, f.dst_ip, f.dst_port, f.candidates])).toEqual([
      ['port-only', '10.2.0.1', 1072, ['demo-er/new-agent']],
      ['port-only', '198.51.100.1', 8843, ['demo-er/update']],
    ]);
    expect(r.requirements).toEqual([]);
  });

  it('infers a master from allowed connections of ≥ 3 distinct peers and labels port-only findings', () => {
    const r = run([
      flow('allow', '10.1.0.1', '10.2.0.1', 11117), flow('allow', '10.1.0.2', '10.2.0.1', 11117), flow('allow', '10.1.0.2', '10.2.0.1', 11117),
      flow('allow', '10.1.0.3', '10.2.0.1', 11117),
      flow('allow', '10.1.0.1', '10.2.0.2', 11117), flow('allow', '10.1.0.2', '10.2.0.2', 11117), // only 2 peers
      flow('deny', '10.1.0.9', '10.2.0.1', 11117),
    ], null);
    expect(r.inferred_roles).toEqual([{ ip: '10.2.0.1', product: 'demo-er', role: 'master?', requirement: 'node-to-master', transport: 'tcp', ports: '11117', peers: 3 }]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ confidence: 'port-only', dst_role: 'demo-er:master?', src_role: null, count: 1 });
    const text = renderTerminal(r);
    expect(text).toContain('PORT-ONLY');
    expect(text).toContain('10.2.0.1  demo-er master?');
  });
});

describe('terminal report', () => {
  it('prints confirmed before probable, with symptom, opening, evidence and the matrix', () => {
    lineNo = 0;
    const r = run([
      flow('deny', '10.99.0.2', '10.10.0.11', 11117),
      flow('deny', '10.40.0.7', '10.10.0.11', 11117, { rule: 'block\u001b[31m-default' }),
      flow('deny', '10.40.0.7', '10.10.0.11', 11117),
    ]);
    const text = renderTerminal(r);
    const lines = text.split('\n');
    const c = lines.findIndex((l) => l.startsWith('CONFIRMED'));
    const p = lines.findIndex((l) => l.startsWith('PROBABLE'));
    expect(c).toBeGreaterThan(0);
    expect(p).toBeGreaterThan(c);
    expect(lines[c]).toBe('CONFIRMED  Demo Recon node-agent 10.40.0.7 cannot reach its master 10.10.0.11 on TCP 11117 — 2 denies, 2026-03-10 09:00 UTC, rules block\\x1b[31m-default, block-default on PA-3220.');
    expect(text).toContain('Symptom: Agent offline');
    expect(text).toContain('Open: TCP 11117 from 10.40.0.0/24, 2001:db8:40::/64 to 10.10.0.11, 2001:db8:10::11 (demo.txt § Node Agent)');
    expect(text).toContain('Evidence: fw.log:2, fw.log:3');
    expect(text).not.toContain('\u001b');
    expect(text).toMatch(/VIOLATED\s+demo-er\s+node-to-master\s+required\s+3\s+0/);
  });
});
