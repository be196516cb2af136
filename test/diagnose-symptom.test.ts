/**
 * `fwaudit diagnose --product ID --symptom NAME` and `--list` end to end on the built CLI: one scenario per
 * vendor symptom (LanGuard agents on version 11, eScan signatures, Enterprise Recon agents, Finjan updates
 * through a PAN-OS URL log and DNS), the per-requirement statuses, and bad arguments.
 */
import { describe, expect, it } from 'vitest';
import { runCli, jsonLines } from './helpers/cli.js';

const FX = 'fixtures/diagnose';
const INV = `${FX}/inventory.yaml`;

interface Ev { file: string; line: number; action: string; src_ip: string; dst_ip: string; dst_port: number; device: string | null; rule: string | null }
interface ReqJson { requirement: string; status: string; ports: string; transport: string; denied: number; allowed: number; cite: string; blocked_by: string[]; open: string[]; evidence: Ev[] }
interface SymptomJson {
  verdict: string; ruleset: string; symptom: { id: string; text: string; advice: string | null }; host: string | null;
  params: Record<string, unknown>; requirements: ReqJson[]; not_applicable: ReqJson[]; evidence: Ev[]; advice: string[];
}

function diagnose(args: string[]): SymptomJson {
  const r = runCli(['diagnose', '--json', '--tz', 'UTC', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return jsonLines(r.stdout)[0] as unknown as SymptomJson;
}
const req = (j: SymptomJson, id: string): ReqJson => {
  const found = [...j.requirements, ...j.not_applicable].find((q) => q.requirement === id);
  expect(found, id).toBeDefined();
  return found!;
};
const statuses = (j: SymptomJson) => Object.fromEntries(j.requirements.map((q) => [q.requirement, q.status]));
const refs = (ev: Ev[]) => ev.map((e) => `${e.file}:${e.line}`);

describe('diagnose --symptom, one scenario per vendor symptom', () => {
  it('LanGuard "Unable to contact server" with version 11 (inventory) → agents blocked on TCP 1070', () => {
    const j = diagnose(['--product', 'gfi-languard', '--symptom', 'Unable to contact server', '--inventory', INV, `${FX}/languard-server-pfirewall.log`]);
    expect(j.verdict).toBe('blocked');
    expect(j.symptom.id).toBe('unable-to-contact-server');
    expect(j.params['version']).toBe(11);
    expect(statuses(j)).toEqual({ 'agent-to-server-v11': 'blocked', 'agent-to-relay-v11': 'no evidence', 'relay-to-server-v11': 'no evidence' });
    const v11 = req(j, 'agent-to-server-v11');
    expect(v11).toMatchObject({ transport: 'tcp', ports: '1070', denied: 3, allowed: 0 });
    expect(v11.cite).toBe('gfi-languard / agent-to-server-v11 / gfi-languard-ports.txt § GFI LanGuard and Relay Agents');
    expect(refs(j.evidence)).toEqual([6, 7, 8].map((n) => `${FX}/languard-server-pfirewall.log:${n}`));
    expect(v11.blocked_by).toEqual([
      `The Windows Firewall of 10.10.0.5 (its pfirewall.log; RECEIVE = inbound) dropped 3 TCP connections from 10.20.0.15, 10.20.0.16 to 10.10.0.5 on port 1070 (${FX}/languard-server-pfirewall.log:6, :7, :8).`,
    ]);
    expect(v11.open[0]).toBe('Open TCP 1070 inbound on 10.10.0.5 from 10.20.0.15,10.20.0.16 (Windows Firewall of 10.10.0.5): netsh advfirewall firewall add rule name="fwaudit: TCP 1070 from 10.20.0.15,10.20.0.16" dir=in action=allow protocol=TCP localport=1070 remoteip=10.20.0.15,10.20.0.16.');
    expect(j.not_applicable.map((q) => q.requirement)).toEqual(['agent-to-server', 'agent-to-server-fallback', 'agent-to-relay', 'relay-to-server']);
    expect(j.advice.some((a) => a.startsWith('Vendor advice (gfi-languard): Allow TCP 1072'))).toBe(true);
  });

  it('LanGuard on the default version 12 points at the 1070 flows, and --param version=11 judges them', () => {
    const v12 = diagnose(['--product', 'gfi-languard', '--symptom', 'unable-to-contact-server', `${FX}/languard-server-pfirewall.log`]);
    expect(v12.verdict).toBe('no-evidence');
    expect(req(v12, 'agent-to-server').ports).toBe('1072');
    expect(v12.advice.some((a) => a.includes('match agent-to-server-v11, agent-to-relay-v11, relay-to-server-v11 (TCP 1070)') && a.includes('but version is 12'))).toBe(true);
    const v11 = diagnose(['--product', 'gfi-languard', '--symptom', 'unable-to-contact-server', '--param', 'version=11', `${FX}/languard-server-pfirewall.log`]);
    expect(v11.verdict).toBe('blocked');
    expect(req(v11, 'agent-to-server-v11').denied).toBe(3);
  });

  it('eScan clients not downloading signatures → passive FTP range partly blocked, 3333 and 2021 ok', () => {
    const j = diagnose(['--product', 'escan', '--symptom', 'signatures-not-downloading', '--inventory', INV, `${FX}/escan-server-pfirewall.log`]);
    expect(j.verdict).toBe('partly-blocked');
    expect(statuses(j)).toMatchObject({
      'client-ftp-download': 'ok', 'client-ftp-passive': 'partly blocked', 'client-update-check': 'ok', 'update-agent-ftp-download': 'no evidence',
    });
    const passive = req(j, 'client-ftp-passive');
    expect(passive).toMatchObject({ ports: '3023-4023', denied: 3 });
    expect(refs(passive.evidence.filter((e) => e.action === 'deny'))).toEqual([8, 9, 11].map((n) => `${FX}/escan-server-pfirewall.log:${n}`));
    expect(passive.blocked_by[0]).toContain('dropped 3 TCP connections from 10.60.0.21, 10.60.0.22 to 10.10.0.6 on ports 3517, 3904');
    expect(passive.open[0]).toContain('localport=3023-4023 remoteip=10.60.0.21,10.60.0.22');
    expect(passive.cite).toBe('escan / client-ftp-passive / escan-firewall-ports.txt § Passive mode note (****)');
    expect(j.not_applicable.map((q) => q.requirement)).toEqual(['client-http-download', 'update-agent-http-download']);
    expect(refs(j.evidence).slice(0, 3)).toEqual([8, 9, 11].map((n) => `${FX}/escan-server-pfirewall.log:${n}`));

    // In HTTP mode, 2221 replaces the FTP ports.
    const http = diagnose(['--product', 'escan', '--symptom', 'signatures-not-downloading', '--param', 'http_mode=true', '--inventory', INV, `${FX}/escan-server-pfirewall.log`]);
    expect(req(http, 'client-http-download')).toMatchObject({ status: 'no evidence', ports: '2221' });
    expect(http.not_applicable.map((q) => q.requirement)).toContain('client-ftp-passive');
  });

  it('Enterprise Recon agents not connecting → TCP 11117 denied by the PAN-OS rule', () => {
    const j = diagnose(['--product', 'groundlabs-er', '--symptom', 'agents-not-connecting', '--inventory', INV, `${FX}/edge-panos.log`]);
    expect(j.verdict).toBe('blocked');
    expect(statuses(j)).toEqual({ 'node-agent-to-master': 'blocked', 'proxy-agent-to-master': 'no evidence' });
    const r = req(j, 'node-agent-to-master');
    expect(r).toMatchObject({ ports: '11117', denied: 3 });
    expect(refs(j.evidence)).toEqual([4, 5, 6].map((n) => `${FX}/edge-panos.log:${n}`));
    expect(r.blocked_by[0]).toBe(`Firewall PA-3220, rule "block-default" denied 3 TCP connections from 10.40.0.7, 10.40.0.9 to 10.10.0.11 on port 11117 (${FX}/edge-panos.log:4, :5, :6).`);
    expect(r.open[0]).toBe('Open TCP 11117 from 10.40.0.7,10.40.0.9 to 10.10.0.11 on firewall PA-3220: an allow rule above the one that denied it (rule "block-default").');
    // --host narrows to one agent.
    const one = diagnose(['--product', 'groundlabs-er', '--symptom', 'agents-not-connecting', '--host', '10.40.0.9', '--inventory', INV, `${FX}/edge-panos.log`]);
    expect(one.host).toBe('10.40.0.9');
    expect(refs(one.evidence)).toEqual([`${FX}/edge-panos.log:6`]);
  });

  it('Finjan updates failing → HTTPS to the update sites blocked (inventory hosts + PAN-OS URL log host), DNS ok', () => {
    const j = diagnose(['--product', 'finjan-vsos', '--symptom', 'updates-failing', '--inventory', INV, `${FX}/edge-panos.log`]);
    expect(j.verdict).toBe('blocked');
    expect(statuses(j)).toEqual({ 'policy-updates': 'blocked', 'policy-dns-udp': 'ok', 'policy-dns-tcp': 'no evidence' });
    const up = req(j, 'policy-updates');
    expect(up.denied).toBe(2);
    // line 8: TRAFFIC deny to updateng.finjan.com's address from the inventory hosts; line 9: URL log naming the mirror.
    expect(refs(up.evidence)).toEqual([`${FX}/edge-panos.log:8`, `${FX}/edge-panos.log:9`]);
    expect(up.blocked_by).toContain(`Firewall PA-3220, URL filtering profile of rule "allow-web-out" (block-url of mirror.updateng.finjan.com) denied 1 TCP connection from 10.10.0.20 to 203.0.113.10 on port 443 (${FX}/edge-panos.log:9).`);
    expect(up.open.some((o) => o.startsWith('Allow the hostname in the URL filtering profile of rule "allow-web-out"'))).toBe(true);
    expect(req(j, 'policy-dns-udp').evidence.map((e) => e.line)).toEqual([7]);

    // Without an inventory only the URL log names the host; the TRAFFIC deny to an unnamed address is not attributed.
    const bare = diagnose(['--product', 'finjan', '--symptom', 'updates-failing', '--host', '10.10.0.20', `${FX}/edge-panos.log`]);
    expect(bare.verdict).toBe('blocked');
    expect(refs(req(bare, 'policy-updates').evidence)).toEqual([`${FX}/edge-panos.log:9`]);
  });

  it('prints a readable report', () => {
    const r = runCli(['diagnose', '--product', 'groundlabs-er', '--symptom', 'agents-not-connecting', '--inventory', INV, '--tz', 'UTC', `${FX}/edge-panos.log`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Verdict: blocked\n/);
    expect(r.stdout).toMatch(/ {2}blocked {8}node-agent-to-master {3}TCP 11117 {2}node-agent -> master {2}\(3 denied, 0 allowed\)/);
    expect(r.stdout).toContain(`  ${FX}/edge-panos.log:4  2026-03-10T09:25:00.000Z  DENY tcp 10.40.0.7:51514 -> 10.10.0.11:11117  (device PA-3220, rule "block-default")`);
  });

  it('--at/--window apply to symptoms too', () => {
    const j = diagnose(['--product', 'groundlabs-er', '--symptom', 'agents-not-connecting', '--inventory', INV, '--at', '2026-03-10 12:00', '--window', '1h', `${FX}/edge-panos.log`]);
    expect(j.verdict).toBe('no-evidence');
    expect(j.advice.some((a) => a.startsWith('Note: 3 matching flows fall outside the window'))).toBe(true);
  });
});

describe('diagnose --list', () => {
  it('lists every symptom with its product, and rpc', () => {
    const r = runCli(['diagnose', '--list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PRODUCT +SYMPTOM +TEXT\n\(built in\) +rpc +The RPC server is unavailable/);
    expect(r.stdout).toMatch(/gfi-languard +unable-to-contact-server +Unable to contact server/);
    expect(r.stdout).toMatch(/escan +signatures-not-downloading +Clients or Update Agents do not download virus signatures or policies/);
    const j = jsonLines(runCli(['diagnose', '--list', '--json']).stdout)[0] as { symptoms: Array<{ ruleset: string; symptom: string; requirements: string[] }> };
    const ids = j.symptoms.map((s) => `${s.ruleset}:${s.symptom}`);
    expect(ids).toEqual(expect.arrayContaining(['gfi-languard:unable-to-contact-server', 'escan:signatures-not-downloading', 'groundlabs-er:agents-not-connecting', 'finjan-vsos:updates-failing']));
    expect(j.symptoms.find((s) => s.ruleset === 'groundlabs-er' && s.symptom === 'agents-not-connecting')!.requirements).toEqual(['node-agent-to-master', 'proxy-agent-to-master']);
    const only = jsonLines(runCli(['diagnose', '--list', '--json', '--ruleset', 'escan']).stdout)[0] as { symptoms: Array<{ ruleset: string }> };
    expect(new Set(only.symptoms.map((s) => s.ruleset))).toEqual(new Set(['escan']));
  });
});

describe('diagnose --symptom: bad arguments (exit 2)', () => {
  const F = `${FX}/edge-panos.log`;
  const cases: Array<[string, string[], RegExp]> = [
    ['no symptom', [F], /say which symptom: --symptom NAME/],
    ['an unknown symptom', ['--symptom', 'nonsense', F], /--symptom "nonsense": no such symptom/],
    ['an ambiguous symptom', ['--symptom', 'updates-failing', F], /matches several symptoms: .*gfi-languard:updates-failing.* \(add --product ID\)/],
    ['an unknown product', ['--product', 'acme', '--symptom', 'x', F], /--product "acme": no such ruleset \(known: escan, finjan-vsos, gfi-languard, groundlabs-er\)/],
    ['a bad --host', ['--product', 'escan', '--symptom', 'console-unreachable', '--host', 'server1', F], /--host expects an IP address, got "server1"/],
    ['--from without rpc', ['--product', 'escan', '--symptom', 'console-unreachable', '--from', '10.0.0.1', F], /--from belongs to "fwaudit diagnose rpc/],
    ['a parameter of another product', ['--product', 'escan', '--symptom', 'console-unreachable', '--param', 'version=11', '--param', 'agent_port=1', F], /--param agent_port: no such parameter in escan/],
    ['a missing inventory', ['--product', 'escan', '--symptom', 'console-unreachable', '--inventory', `${FX}/nope.yaml`, F], /nope\.yaml: cannot read inventory/],
  ];
  for (const [name, args, msg] of cases) {
    it(`rejects ${name}`, () => {
      const r = runCli(['diagnose', ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
    });
  }
});
