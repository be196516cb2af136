/**
 * `fwaudit diagnose rpc` end to end on the built CLI: every verdict from fixture logs (fixtures/diagnose/),
 * the evidence file:line, the advice text, --legacy-target, --at/--window, roles from the inventory,
 * --db, the evidence cap, and bad arguments.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, jsonLines } from './helpers/cli.js';
import { parseAt, parseDuration, DiagnoseArgError } from '../src/diagnose/common.js';
import { Store } from '../src/store/store.js';
import type { Flow } from '../src/model/flow.js';

const FX = 'fixtures/diagnose';
const INV = `${FX}/inventory.yaml`;

interface Ev { file: string; line: number; ts: string; action: string; transport: string; src_ip: string; src_port: number; dst_ip: string; dst_port: number; device: string | null; rule: string | null }
interface RpcJson {
  verdict: string; from: string; to: string; window: { at: string; from: string; to: string; minutes: number } | null;
  evidence: Ev[]; advice: string[]; requirements: Array<{ ruleset: string; requirement: string; cite: string }>;
  counts: { flows: number; allowed: number; denied: number; outside_window: number; by_kind: Record<string, { allowed: number; denied: number }> };
  dynamic_range: string;
}

function rpc(args: string[]): { code: number; json: RpcJson; stderr: string } {
  const r = runCli(['diagnose', 'rpc', '--json', '--tz', 'UTC', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const lines = jsonLines(r.stdout);
  expect(lines).toHaveLength(1);
  return { code: r.code, json: lines[0] as unknown as RpcJson, stderr: r.stderr };
}

const refs = (j: RpcJson, action?: string) => j.evidence.filter((e) => !action || e.action === action).map((e) => `${e.file}:${e.line}`);

describe('diagnose rpc verdicts', () => {
  it('TCP 135 allowed, dynamic range dropped by the target\'s Windows Firewall → dynamic-ports-blocked with the pfirewall.log lines', () => {
    const { json } = rpc(['--from', '10.10.0.5', '--to', '10.20.0.31', `${FX}/target-pfirewall.log`]);
    expect(json.verdict).toBe('dynamic-ports-blocked');
    expect(json.window).toBeNull();
    expect(refs(json, 'deny')).toEqual([7, 8, 9, 13].map((n) => `${FX}/target-pfirewall.log:${n}`));
    expect(refs(json, 'allow')).toContain(`${FX}/target-pfirewall.log:6`);
    expect(json.evidence[0]).toEqual({
      file: `${FX}/target-pfirewall.log`, line: 7, ts: '2026-03-10T09:14:02.000Z', action: 'deny', transport: 'tcp',
      src_ip: '10.10.0.5', src_port: 51013, dst_ip: '10.20.0.31', dst_port: 49668, device: null, rule: null,
    });
    expect(json.counts).toMatchObject({ flows: 7, allowed: 3, denied: 4 });
    expect(json.counts.by_kind['epmap']).toMatchObject({ allowed: 1, denied: 0 });
    expect(json.counts.by_kind['dynamic']).toMatchObject({ allowed: 0, denied: 4 });
    expect(json.advice[0]).toBe(
      `The Windows Firewall of 10.20.0.31 (its pfirewall.log; RECEIVE = inbound) dropped 4 TCP connections from 10.10.0.5 to 10.20.0.31 on ports 49668, 49671 — the dynamic RPC range (TCP 49152-65535) (${FX}/target-pfirewall.log:7, :8, :9, :13).`);
    expect(json.advice[1]).toContain(`TCP 135 (endpoint mapper) was allowed (1 flow: ${FX}/target-pfirewall.log:6)`);
    expect(json.advice).toContain(
      'Open TCP 49152-65535 inbound on 10.20.0.31 from 10.10.0.5 (Windows Firewall of 10.20.0.31): netsh advfirewall firewall add rule name="fwaudit: TCP 49152-65535 from 10.10.0.5" dir=in action=allow protocol=TCP localport=RPC remoteip=10.10.0.5 — or fix WMI/DCOM on the target to static ports and allow only those.');
    expect(json.requirements.map((q) => q.cite)).toEqual([
      'gfi-languard / server-to-target-rpc-dynamic / gfi-languard-ports.txt § Testing',
      'groundlabs-er / agentless-windows-dynamic / groundlabs-enterprise-recon-2.0.28-network.txt § Agentless Scan',
    ]);
    expect(json.advice.at(-1)).toContain('Vendor requirements: gfi-languard / server-to-target-rpc-dynamic');
  });

  it('the text output names the device, the lines and what to open', () => {
    const r = runCli(['diagnose', 'rpc', '--from', '10.10.0.5', '--to', '10.20.0.31', '--tz', 'UTC', `${FX}/target-pfirewall.log`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Verdict: dynamic-ports-blocked\n/);
    expect(r.stdout).toContain('  - The Windows Firewall of 10.20.0.31 (its pfirewall.log; RECEIVE = inbound) dropped 4 TCP connections');
    expect(r.stdout).toContain(`  ${FX}/target-pfirewall.log:7  2026-03-10T09:14:02.000Z  DENY tcp 10.10.0.5:51013 -> 10.20.0.31:49668`);
    expect(r.stdout).toContain('Vendor requirements:\n  - gfi-languard / server-to-target-rpc-dynamic / gfi-languard-ports.txt § Testing — TCP 49152-65535');
  });

  it('TCP 135 denied → endpoint-mapper-blocked, dynamic denies become a secondary finding', () => {
    const { json } = rpc(['--from', '10.10.0.5', '--to', '10.20.0.32', `${FX}/window-pfirewall.log`]);
    expect(json.verdict).toBe('endpoint-mapper-blocked');
    expect(refs(json, 'deny').slice(0, 2)).toEqual([`${FX}/window-pfirewall.log:6`, `${FX}/window-pfirewall.log:7`]);
    expect(json.advice[0]).toContain('dropped 2 TCP connections from 10.10.0.5 to 10.20.0.32 on port 135 — port 135 (RPC endpoint mapper)');
    expect(json.advice).toContain(
      'Open TCP 135 inbound on 10.20.0.32 from 10.10.0.5 (Windows Firewall of 10.20.0.32): netsh advfirewall firewall add rule name="fwaudit: TCP 135 from 10.10.0.5" dir=in action=allow protocol=TCP localport=RPC-EPMap remoteip=10.10.0.5.');
    expect(json.advice.some((a) => a.startsWith('Also: The Windows Firewall of 10.20.0.32') && a.includes('port 49701'))).toBe(true);
    expect(json.requirements.map((q) => `${q.ruleset}/${q.requirement}`)).toEqual([
      'gfi-languard/server-to-target-rpc-tcp', 'gfi-languard/server-to-agent-rpc', 'groundlabs-er/agentless-windows-rpc',
    ]);
  });

  it('TCP 445/139 denied on the path firewall → smb-blocked, naming the device and log prefix', () => {
    const { json } = rpc(['--from', '10.10.0.5', '--to', '10.20.0.50', `${FX}/gateway-iptables.log`]);
    expect(json.verdict).toBe('smb-blocked');
    expect(refs(json, 'deny')).toEqual([3, 4, 5].map((n) => `${FX}/gateway-iptables.log:${n}`));
    expect(json.evidence[0]).toMatchObject({ device: 'gw01', rule: 'Shorewall:srv2lan:DROP:', dst_port: 445 });
    expect(json.advice[0]).toBe(
      `Firewall gw01, log prefix "Shorewall:srv2lan:DROP:" denied 3 TCP connections from 10.10.0.5 to 10.20.0.50 on ports 139, 445 — SMB (TCP 445) / NetBIOS session (TCP 139) (${FX}/gateway-iptables.log:3, :4, :5).`);
    expect(json.advice).toContain('Open TCP 139, 445 from 10.10.0.5 to 10.20.0.50 on firewall gw01: an allow rule above the one that denied it (log prefix "Shorewall:srv2lan:DROP:").');
    expect(json.requirements.map((q) => `${q.ruleset}/${q.requirement}`)).toContain('gfi-languard/server-to-target-smb');
  });

  it('all RPC flows allowed → reachable', () => {
    const { json } = rpc(['--from', '10.10.0.5', '--to', '10.20.0.60', `${FX}/gateway-iptables.log`]);
    expect(json.verdict).toBe('reachable');
    expect(json.counts).toMatchObject({ flows: 3, allowed: 3, denied: 0 });
    expect(refs(json)).toEqual([6, 7, 8].map((n) => `${FX}/gateway-iptables.log:${n}`));
    expect(json.advice[0]).toContain('Every RPC flow logged from 10.10.0.5 to 10.20.0.60 was allowed');
  });

  it('no flow between the pair → no-evidence, saying which log would show it', () => {
    const { json } = rpc(['--from', '10.10.0.5', '--to', '10.20.0.99', `${FX}/target-pfirewall.log`, `${FX}/gateway-iptables.log`]);
    expect(json.verdict).toBe('no-evidence');
    expect(json.evidence).toEqual([]);
    expect(json.counts.flows).toBe(0);
    expect(json.advice[0]).toBe('No flow between 10.10.0.5 and 10.20.0.99 was found.');
    expect(json.advice[1]).toContain("10.20.0.99's Windows Firewall log");
    expect(json.advice[1]).toContain('netsh advfirewall set allprofiles logging droppedconnections enable');
    expect(json.advice[1]).toContain('the firewall on the path');
  });
});

describe('diagnose rpc options', () => {
  it('--legacy-target widens the dynamic range to 1024-65535', () => {
    const plain = rpc(['--from', '10.10.0.5', '--to', '10.20.0.40', `${FX}/legacy-pfirewall.log`]).json;
    expect(plain.verdict).toBe('reachable');
    expect(plain.dynamic_range).toBe('49152-65535');
    expect(plain.advice.some((a) => a.includes('denied TCP ports 1031, 1188 are in 1024-49151') && a.includes('--legacy-target'))).toBe(true);

    const legacy = rpc(['--from', '10.10.0.5', '--to', '10.20.0.40', '--legacy-target', `${FX}/legacy-pfirewall.log`]).json;
    expect(legacy.verdict).toBe('dynamic-ports-blocked');
    expect(legacy.dynamic_range).toBe('1024-65535');
    expect(refs(legacy, 'deny')).toEqual([7, 8, 9].map((n) => `${FX}/legacy-pfirewall.log:${n}`));
    expect(legacy.advice[0]).toContain('on ports 1031, 1188 — the dynamic RPC range (TCP 1024-65535)');
    expect(legacy.requirements.map((q) => `${q.ruleset}/${q.requirement}`)).toEqual([
      'gfi-languard/server-to-target-rpc-dynamic-legacy', 'groundlabs-er/agentless-windows-legacy-dynamic',
    ]);
  });

  it('--at/--window keep only the flows around the time (ISO or local time in --tz)', () => {
    // Morning: TCP 135 dropped. Afternoon: 135 allowed, dynamic ports dropped.
    const pm = rpc(['--from', '10.10.0.5', '--to', '10.20.0.32', '--at', '2026-03-10 14:05', '--window', '30m', `${FX}/window-pfirewall.log`]).json;
    expect(pm.verdict).toBe('dynamic-ports-blocked');
    expect(pm.window).toEqual({ at: '2026-03-10T14:05:00.000Z', from: '2026-03-10T13:35:00.000Z', to: '2026-03-10T14:35:00.000Z', minutes: 30 });
    expect(refs(pm)).toEqual([9, 10, 8].map((n) => `${FX}/window-pfirewall.log:${n}`));
    expect(pm.counts).toMatchObject({ flows: 3, outside_window: 2 });
    expect(pm.advice.some((a) => a.startsWith('Note: 2 flows between the pair fall outside the window'))).toBe(true);

    const am = rpc(['--from', '10.10.0.5', '--to', '10.20.0.32', '--at', '2026-03-10T08:00:00Z', '--window', '10m', `${FX}/window-pfirewall.log`]).json;
    expect(am.verdict).toBe('endpoint-mapper-blocked');
    expect(refs(am)).toEqual([6, 7].map((n) => `${FX}/window-pfirewall.log:${n}`));

    // Local time in another zone: the log's local times and --at are both read in Europe/Berlin (UTC+1 in March).
    const berlin = runCli(['diagnose', 'rpc', '--json', '--from', '10.10.0.5', '--to', '10.20.0.32', '--tz', 'Europe/Berlin', '--at', '2026-03-10 14:05', '--window', '30m', `${FX}/window-pfirewall.log`]);
    const bj = jsonLines(berlin.stdout)[0] as unknown as RpcJson;
    expect(bj.window?.at).toBe('2026-03-10T13:05:00.000Z');
    expect(bj.verdict).toBe('dynamic-ports-blocked');
    expect(bj.evidence[0]).toMatchObject({ line: 9, ts: '2026-03-10T13:00:01.000Z' });

    const noon = rpc(['--from', '10.10.0.5', '--to', '10.20.0.32', '--at', '2026-03-10 12:00', `${FX}/window-pfirewall.log`]).json;
    expect(noon.verdict).toBe('no-evidence');
    expect(noon.counts.outside_window).toBe(5);
  });

  it('--to accepts an inventory role (a CIDR means any address in it)', () => {
    const { json } = rpc(['--from', 'groundlabs-er:proxy-agent', '--to', 'groundlabs-er:target', '--inventory', INV, `${FX}/edge-panos.log`]);
    expect(json.verdict).toBe('endpoint-mapper-blocked');
    expect(json.to).toBe('groundlabs-er:target');
    expect(refs(json, 'deny')).toEqual([`${FX}/edge-panos.log:1`, `${FX}/edge-panos.log:2`]);
    expect(refs(json, 'allow')).toEqual([`${FX}/edge-panos.log:3`]); // 10.50.0.8 is in 10.50.0.0/24 too
    expect(json.advice[0]).toBe(`Firewall PA-3220, rule "deny-to-scan-targets" denied 2 TCP connections from 10.10.0.12 to 10.50.0.7 on port 135 — port 135 (RPC endpoint mapper) (${FX}/edge-panos.log:1, :2).`);
    expect(json.advice).toContain('Open TCP 135 from 10.10.0.12 to 10.50.0.7 on firewall PA-3220: an allow rule above the one that denied it (rule "deny-to-scan-targets").');
    // With the roles known, only the requirement of that product and role pair is cited.
    expect(json.requirements.map((q) => q.cite)).toEqual(['groundlabs-er / agentless-windows-rpc / groundlabs-enterprise-recon-2.0.28-network.txt § Agentless Scan']);
    // A role name used by one deployment only needs no product prefix.
    expect(rpc(['--from', 'proxy-agent', '--to', '10.50.0.7', '--inventory', INV, `${FX}/edge-panos.log`]).json.verdict).toBe('endpoint-mapper-blocked');
  });

  it('with an inventory, an address pair cites the requirement of its roles only', () => {
    const { json } = rpc(['--from', '10.10.0.5', '--to', '10.20.0.31', '--inventory', INV, `${FX}/target-pfirewall.log`]);
    expect(json.requirements.map((q) => q.cite)).toEqual(['gfi-languard / server-to-target-rpc-dynamic / gfi-languard-ports.txt § Testing']);
  });

  it('keeps terminal escapes from the log out of the text report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-diag-esc-'));
    const line = readFileSync(`${FX}/edge-panos.log`, 'utf8').split('\n')[0]!
      .replace('deny-to-scan-targets', 'evil\x1b[31mred').replace(/ PA-3220 1,/, ' PA\x1b]0;x\x07 1,').replace(',PA-3220,', ',PA\x1b[2J,');
    writeFileSync(join(dir, 'evil.log'), line + '\n');
    const r = runCli(['diagnose', 'rpc', '--from', '10.10.0.12', '--to', '10.50.0.7', '--tz', 'UTC', join(dir, 'evil.log')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Verdict: endpoint-mapper-blocked');
    expect(r.stdout).not.toMatch(/[\x1b\x07]/);
  });

  it('caps the evidence at 20 but counts every flow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-diag-'));
    const lines = ['#Version: 1.5', '#Software: Microsoft Windows Firewall', '#Time Format: Local',
      '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid', ''];
    for (let i = 0; i < 30; i++) lines.push(`2026-03-10 09:${String(10 + i).padStart(2, '0')}:00 DROP TCP 10.10.0.5 10.20.0.31 ${51000 + i} ${49700 + i} 52 S 1 0 64240 - - - RECEIVE -`);
    lines.push('2026-03-10 09:50:00 ALLOW TCP 10.10.0.5 10.20.0.31 52000 135 0 - 0 0 0 - - - RECEIVE 1088');
    writeFileSync(join(dir, 'pfirewall.log'), lines.join('\r\n') + '\r\n');
    const { json } = rpc(['--from', '10.10.0.5', '--to', '10.20.0.31', join(dir, 'pfirewall.log')]);
    expect(json.verdict).toBe('dynamic-ports-blocked');
    expect(json.evidence).toHaveLength(20);
    expect(json.evidence.every((e) => e.action === 'deny')).toBe(true);
    expect(json.counts).toMatchObject({ flows: 31, denied: 30, allowed: 1 });
    expect(json.advice[0]).toContain('dropped 30 TCP connections');
    expect(json.advice[0]).toContain('and 22 more');
  });

  it('--db reads the flows between the pair from a store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-diag-db-'));
    const parsed = jsonLines(runCli(['parse', '--tz', 'UTC', '-q', `${FX}/target-pfirewall.log`, `${FX}/window-pfirewall.log`]).stdout);
    expect(parsed.length).toBe(13);
    const db = join(dir, 'flows.duckdb');
    const store = await Store.open(db);
    const runId = await store.beginRun({ fwauditVersion: 'test' });
    for (const p of parsed) {
      const { community_id: _c, ...f } = p;
      store.appendFlow({ ...(f as unknown as Flow), ts: Date.parse(String(p['ts'])) });
    }
    await store.finishRun(runId, [], [], { inputs: 2, lines: 23, flows: parsed.length });
    await store.close();

    const r = rpc(['--from', '10.10.0.5', '--to', '10.20.0.31', '--db', db]).json;
    expect(r.verdict).toBe('dynamic-ports-blocked');
    expect(refs(r, 'deny')).toEqual([7, 8, 9, 13].map((n) => `${FX}/target-pfirewall.log:${n}`));
    expect(r.evidence[0]!.ts).toBe('2026-03-10T09:14:02.000Z');
    const w = rpc(['--from', '10.10.0.5', '--to', '10.20.0.32', '--db', db, '--at', '2026-03-10T14:05:00Z', '--window', '30m']).json;
    expect(w.verdict).toBe('dynamic-ports-blocked');
    expect(refs(w)).toEqual([9, 10, 8].map((n) => `${FX}/window-pfirewall.log:${n}`));
    // The symptom path reads the store too (the generic LanGuard "RPC server is unavailable" symptom).
    const sym = runCli(['diagnose', '--json', '--product', 'gfi-languard', '--symptom', 'rpc-server-unavailable', '--host', '10.20.0.31', '--db', db]);
    expect(sym.code, sym.stderr).toBe(0);
    const sj = jsonLines(sym.stdout)[0] as { verdict: string; requirements: Array<{ requirement: string; status: string; denied: number }> };
    expect(sj.verdict).toBe('blocked');
    expect(sj.requirements.find((q) => q.requirement === 'server-to-target-rpc-dynamic')).toMatchObject({ status: 'blocked', denied: 4 });
    expect(sj.requirements.find((q) => q.requirement === 'server-to-target-rpc-tcp')).toMatchObject({ status: 'ok' });
    const missing = runCli(['diagnose', 'rpc', '--from', '10.10.0.5', '--to', '10.20.0.31', '--db', join(dir, 'nope.duckdb')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such store');
  });
});

describe('diagnose rpc: bad arguments and input (exit 2)', () => {
  const F = `${FX}/target-pfirewall.log`;
  const cases: Array<[string, string[], RegExp]> = [
    ['missing --to', ['--from', '10.10.0.5', F], /needs --from .* and --to/],
    ['a bad address', ['--from', '10.10.0.5', '--to', '10.20.0.999', F], /--to "10\.20\.0\.999" is not an IP address; a role needs --inventory FILE/],
    ['an unknown role', ['--from', '10.10.0.5', '--to', 'gfi-languard:nothing', '--inventory', INV, F], /no such role in .*inventory\.yaml \(roles: gfi-languard:server/],
    ['an ambiguous role', ['--from', '10.10.0.5', '--to', 'target', '--inventory', INV, F], /exists in several deployments; write it as gfi-languard:target or groundlabs-er:target/],
    ['--window without --at', ['--from', '10.10.0.5', '--to', '10.20.0.31', '--window', '10m', F], /--window needs --at/],
    ['a bad --at', ['--from', '10.10.0.5', '--to', '10.20.0.31', '--at', 'yesterday', F], /--at: cannot read time "yesterday"/],
    ['a bad --window', ['--from', '10.10.0.5', '--to', '10.20.0.31', '--at', '2026-03-10 10:00', '--window', 'long', F], /--window expects a duration/],
    ['no input', ['--from', '10.10.0.5', '--to', '10.20.0.31'], /give the log files to read \(or --db FILE\)/],
    ['an unknown --param', ['--from', '10.10.0.5', '--to', '10.20.0.31', '--param', 'nonsense=1', F], /--param nonsense: no such parameter/],
    ['--symptom with rpc', ['--from', '10.10.0.5', '--to', '10.20.0.31', '--symptom', 'x', F], /--symptom does not apply to "diagnose rpc"/],
    ['an unknown time zone', ['--from', '10.10.0.5', '--to', '10.20.0.31', '--tz', 'Mars/Olympus', F], /unknown time zone "Mars\/Olympus"/],
  ];
  for (const [name, args, msg] of cases) {
    it(`rejects ${name}`, () => {
      const r = runCli(['diagnose', 'rpc', ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
    });
  }

  it('an unreadable input exits 2 but still gives the verdict of the others', () => {
    const r = runCli(['diagnose', 'rpc', '--json', '--tz', 'UTC', '--from', '10.10.0.5', '--to', '10.20.0.31', F, `${FX}/does-not-exist.log`]);
    expect(r.code).toBe(2);
    expect((jsonLines(r.stdout)[0] as unknown as RpcJson).verdict).toBe('dynamic-ports-blocked');
    expect(r.stderr).toContain('does-not-exist.log: ERROR cannot read');
  });
});

describe('time arguments', () => {
  it('parses ISO times, local times in a zone, and durations', () => {
    expect(parseAt('2026-03-10T09:14:00Z', 'UTC')).toBe(Date.UTC(2026, 2, 10, 9, 14));
    expect(parseAt('2026-03-10T09:14:00+02:00', 'UTC')).toBe(Date.UTC(2026, 2, 10, 7, 14));
    expect(parseAt('2026-03-10 09:14', 'America/New_York')).toBe(Date.UTC(2026, 2, 10, 13, 14)); // EDT since 8 March
    expect(parseAt('2026-03-10 09:14:30', 'UTC')).toBe(Date.UTC(2026, 2, 10, 9, 14, 30));
    expect(() => parseAt('2026-13-10 09:14', 'UTC')).toThrow(DiagnoseArgError);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('45')).toBe(2_700_000);
    expect(() => parseDuration('0m')).toThrow(DiagnoseArgError);
  });
});
