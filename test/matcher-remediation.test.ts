/**
 * Remediation snippets in the language of the device that denied: golden files for PAN-OS and PowerShell /
 * netsh, and a syntax check by the real tools for iptables (`iptables-restore --test`) and nftables (`nft -c`)
 * inside a network namespace the test creates (root only; never applied to a real device). Rule names from
 * logs are attacker-controlled: they never break out of a quoted string or a comment.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Matcher } from '../src/matcher/matcher.js';
import { parseInventory } from '../src/inventory/load.js';
import { loadBuiltinRulesets } from '../src/rulesets/load.js';
import { newFlow, type Flow } from '../src/model/flow.js';
import type { Finding } from '../src/model/finding.js';

const rulesets = loadBuiltinRulesets();
const INV = parseInventory([
  'hosts:',
  '  mirror.updateng.finjan.com: [203.0.113.10]',
  'deployments:',
  '  - product: groundlabs-er',
  '    roles:',
  '      master: [10.10.0.11, "2001:db8:10::11"]',
  '      node-agent: [10.40.0.0/24, 10.41.0.1-10.41.0.99, "2001:db8:40::/64"]',
  '      proxy-agent: [10.10.0.12]',
  '      target: [10.50.0.0/24]',
  '  - product: finjan-vsos',
  '    roles:',
  '      policy-server: [10.10.0.20]',
  '      scanning-server: [10.30.0.20]',
  '      wccp-router: [10.30.0.1]',
].join('\n'), 'inv.yaml', rulesets);

let n = 0;
function flow(format: string, s: string, d: string, port: number | null, extra: Partial<Flow> = {}): Flow {
  const f = newFlow(format, 'fw.log', ++n);
  Object.assign(f, { ts: Date.UTC(2026, 2, 10, 9, 0, n % 60), action: 'deny', transport: 'tcp', src_ip: s, src_port: 40000, dst_ip: d, dst_port: port }, extra);
  return f;
}

function findings(flows: Flow[]): Finding[] {
  const m = new Matcher(rulesets, INV);
  for (const f of flows) m.observe(f);
  return m.result().findings;
}

const snippet = (f: Finding, dialect: string) => f.remediation!.find((r) => r.dialect === dialect)!;
const GOLD = 'fixtures/remediation';

function golden(name: string, text: string): void {
  const file = join(GOLD, name);
  if (process.env['FWAUDIT_UPDATE_GOLDEN'] === '1') writeFileSync(file, text + '\n');
  expect(text + '\n').toBe(readFileSync(file, 'utf8'));
}

describe('PAN-OS', () => {
  it('node agents blocked on TCP 11117: address objects from the inventory, a service, the rule moved before the blocking one (golden)', () => {
    const fs = findings([
      flow('panos-syslog', '10.40.0.7', '10.10.0.11', 11117, { device: 'PA-3220', rule: 'block-default' }),
      flow('panos-syslog', '10.41.0.9', '10.10.0.11', 11117, { device: 'PA-3220', rule: 'block-default' }),
    ]);
    expect(fs).toHaveLength(1);
    const r = snippet(fs[0]!, 'panos');
    expect(r.device).toBe('PAN-OS PA-3220');
    golden('panos-node-agent.txt', r.text);
  });

  it('a rule name that cannot be quoted safely is never written into a command', () => {
    const evil = 'x" ; delete rulebase security rules *\n; "';
    const fs = findings([flow('panos-syslog', '10.40.0.7', '10.10.0.11', 11117, { device: 'PA-3220', rule: evil })]);
    const r = snippet(fs[0]!, 'panos');
    expect(r.text).not.toContain('delete rulebase security rules *\n');
    expect(r.text.split('\n').filter((l) => !l.startsWith('#')).join('\n')).not.toContain('delete');
    expect(r.text).toContain('# move fwaudit-groundlabs-er-node-agent-to-master above the blocking rule');
    for (const l of r.text.split('\n')) expect(l.startsWith('#') || l.startsWith('set ') || l.startsWith('move ')).toBe(true);
  });
});

describe('Windows Firewall (pfirewall.log): the host\'s own firewall', () => {
  it('New-NetFirewallRule and netsh for the target that dropped inbound RPC (golden)', () => {
    const fs = findings([
      flow('winfw', '10.10.0.12', '10.50.0.9', 135, { direction: 'inbound' }),
      flow('winfw', '10.10.0.12', '10.50.0.9', 135, { direction: 'inbound' }),
    ]);
    const f = fs.find((x) => x.requirement === 'agentless-windows-rpc')!;
    const ps = snippet(f, 'powershell'), ns = snippet(f, 'netsh');
    expect(ps.device).toBe('the Windows Firewall of 10.50.0.9 (its own log)');
    golden('powershell-rpc.txt', ps.text);
    golden('netsh-rpc.txt', ns.text);
  });
});

const haveIptables = spawnSync('iptables-restore', ['--version']).status === 0;
const haveNft = spawnSync('nft', ['--version']).status === 0;
const root = process.getuid?.() === 0;
const netns = root && spawnSync('unshare', ['-n', 'true']).status === 0;
const required = process.env['FWAUDIT_REQUIRE_PREREQS'] === '1';

function iptablesFindings(): Finding[] {
  return findings([
    flow('iptables', '10.40.0.7', '10.10.0.11', 11117, { device: 'gw01', rule: '[UFW BLOCK] ', direction: 'forward' }),
    flow('iptables', '2001:db8:40::7', '2001:db8:10::11', 11117, { device: 'gw01', rule: 'DROP', direction: 'forward' }),
    flow('iptables', '10.10.0.12', '10.50.0.9', 50001, { device: 'gw01', rule: 'DROP', direction: 'forward' }),     // wide range (50000 is DB2's own port)
    flow('iptables', '10.30.0.1', '10.30.0.20', null, { device: 'gw01', rule: 'DROP', direction: 'forward', transport: 'gre' }),
    flow('iptables', '10.30.0.20', '10.20.0.53', 53, { device: 'gw01', rule: "x'\"$(reboot)", direction: 'outbound', transport: 'udp' }),
  ]);
}

describe('iptables and nftables, checked by the real tools in a network namespace', () => {
  it('prerequisites are present when FWAUDIT_REQUIRE_PREREQS=1', () => {
    if (required) expect({ haveIptables, haveNft, root, netns }).toEqual({ haveIptables: true, haveNft: true, root: true, netns: true });
    else expect(typeof haveIptables).toBe('boolean');
  });

  it.skipIf(!(haveIptables && netns))('iptables-restore --test accepts every iptables snippet', () => {
    const fs = iptablesFindings();
    const lines = fs.flatMap((f) => (f.remediation ?? []).filter((r) => r.dialect === 'iptables').flatMap((r) => r.text.split('\n')));
    const v4 = lines.filter((l) => l.startsWith('iptables ')).map((l) => l.replace(/^iptables /, ''));
    const v6 = lines.filter((l) => l.startsWith('ip6tables ')).map((l) => l.replace(/^ip6tables /, ''));
    expect(v4.length).toBeGreaterThanOrEqual(4);
    expect(v6.length).toBeGreaterThanOrEqual(1);
    expect(v4.some((l) => l.includes("--dport 49152:65535")), v4.join("\n")).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-ipt-'));
    writeFileSync(join(dir, 'v4'), `*filter\n${v4.join('\n')}\nCOMMIT\n`);
    writeFileSync(join(dir, 'v6'), `*filter\n${v6.join('\n')}\nCOMMIT\n`);
    execFileSync('unshare', ['-n', 'sh', '-c', `iptables-restore --test < ${dir}/v4 && ip6tables-restore --test < ${dir}/v6`], { stdio: 'pipe' });
  });

  it.skipIf(!(haveNft && netns))('nft -c accepts every nftables snippet', () => {
    const fs = iptablesFindings();
    const rules = fs.flatMap((f) => (f.remediation ?? []).filter((r) => r.dialect === 'nftables').flatMap((r) => r.text.split('\n'))).filter((l) => l.startsWith('nft '));
    expect(rules.length).toBeGreaterThanOrEqual(5);
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-nft-'));
    const base = 'table inet filter {\n chain input { type filter hook input priority 0; }\n chain forward { type filter hook forward priority 0; }\n chain output { type filter hook output priority 0; }\n}\n';
    writeFileSync(join(dir, 'rules.nft'), base + rules.map((l) => l.replace(/^nft /, '')).join('\n') + '\n');
    execFileSync('unshare', ['-n', 'nft', '-c', '-f', join(dir, 'rules.nft')], { stdio: 'pipe' });
  });

  it('attacker-controlled log prefixes stay inside comments', () => {
    const fs = iptablesFindings();
    for (const f of fs) for (const r of f.remediation ?? []) {
      for (const l of r.text.split('\n')) {
        if (l.startsWith('#') || l.startsWith('REM')) { expect(l).not.toMatch(/[\n\r"'`$\\]\(/); continue; }
        expect(l).not.toContain('reboot');
      }
    }
  });
});
