/**
 * `parse --schema ecs` against the ECS field definitions: every field written exists in ECS 8.17
 * (fixtures/schemas/ecs-8.17.0-fields.json, extracted from elastic/ecs v8.17.0 generated/ecs/ecs_flat.yml)
 * except the `fwaudit.*` namespace of our own, with the ECS type, and allowed / expected values where ECS
 * lists them; checked on every flow of every golden fixture and on a forwarded flow.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { newFlow, type Flow } from '../src/model/flow.js';
import { toEcs, ECS_VERSION } from '../src/sinks/schemas.js';
import { ROOT, runCli, jsonLines } from './helpers/cli.js';
import { goldenFlows } from './helpers/golden-flows.js';

interface EcsField { type: string; normalize: string[]; allowed_values?: Array<{ name: string; expected_event_types?: string[] }>; expected_values?: string[] }
const ECS = JSON.parse(readFileSync(join(ROOT, 'fixtures/schemas/ecs-8.17.0-fields.json'), 'utf8')) as { version: string; fields: Record<string, EcsField> };

function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** Problems of one ECS document (empty when it is valid for the fields it has). */
function ecsProblems(doc: Record<string, unknown>): string[] {
  const bad: string[] = [];
  const flat = flatten(doc);
  const categories = (flat['event.category'] as string[] | undefined) ?? [];
  for (const [k, v] of Object.entries(flat)) {
    if (k.startsWith('fwaudit.')) continue;
    const d = ECS.fields[k];
    if (!d) { bad.push(`${k}: not an ECS field`); continue; }
    const values = Array.isArray(v) ? v : [v];
    if (Array.isArray(v) && !d.normalize.includes('array')) bad.push(`${k}: array where ECS expects one value`);
    for (const x of values) {
      if (x === null || x === undefined) bad.push(`${k}: null written`);
      else if (d.type === 'keyword' || d.type === 'wildcard' || d.type === 'match_only_text') { if (typeof x !== 'string' || x === '') bad.push(`${k}: ${JSON.stringify(x)} is not a ${d.type}`); }
      else if (d.type === 'long') { if (!Number.isInteger(x)) bad.push(`${k}: ${JSON.stringify(x)} is not a long`); }
      else if (d.type === 'ip') { if (typeof x !== 'string' || isIP(x) === 0) bad.push(`${k}: ${JSON.stringify(x)} is not an ip`); }
      else if (d.type === 'date') { if (typeof x !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(x) || Number.isNaN(Date.parse(x))) bad.push(`${k}: ${JSON.stringify(x)} is not a date`); }
      else bad.push(`${k}: type ${d.type} not checked by this test`);
      if (d.allowed_values && !d.allowed_values.some((a) => a.name === x)) bad.push(`${k}: ${JSON.stringify(x)} is not an allowed value`);
      if (d.expected_values && !d.expected_values.includes(x as string)) bad.push(`${k}: ${JSON.stringify(x)} is not an expected value`);
    }
    if (k === 'event.type') {
      for (const c of categories) {
        const expected = ECS.fields['event.category']!.allowed_values!.find((a) => a.name === c)?.expected_event_types ?? [];
        for (const t of values) if (!expected.includes(t as string)) bad.push(`event.type ${t} not expected with event.category ${c}`);
      }
    }
  }
  return bad;
}

let flows: Flow[];
beforeAll(async () => { flows = await goldenFlows(); });

describe('ECS output against the ECS 8.17 field definitions', () => {
  it('the fixture is the published definitions and the version written is theirs', () => {
    expect(ECS.version).toBe('8.17.0');
    expect(ECS_VERSION).toBe(ECS.version);
    expect(ECS.fields['network.direction']!.expected_values).toEqual(['ingress', 'egress', 'inbound', 'outbound', 'internal', 'external', 'unknown']);
    expect(ECS.fields['log.offset']).toBeUndefined(); // Filebeat's byte offset, not an ECS field: fwaudit does not write it
  });

  it('every golden flow gives a valid document with the flow\'s values', () => {
    expect(flows.length).toBeGreaterThan(100);
    for (const f of flows) {
      const doc = toEcs(f);
      expect(ecsProblems(doc), `${f.file}:${f.line}`).toEqual([]);
      const flat = flatten(doc);
      expect(flat['ecs.version']).toBe('8.17.0');
      expect(flat['log.file.path']).toBe(f.file);
      expect(flat['fwaudit.line']).toBe(f.line);
      expect(flat['log.offset']).toBeUndefined();
      expect(flat['source.ip']).toBe(f.src_ip ?? undefined);
      expect(flat['destination.port']).toBe(f.dst_port ?? undefined);
      expect(flat['event.kind']).toBe('event');
      expect(flat['event.outcome']).toBe(f.action === 'allow' ? 'success' : f.action === 'deny' ? 'failure' : 'unknown');
      expect(flat['network.direction']).toBe({ inbound: 'ingress', outbound: 'egress', forward: 'unknown' }[f.direction ?? ''] ?? undefined);
    }
    expect(new Set(flows.map((f) => flatten(toEcs(f))['network.direction']))).toEqual(new Set(['ingress', 'egress', 'unknown', undefined]));
  });

  it('a forwarded flow, ICMPv6, a bare protocol number and hostile text', () => {
    const f: Flow = { ...newFlow('iptables', 'k.log', 3), ts: 0, action: 'deny', transport: 'icmpv6', src_ip: '2001:db8::1', dst_ip: '2001:db8::2', direction: 'forward', rule: '"><script>', device: 'gw\u0001' };
    const flat = flatten(toEcs(f));
    expect(ecsProblems(toEcs(f))).toEqual([]);
    expect(flat).toMatchObject({ 'network.direction': 'unknown', 'fwaudit.direction': 'forward', 'network.transport': 'ipv6-icmp', 'network.iana_number': '58', 'rule.name': '"><script>' });
    const g = flatten(toEcs({ ...f, transport: '253', direction: null }));
    expect(g['network.transport']).toBeUndefined();
    expect(g['network.iana_number']).toBe('253');
    expect(g['fwaudit.transport']).toBe('253');
  });

  it('through the CLI: one valid document per flow', () => {
    const r = runCli(['parse', 'fixtures/winfw/pfirewall-18col.log', '--schema', 'ecs', '--tz', 'Europe/Berlin', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const docs = jsonLines(r.stdout);
    expect(docs.length).toBeGreaterThan(3);
    for (const d of docs) expect(ecsProblems(d)).toEqual([]);
  });
});
