import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInventory, parseHostsFile, loadInventory, loadHostsFile } from '../src/inventory/load.js';
import { parseAddrEntry, parseV4Fast } from '../src/inventory/addr.js';
import { ConfigError } from '../src/model/errors.js';
import type { Ruleset } from '../src/model/ruleset.js';
import { loadBuiltinRulesets } from '../src/rulesets/load.js';

const RS: Ruleset = {
  id: 'demo-er', product: 'Demo Recon', file: 'demo-er.yaml',
  roles: { master: 'master', 'node-agent': 'node', target: 'target' },
  parameters: [
    { id: 'version', description: 'v', default: 12, type: 'number' },
    { id: 'agent_port', description: 'p', default: 11117, type: 'port' },
  ],
  requirements: [
    { id: 'node-to-master', from: 'node-agent', to: 'master', transport: 'tcp', ports: '${agent_port}', purpose: 'p', necessity: 'required', source: { document: 'd.txt', section: 's' } },
  ],
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('address entries', () => {
  it('parses addresses, CIDRs and ranges into intervals', () => {
    expect(parseAddrEntry('10.10.0.11')).toEqual({ family: 4, lo: 168427531n, hi: 168427531n });
    expect(parseAddrEntry('10.40.0.0/24')).toEqual({ family: 4, lo: 170393600n, hi: 170393855n });
    expect(parseAddrEntry('10.41.0.1-10.41.0.99')).toEqual({ family: 4, lo: 170459137n, hi: 170459235n });
    const v6 = parseAddrEntry('2001:db8:1::/48');
    expect(v6.family).toBe(6);
    expect(v6.hi - v6.lo).toBe((1n << 80n) - 1n);
    expect(parseAddrEntry('fe80::1-fe80::ff')).toEqual({ family: 6, lo: 0xfe800000000000000000000000000001n, hi: 0xfe8000000000000000000000000000ffn });
  });
  it('rejects bad entries with a reason', () => {
    expect(() => parseAddrEntry('10.40.0.0/33')).toThrow(/prefix length 33/);
    expect(() => parseAddrEntry('10.40.0.5/24')).toThrow(/host bits/);
    expect(() => parseAddrEntry('10.0.0.256')).toThrow(/not an IPv4/);
    expect(() => parseAddrEntry('10.0.0.9-10.0.0.1')).toThrow(/backwards/);
    expect(() => parseAddrEntry('10.0.0.1-::1')).toThrow(/mixes/);
  });
});

describe('inventory', () => {
  const good = [
    'hosts:',
    '  updates.example.com: [203.0.113.10, 2001:db8::10]',
    'deployments:',
    '  - product: demo-er',
    '    params: {agent_port: 12000}',
    '    roles:',
    '      master: [10.10.0.11, er-master]',
    '      node-agent: [10.40.0.0/24, 10.41.0.1-10.41.0.99, "2001:db8:40::/64"]',
    '',
  ].join('\n');

  it('parses roles into merged integer intervals, params and hosts', () => {
    const hosts = parseHostsFile('# comment\n10.10.0.99 er-master er-master.corp.local\n', 'h.txt');
    const inv = parseInventory(good, 'inv.yaml', [RS], { extraHosts: hosts });
    expect(inv.deployments).toHaveLength(1);
    const d = inv.deployments[0]!;
    expect(d.product).toBe('demo-er');
    expect(d.params).toEqual({ agent_port: 12000 });
    expect(d.line).toBe(4);
    expect(d.roles.get('master')!.v4).toEqual([[168427531, 168427531], [168427619, 168427619]]);
    expect(d.roles.get('master')!.text).toEqual(['10.10.0.11', 'er-master']);
    expect(d.roles.get('node-agent')!.v4).toEqual([[170393600, 170393855], [170459137, 170459235]]);
    expect(d.roles.get('node-agent')!.v6).toEqual([[0x20010db8004000000000000000000000n, 0x20010db800400000ffffffffffffffffn]]);
    expect(inv.hosts.get('updates.example.com')).toEqual(['203.0.113.10', '2001:db8::10']);
    expect(inv.hosts.get('er-master.corp.local')).toEqual(['10.10.0.99']);
  });

  it('reads the demo inventory against the built-in rulesets', async () => {
    const inv = await loadInventory('fixtures/inventory/demo.yaml', loadBuiltinRulesets());
    expect(inv.deployments.map((d) => d.product)).toEqual(['groundlabs-er', 'gfi-languard', 'escan', 'finjan-vsos']);
    expect(inv.hosts.get('mirror.updateng.finjan.com')).toEqual(['203.0.113.10']);
    expect(inv.deployments[0]!.roles.get('node-agent')!.v4).toEqual([[170393600, 170393855]]);
  });

  it('names the line of an unknown role', () => {
    const e = configError(() => parseInventory(good.replace('      master:', '      masterr:'), 'inv.yaml', [RS], { extraHosts: new Map([['er-master', ['10.1.1.1']]]) }));
    expect(e.line).toBe(7);
    expect(e.field).toBe('deployments[0].roles.masterr');
    expect(e.toString()).toMatch(/^inv\.yaml:7: deployments\[0\]\.roles\.masterr: unknown role "masterr" for demo-er \(roles: master, node-agent, target\)$/);
  });

  it('names the line of a bad CIDR', () => {
    const text = good.replace('10.40.0.0/24', '10.40.0.0/40').replace(', er-master', '');
    const e = configError(() => parseInventory(text, 'inv.yaml', [RS]));
    expect(e.line).toBe(8);
    expect(e.message).toMatch(/prefix length 40/);
  });

  it('names the line of an unknown product, an unresolvable hostname and a bad parameter', () => {
    const noHost = configError(() => parseInventory(good, 'inv.yaml', [RS]));
    expect(noHost.line).toBe(7);
    expect(noHost.message).toMatch(/hostname "er-master" does not resolve/);
    const e = configError(() => parseInventory(good.replace('product: demo-er', 'product: nope'), 'inv.yaml', [RS]));
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/unknown product "nope" \(known: demo-er\)/);
    const p = configError(() => parseInventory(good.replace('agent_port: 12000', 'agent_prt: 12000').replace(', er-master', ''), 'inv.yaml', [RS]));
    expect(p.line).toBe(5);
    expect(p.message).toMatch(/unknown parameter "agent_prt"/);
    const port = configError(() => parseInventory(good.replace('agent_port: 12000', 'agent_port: 70000').replace(', er-master', ''), 'inv.yaml', [RS]));
    expect(port.line).toBe(5);
    expect(port.message).toMatch(/outside 0-65535/);
    const ver = configError(() => parseInventory(good.replace('agent_port: 12000', 'version: twelve').replace(', er-master', ''), 'inv.yaml', [RS]));
    expect(ver.message).toMatch(/must be a number/);
  });

  it('reports YAML syntax errors with their line', () => {
    const e = configError(() => parseInventory('deployments:\n  - product: demo-er\n    roles: {master: [10.0.0.1\n', 'inv.yaml', [RS]));
    expect(e.message).toMatch(/YAML syntax error/);
    expect(e.line).toBeGreaterThanOrEqual(3);
  });

  it('rejects a bad address under hosts with its line', () => {
    const e = configError(() => parseInventory('hosts:\n  a.example.com: [1.2.3]\ndeployments: []\n', 'inv.yaml', [RS]));
    expect(e.line).toBe(2);
    expect(e.field).toBe('hosts.a.example.com');
  });

  it('loads the bad fixtures with their line numbers', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['fixtures/inventory/bad-role.yaml', 8, /unknown role "agent" for groundlabs-er/],
      ['fixtures/inventory/bad-cidr.yaml', 7, /prefix length 33/],
      ['fixtures/inventory/bad-syntax.yaml', 6, /YAML syntax error/],
    ];
    for (const [file, line, re] of cases) {
      const err = await loadInventory(file, loadBuiltinRulesets()).then(() => null, (e: unknown) => e);
      expect(err, file).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).line, file).toBe(line);
      expect((err as ConfigError).message, file).toMatch(re);
      expect((err as ConfigError).toString(), file).toMatch(new RegExp(`^${file.replace(/[./]/g, '\\$&')}:${line}: `));
    }
  });
});

