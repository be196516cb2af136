/**
 * `fwaudit analyze` end to end on the bundled demo: an iptables gateway, a Windows target's
 * pfirewall.log and PAN-OS syslog, with one inventory. The exact set of confirmed findings, nothing
 * from noise (internet scans, unknown hosts, unrelated ports, a local-only port), exit codes.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';

const ARGS = ['analyze', 'fixtures/demo/logs', '--inventory', 'fixtures/demo/inventory.yaml', '--tz', 'UTC', '--year', '2026'];

interface F { hosts?: { count: number; first: string[]; cidrs: string[] }; product: string; requirement: string; confidence: string; transport: string; src_ip: string; dst_ip: string; dst_port: number | null; count: number; first_seen: string; last_seen: string; devices: string[]; rules: string[]; symptom: string | null; evidence: Array<{ file: string; line: number }> }

describe('analyze --by host', () => {
  it('keeps one finding per host pair: the three eScan clients apart, no hosts summary', () => {
    const r = runCli([...ARGS, '--json', '--by', 'host']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { findings: F[] };
    const escan = out.findings.filter((f) => f.requirement === 'client-update-check' && f.confidence === 'confirmed')
      .map((f) => `${f.src_ip}->${f.dst_ip} x${f.count}`).sort();
    expect(escan).toHaveLength(3);
    expect(escan.every((e) => e.includes('->10.10.0.6 x'))).toBe(true);
    expect(out.findings.every((f) => f.hosts === undefined)).toBe(true);
    const total = out.findings.filter((f) => f.requirement === 'client-update-check').reduce((n, f) => n + f.count, 0);
    expect(total).toBe(12);
  });
  it('rejects an unknown grouping', () => {
    expect(runCli([...ARGS, '--by', 'device']).code).toBe(2);
  });
});

describe('analyze on the demo deployment', () => {
  const r = runCli([...ARGS, '--json']);
  const out = JSON.parse(r.stdout) as { inputs: unknown[]; findings: F[]; requirements: Array<{ product: string; requirement: string; status: string; denies: number; allows: number }> };

  it('finds exactly the broken requirements, with evidence', () => {
    expect(r.code).toBe(0);
    const confirmed = out.findings.filter((f) => f.confidence === 'confirmed')
      .map((f) => `${f.product}/${f.requirement} ${f.src_ip}->${f.dst_ip} ${f.transport}/${f.dst_port} x${f.count}`).sort();
    // one finding per requirement and destination (rulesets/README.md rule 7), the clients in `hosts`
    expect(confirmed).toEqual([
      'escan/client-update-check 10.60.0.15->10.10.0.6 tcp/3333 x12',
      'finjan-vsos/policy-updates 10.10.0.20->203.0.113.10 tcp/443 x6',
      'gfi-languard/server-to-target-rpc-dynamic 10.10.0.5->10.20.0.33 tcp/49667 x12',
      'groundlabs-er/node-agent-to-master 10.40.0.7->10.10.0.11 tcp/11117 x65',
    ]);
    expect(out.findings.find((f) => f.requirement === 'client-update-check')!.hosts).toEqual({ count: 3, first: ['10.60.0.15', '10.60.0.16', '10.60.0.17'], cidrs: ['10.60.0.15', '10.60.0.16/31'], side: 'src' });
    const er = out.findings.find((f) => f.requirement === 'node-agent-to-master')!;
    expect(er).toMatchObject({ first_seen: '2026-03-10T09:00:05.000Z', last_seen: '2026-03-10T12:14:40.000Z', devices: ['PA-3220'], rules: ['block-default'] });
    expect(er.evidence).toHaveLength(5);
    expect(er.evidence[0]).toEqual({ file: 'fixtures/demo/logs/pa-3220.log', line: 1 });
    const rpc = out.findings.find((f) => f.requirement === 'server-to-target-rpc-dynamic')!;
    expect(rpc.symptom).toBe('The RPC server is unavailable');
    expect(rpc.evidence[0]!.file).toBe('fixtures/demo/logs/target-10.20.0.33-pfirewall.log');
  });

  it('reports nothing for noise: internet scans, unknown public hosts, unrelated ports, the local-only eScan 2226', () => {
    expect(out.findings.filter((f) => f.confidence !== 'confirmed')).toEqual([]);
    expect(out.findings.some((f) => f.src_ip.startsWith('198.51.100.') || f.src_ip === '203.0.113.99')).toBe(false);
    expect(out.findings.some((f) => f.dst_port === 2226 || f.dst_port === 8443)).toBe(false);
  });

  it('fills the compliance matrix', () => {
    const st = (p: string, id: string) => out.requirements.find((x) => x.product === p && x.requirement === id);
    expect(st('groundlabs-er', 'node-agent-to-master')).toMatchObject({ status: 'intermittent', denies: 65, allows: 20 });
    expect(st('gfi-languard', 'server-to-target-rpc-tcp')).toMatchObject({ status: 'ok', denies: 0, allows: 4 });
    expect(st('gfi-languard', 'server-to-target-rpc-dynamic')).toMatchObject({ status: 'violated', denies: 12, allows: 0 });
    expect(st('groundlabs-er', 'console-https')).toMatchObject({ status: 'unobserved', denies: 0, allows: 0 });
    expect(out.requirements.some((x) => x.product === 'escan' && x.requirement === 'server-self-events')).toBe(false); // local-only: not in the matrix
  });

  it('prints a pasteable summary, worst first', () => {
    const t = runCli(ARGS);
    expect(t.code).toBe(0);
    const first = t.stdout.split('\n').find((l) => l.startsWith('CONFIRMED'))!;
    expect(first).toBe('CONFIRMED  Ground Labs Enterprise Recon node-agent 10.40.0.7 cannot reach its master 10.10.0.11 on TCP 11117 — 65 denies, 2026-03-10 09:00–12:14 UTC, rule block-default on PA-3220.');
    expect(t.stdout).toContain('Open: TCP 11117 from 10.40.0.0/24, 10.41.0.1-10.41.0.99 to 10.10.0.11');
  });

  it('exits 1 with --fail-on violated, 0 with none, 2 on a bad inventory with file:line', () => {
    expect(runCli([...ARGS, '--fail-on', 'violated']).code).toBe(1);
    expect(runCli([...ARGS, '--fail-on', 'none']).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-inv-'));
    const bad = join(dir, 'inv.yaml');
    writeFileSync(bad, 'deployments:\n  - product: groundlabs-er\n    roles:\n      master: [10.10.0.300/24]\n');
    const r2 = runCli(['analyze', 'fixtures/demo/logs', '--inventory', bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/inv\.yaml:4: deployments\[0\]\.roles\.master: "10\.10\.0\.300" is not an IPv4 address/);
  });

  it('without an inventory shows port-only findings apart', () => {
    const p = runCli(['analyze', 'fixtures/demo/logs', '--tz', 'UTC', '--year', '2026', '--json']);
    const po = JSON.parse(p.stdout) as { findings: F[] };
    expect(po.findings.length).toBeGreaterThan(0);
    expect(po.findings.every((f) => f.confidence === 'port-only')).toBe(true);
    expect(po.findings.some((f) => f.src_ip === '10.40.0.7' && f.dst_port === 11117)).toBe(true);
  });

  it('adds a PAN-OS web UI CSV export from a second firewall: its violation, not its noise', () => {
    const r2 = runCli(['analyze', 'fixtures/demo/logs', 'fixtures/scenario/pa-5220-export.csv', '--inventory', 'fixtures/demo/inventory.yaml', '--tz', 'UTC', '--year', '2026', '--json']);
    expect(r2.code).toBe(0);
    const o = JSON.parse(r2.stdout) as { findings: F[] };
    const fromCsv = o.findings.filter((f) => f.evidence[0]!.file === 'fixtures/scenario/pa-5220-export.csv');
    expect(fromCsv.map((f) => `${f.confidence} ${f.product}/${f.requirement} ${f.src_ip}->${f.dst_ip}:${f.dst_port} x${f.count} ${f.devices.join()} ${f.rules.join()} ${f.hosts?.count}`).sort()).toEqual([
      'confirmed gfi-languard/agent-to-server 10.20.0.40->10.10.0.5:1072 x9 PA-5220 deny agents, temp 3',
    ]);
    expect(o.findings.filter((f) => f.confidence !== 'confirmed')).toEqual([]);
    expect(o.findings).toHaveLength(5);
  });

  it('a bad ruleset gives file:line and exit 2', () => {
    const r3 = runCli(['analyze', 'fixtures/demo/logs', '--ruleset', 'fixtures/rulesets/bad-port.yaml']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/fixtures\/rulesets\/bad-port\.yaml:\d+: .*70000/);
  });
});
