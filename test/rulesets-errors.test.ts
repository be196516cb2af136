import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/model/errors.js';
import { loadRuleset, validateRulesetFile, validateRulesetText } from '../src/rulesets/load.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/rulesets');
const fx = (name: string) => path.join(FIX, `${name}.yaml`);

function errorsOf(name: string): Array<{ line: number | null; field: string | null; message: string }> {
  return validateRulesetFile(fx(name)).errors.map((e) => ({ line: e.line, field: e.field, message: e.message }));
}

describe('ruleset errors name file, line and field', () => {
  it('unknown role', () => {
    let err: unknown;
    try {
      loadRuleset(fx('bad-unknown-role'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.file).toBe(fx('bad-unknown-role'));
    expect(ce.line).toBe(17);
    expect(ce.field).toBe('requirements[client-to-db].to');
    expect(String(ce)).toBe(`${fx('bad-unknown-role')}:17: requirements[client-to-db].to: unknown role "databse" (declared: server, client, internet)`);
  });

  it('port 70000', () => {
    expect(errorsOf('bad-port')).toEqual([
      { line: 16, field: 'requirements[client-to-server].ports', message: 'port 70000 is outside 0-65535' },
    ]);
    expect(() => loadRuleset(fx('bad-port'))).toThrow(ConfigError);
  });

  it('YAML syntax error', () => {
    const errs = errorsOf('bad-syntax');
    expect(errs).toHaveLength(1);
    expect(errs[0]!.line).toBe(12);
    expect(errs[0]!.field).toBeNull();
    expect(errs[0]!.message).toMatch(/^YAML syntax error: Flow sequence/);
  });

  it('unknown parameter in ports and in when', () => {
    expect(errorsOf('bad-param')).toEqual([
      { line: 16, field: 'requirements[client-to-server].ports', message: 'unknown parameter "agnet_port" (declared: agent_port)' },
      { line: 28, field: 'requirements[client-to-server-legacy].when.param', message: 'unknown parameter "version" (declared: agent_port)' },
    ]);
  });

  it('schema errors: missing field, unknown key, bad id, bad enum', () => {
    const errs = errorsOf('bad-schema');
    expect(errs.map((e) => [e.line, e.field])).toEqual([
      [7, 'requirements[client-to-server].transport'],
      [10, 'requirements[client-to-server].protocol'],
      [15, 'requirements[Server-Updates].id'],
      [21, 'requirements[Server-Updates].necessity'],
    ]);
    expect(errs[0]!.message).toMatch(/^required field is missing/);
    expect(errs[1]!.message).toContain('protocol');
    expect(errs[2]!.message).toContain('kebab-case');
  });

  it('cross-references: duplicate id, GRE with ports, conditional without when, unknown symptom requirement', () => {
    expect(errorsOf('bad-refs')).toEqual([
      { line: 15, field: 'requirements[client-to-server].id', message: 'duplicate requirement id "client-to-server"' },
      { line: 27, field: 'requirements[server-tunnel].ports', message: 'gre has no ports; write ports: null' },
      { line: 29, field: 'requirements[server-tunnel].necessity', message: 'a conditional requirement needs `when` (a condition on a parameter)' },
      { line: 35, field: 'symptoms[backups-failing].requirements[1]', message: 'unknown requirement "client-to-nowhere"' },
    ]);
    expect(() => loadRuleset(fx('bad-refs'))).toThrow(/and 3 more error/);
  });

  it('parameter defaults, when operators and hosts are checked', () => {
    const text = [
      'id: t',
      'product: T',
      'roles: {a: A, b: B}',
      'parameters:',
      '  - {id: p, type: port, default: 99999, description: x}',
      '  - {id: flag, type: boolean, default: false, description: x}',
      'requirements:',
      '  - {id: r1, from: a, to: b, transport: tcp, ports: 1, purpose: x, necessity: conditional, condition: c, when: {param: flag, lte: 3}, source: {document: d, section: s}}',
      '  - {id: r2, from: a, hosts: ["http://x.example/path"], transport: tcp, ports: 1, purpose: x, necessity: required, source: {document: d, section: s}}',
      '  - {id: r3, from: a, transport: tcp, ports: 1, purpose: x, necessity: required, source: {document: d, section: s}}',
    ].join('\n');
    const errs = validateRulesetText(text, 'inline.yaml').errors.map((e) => `${e.line}: ${e.field}: ${e.message}`);
    expect(errs).toEqual([`9: requirements[r2].hosts[0]: host must be a hostname; \`*\` is the only wildcard (no scheme, path or port)`]);
    const fixed = text.replace('["http://x.example/path"]', '["*.x.example"]');
    const errs2 = validateRulesetText(fixed, 'inline.yaml').errors.map((e) => `${e.line}: ${e.field}: ${e.message}`);
    expect(errs2).toEqual([
      '5: parameters[p].default: default of a port parameter must be a port number 0-65535',
      '8: requirements[r1].when.lte: parameter "flag" is boolean: use eq: true|false or ne: true|false',
      '10: requirements[r3].from: a requirement needs `to` (a role) or `hosts` (destination names)',
    ]);
  });

  it('a missing file and a non-mapping document are ConfigErrors', () => {
    const missing = validateRulesetFile(path.join(FIX, 'no-such-file.yaml')).errors;
    expect(missing).toHaveLength(1);
    expect(missing[0]!.line).toBeNull();
    expect(missing[0]!.message).toMatch(/^cannot read/);
    const list = validateRulesetText('- a\n- b\n', 'list.yaml').errors;
    expect(String(list[0])).toMatch(/^list\.yaml:1: a ruleset file must be a YAML mapping/);
  });
});
