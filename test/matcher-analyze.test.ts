/** `fwaudit analyze` end to end on the parser fixtures and the demo inventory (in process). */
import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { main } from '../src/cli/main.js';

const INPUTS = ['fixtures/iptables/dmesg.log', 'fixtures/iptables/rfc5424.log', 'fixtures/iptables/rfc3339-firewalld.log'];

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const stdout = new Writable({ write(c, _e, cb) { out += String(c); cb(); } });
  const stderr = new Writable({ write(c, _e, cb) { err += String(c); cb(); } });
  const code = await main(['node', 'fwaudit', 'analyze', ...args, '--tz', 'UTC', '--year', '2024', '--no-progress'],
    { stdout, stderr, stdin: Readable.from([]), env: { TZ: 'UTC' } });
  return { code, out, err };
}

describe('fwaudit analyze', () => {
  it('--json prints one object with inputs, findings and requirements', async () => {
    const r = await cli([...INPUTS, '--inventory', 'fixtures/inventory/demo.yaml', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['inputs', 'findings', 'requirements']));
    expect(j.inputs).toHaveLength(3);
    const er = j.findings.filter((f: { requirement: string; confidence: string }) => f.requirement === 'node-agent-to-master' && f.confidence === 'confirmed');
    expect(er.length).toBeGreaterThan(0);
    for (const f of er) {
      expect(f).toMatchObject({ product: 'groundlabs-er', transport: 'tcp', src_ip: '10.40.0.7', dst_ip: '10.10.0.11', dst_port: 11117 });
      for (const k of ['count', 'first_seen', 'last_seen', 'devices', 'rules', 'symptom', 'evidence']) expect(f).toHaveProperty(k);
      expect(f.evidence[0].file).toMatch(/fixtures\/iptables\//);
    }
    const row = j.requirements.find((x: { requirement: string }) => x.requirement === 'node-agent-to-master');
    expect(['violated', 'intermittent']).toContain(row.status);
  });

  it('--fail-on violated exits 1; the terminal report starts with the worst finding', async () => {
    const r = await cli([...INPUTS, '--inventory', 'fixtures/inventory/demo.yaml', '--fail-on', 'violated']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/CONFIRMED {2}Ground Labs Enterprise Recon node-agent 10\.40\.0\.7 cannot reach its master 10\.10\.0\.11 on TCP 11117/);
    expect(r.out).toMatch(/Compliance matrix:\n  STATUS +PRODUCT +REQUIREMENT.*\n  VIOLATED +groundlabs-er +node-agent-to-master +required +2 +0/);
    expect(r.out).toMatch(/\n  UNOBSERVED escan \(\d+\): /);
    // The input summary is a diagnostic: on stderr, not in the report on stdout.
    expect(r.out).not.toContain('dmesg.log: iptables');
    expect(r.err).toMatch(/fixtures\/iptables\/dmesg\.log: iptables .*: \d+ lines? = /);
  });

  it('without an inventory reports port-only findings and exits 0 by default', async () => {
    const r = await cli([...INPUTS, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.requirements).toEqual([]);
    expect(j.findings.some((f: { confidence: string; dst_port: number }) => f.confidence === 'port-only' && f.dst_port === 11117)).toBe(true);
  });

  it('a bad inventory exits 2 with file:line: field: message on stderr', async () => {
    const r = await cli([...INPUTS, '--inventory', 'fixtures/inventory/bad-role.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^fwaudit: fixtures\/inventory\/bad-role\.yaml:8: deployments\[0\]\.roles\.agent: unknown role "agent"/m);
    expect(r.out).toBe('');
  });

  it('a missing input exits 2', async () => {
    const r = await cli(['fixtures/iptables/does-not-exist.log', '--inventory', 'fixtures/inventory/demo.yaml']);
    expect(r.code).toBe(2);
  });
});
