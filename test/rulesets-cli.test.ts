import path from 'node:path';
import { Command } from 'commander';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/io.js';
import { register } from '../src/cli/commands/rulesets.js';
import { ConfigError } from '../src/model/errors.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/rulesets');

async function run(args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command().exitOverride();
  let out = '';
  const capture = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
  const ctx: CliContext = { io: { stdout: capture, stderr: capture, stdin: Readable.from([]), env: {} }, exitCode: 0 };
  register(program, ctx);
  await program.parseAsync(args, { from: 'user' });
  return { out, code: ctx.exitCode };
}

describe('fwaudit rulesets', () => {
  it('list shows the four built-ins with counts', async () => {
    const { out, code } = await run(['rulesets', 'list']);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+PRODUCT\s+REQUIREMENTS\s+ROLES\s+FILE$/);
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/)[0])).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er']);
    expect(out).toMatch(/gfi-languard\s+GFI LanGuard\s+26\s+6\s+rulesets\/gfi-languard\.yaml/);
    const json = JSON.parse((await run(['rulesets', 'list', '--json', '--ruleset', path.join(FIX, 'custom-app.yaml')])).out);
    expect(json.map((r: { id: string }) => r.id)).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er', 'acme-backup']);
    expect(json[4]).toMatchObject({ product: 'Acme Backup', requirements: 4, roles: 2 });
  });

  it('show renders resolved ports, flows, conditions and sources', async () => {
    const { out, code } = await run(['rulesets', 'show', 'gfi-languard']);
    expect(code).toBe(0);
    expect(out).toContain('GFI LanGuard');
    const agentRow = out.split('\n').find((l) => l.startsWith('agent-to-server '))!;
    expect(agentRow).toMatch(/agent → server\s+tcp\s+1072 \(agent_port\)\s+conditional: LanGuard 12/);
    expect(out).toContain('1072-1170 (agent_port_fallback)');
    expect(out).toContain('gfi-languard-ports.txt § Remote');
    expect(out).toContain('window 10:00-17:00');
    expect(out.split('\n').find((l) => l.startsWith('gfi-updates '))).toMatch(/server →/);
    expect(out).toContain('gfi-downloader-137146314.us-east-1.elb.amazonaws.com,');
    const escan = (await run(['rulesets', 'show', 'escan'])).out;
    expect(escan).toContain('local only');
    expect(escan).toContain('3023-4023 (passive_ports)');
    const finjan = (await run(['rulesets', 'show', 'finjan-vsos'])).out;
    expect(finjan.split('\n').find((l) => l.startsWith('wccp-gre '))).toMatch(/wccp-router → scanning-server\s+gre\s+-\s+conditional/);
  });

  it('show --json resolves ports; show FILE works', async () => {
    const data = JSON.parse((await run(['rulesets', 'show', 'escan', '--json'])).out);
    expect(data.id).toBe('escan');
    const passive = data.requirements.find((r: { id: string }) => r.id === 'client-ftp-passive');
    expect(passive).toMatchObject({ ports: '${passive_ports}', resolved_ports: '3023-4023' });
    const custom = await run(['rulesets', 'show', path.join(FIX, 'custom-app.yaml')]);
    expect(custom.out).toContain('9400-9410 (data_ports)');
  });

  it('show of an unknown ruleset is a ConfigError', async () => {
    await expect(run(['rulesets', 'show', 'nope'])).rejects.toBeInstanceOf(ConfigError);
  });

  it('validate prints OK or file:line: field: message and exits 2 on error', async () => {
    const ok = await run(['rulesets', 'validate', path.join(FIX, 'custom-app.yaml'), 'escan']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/custom-app\.yaml: OK \(acme-backup: 4 requirements, 2 roles\)/);
    expect(ok.out).toMatch(/escan\.yaml: OK \(escan: 19 requirements, 4 roles\)/);
    const bad = await run(['rulesets', 'validate', path.join(FIX, 'bad-port.yaml'), path.join(FIX, 'bad-unknown-role.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.out.trimEnd().split('\n')).toEqual([
      `${path.join(FIX, 'bad-port.yaml')}:16: requirements[client-to-server].ports: port 70000 is outside 0-65535`,
      `${path.join(FIX, 'bad-unknown-role.yaml')}:17: requirements[client-to-db].to: unknown role "databse" (declared: server, client, internet)`,
    ]);
  });
});