describe('hosts file', () => {
  it('parses /etc/hosts lines with aliases and comments', () => {
    const m = parseHostsFile('127.0.0.1 localhost\n\n203.0.113.10  mirror.updateng.finjan.com updateng.finjan.com # mirror\n::1 ip6-localhost\n', 'hosts');
    expect(m.get('updateng.finjan.com')).toEqual(['203.0.113.10']);
    expect(m.get('mirror.updateng.finjan.com')).toEqual(['203.0.113.10']);
    expect(m.get('ip6-localhost')).toEqual(['::1']);
  });
  it('names the line of a bad address or a missing name', () => {
    const e = configError(() => parseHostsFile('127.0.0.1 localhost\n203.0.113.300 bad.example.com\n', 'hosts'));
    expect(e.toString()).toBe('hosts:2: address: "203.0.113.300" is not an IP address');
    const n = configError(() => parseHostsFile('# x\n\n203.0.113.3\n', 'hosts'));
    expect(n.line).toBe(3);
    expect(n.field).toBe('hostname');
  });
  it('reports a missing file as a ConfigError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-hosts-'));
    writeFileSync(join(dir, 'ok'), '10.0.0.1 a.example.com\n');
    expect((await loadHostsFile(join(dir, 'ok'))).get('a.example.com')).toEqual(['10.0.0.1']);
    await expect(loadHostsFile(join(dir, 'missing'))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('long address lists (issue 14: enterprise inventories)', () => {
  const big = (bad: string | null, after = '      target: [10.50.0.0/24]') => {
    const lines = ['deployments:', '  - product: groundlabs-er', '    roles:', '      master: [10.10.0.11]', '      node-agent:'];
    for (let i = 0; i < 40; i++) lines.push(`        - ${i === 20 && bad ? bad : `10.40.${i}.0/24`}`);
    lines.push(after);
    return lines.join('\n') + '\n';
  };

  it('reads a 40-entry block list exactly like the YAML would', () => {
    const inv = parseInventory(big(null), 'big.yaml', loadBuiltinRulesets());
    const set = inv.deployments[0]!.roles.get('node-agent')!;
    expect(set.text).toHaveLength(40);
    expect(set.v4).toEqual([[(10 << 24 | 40 << 16) >>> 0, ((10 << 24 | 40 << 16 | 39 << 8 | 255) >>> 0)]]);
    expect(inv.deployments[0]!.roles.get('target')!.text).toEqual(['10.50.0.0/24']);
  });

  it('names the line of a bad entry inside the list, and of an error after it', () => {
    const rs = loadBuiltinRulesets();
    expect(configError(() => parseInventory(big('10.40.20.300'), 'big.yaml', rs)).toString()).toMatch(/^big\.yaml:26: deployments\[0\]\.roles\.node-agent: "10\.40\.20\.300" is not an IPv4 address/);
    expect(configError(() => parseInventory(big('10.40.20.1/24'), 'big.yaml', rs)).toString()).toMatch(/^big\.yaml:26: .*host bits set/);
    expect(configError(() => parseInventory(big(null, '      nonsense: [10.1.1.1]'), 'big.yaml', rs)).toString()).toMatch(/^big\.yaml:46: deployments\[0\]\.roles\.nonsense: unknown role/);
  });

  it('leaves an entry continued on a more indented line to YAML (its text and line as YAML reads them)', () => {
    const rs = loadBuiltinRulesets();
    const text = big(null, '          - 10.41.0.1\n      target: [10.50.0.0/24]');
    // YAML folds the last item and the more indented line into one plain scalar, on the last item's line (45)
    expect(configError(() => parseInventory(text, 'big.yaml', rs)).toString()).toMatch(/^big\.yaml:45: deployments\[0\]\.roles\.node-agent: "10\.40\.39\.0\/24 - 10\.41\.0\.1" has a bad prefix length/);
  });

  it('reads block lists as the same lists in flow style (CRLF, no final newline, unsorted, adjacent and repeated entries)', () => {
    const rs = loadBuiltinRulesets();
    const entries = Array.from({ length: 300 }, (_, i) => (i % 5 === 0 ? `10.9.${(i * 37) % 256}.0/24` : i % 5 === 1 ? `10.8.${i % 256}.1-10.8.${i % 256}.7` : `10.7.${(i * 11) % 256}.${i % 256}`));
    const head = ['deployments:', '  - product: groundlabs-er', '    roles:', '      master: [10.10.0.11]'];
    const flow = [...head, `      node-agent: [${entries.join(', ')}]`, `      target: [${entries.slice(0, 40).reverse().join(', ')}]`].join('\n');
    const block = [...head, '      node-agent:', ...entries.map((e) => `        - ${e}`), '      target:', ...entries.slice(0, 40).reverse().map((e) => `        - ${e}  `)].join('\r\n');
    const a = parseInventory(flow, 'flow.yaml', rs).deployments[0]!.roles, b = parseInventory(block, 'block.yaml', rs).deployments[0]!.roles;
    expect([...b.keys()]).toEqual(['master', 'node-agent', 'target']);
    for (const role of a.keys()) expect(b.get(role), role).toEqual(a.get(role));
    expect(b.get('node-agent')!.text).toHaveLength(300);
    expect(b.get('node-agent')!.v4.length).toBeGreaterThan(50);
    // merged: sorted, disjoint, not touching
    const v4 = b.get('node-agent')!.v4;
    for (let i = 1; i < v4.length; i++) expect(v4[i]![0]).toBeGreaterThan(v4[i - 1]![1] + 1);
  });

  it('parses entries to integers directly, falling back to the validating parser for anything doubtful', () => {
    expect(parseV4Fast('10.1.2.3')).toEqual([167838211, 167838211]);
    expect(parseV4Fast('10.1.2.0/24')).toEqual([167838208, 167838463]);
    expect(parseV4Fast('10.1.2.3-10.1.2.9')).toEqual([167838211, 167838217]);
    for (const s of ['010.1.2.3', '10.1.2.1/24', '10.1.2.0/33', '10.1.2.0/024', '10.1.2.9-10.1.2.3', '10.1.2', 'a.b.c.d', '2001:db8::1']) expect(parseV4Fast(s), s).toBeNull();
  });
});
