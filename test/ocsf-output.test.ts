/**
 * `parse --schema ocsf` against the OCSF 1.4.0 schema: Network Activity (4001) resolved from
 * ocsf/ocsf-schema (fixtures/schemas/ocsf-1.4.0-network-activity.json, made by
 * scripts/extract-schema-fixtures.mjs). Checked on every flow of every golden fixture: required attributes
 * of the class, of the declared profiles and of every object written; no attribute outside the class, its
 * declared profiles or the object; enum ids from the schema with their caption in the sibling; types.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { newFlow, type Flow } from '../src/model/flow.js';
import { toOcsf, OCSF_VERSION } from '../src/sinks/schemas.js';
import { ROOT, runCli, jsonLines } from './helpers/cli.js';
import { goldenFlows } from './helpers/golden-flows.js';

interface Attr { requirement: string; type: string; enum?: Record<string, string>; sibling?: string; is_array?: boolean }
interface Schema {
  version: string; class: { uid: number; caption: string; category_uid: number; category_caption: string };
  attributes: Record<string, Attr>; profiles: Record<string, Record<string, Attr>>; objects: Record<string, Record<string, Attr>>;
}
const S = JSON.parse(readFileSync(join(ROOT, 'fixtures/schemas/ocsf-1.4.0-network-activity.json'), 'utf8')) as Schema;

function checkValue(path: string, a: Attr, v: unknown, bad: string[]): void {
  if (a.is_array) {
    if (!Array.isArray(v)) bad.push(`${path}: not an array`);
    else v.forEach((x, i) => checkValue(`${path}[${i}]`, { ...a, is_array: false }, x, bad));
    return;
  }
  if (Array.isArray(v)) { bad.push(`${path}: array where one value is expected`); return; }
  const t = a.type;
  if (S.objects[t]) { checkObject(path, S.objects[t]!, v, bad); return; }
  if (t === 'object') { if (typeof v !== 'object' || v === null || Array.isArray(v)) bad.push(`${path}: not an object`); return; }
  const ok = t === 'integer_t' || t === 'long_t' || t === 'timestamp_t' ? Number.isInteger(v)
    : t === 'port_t' ? Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535
      : t === 'ip_t' ? typeof v === 'string' && isIP(v) !== 0
        : t === 'string_t' || t === 'url_t' || t === 'hostname_t' || t === 'uuid_t' ? typeof v === 'string'
          : t === 'boolean_t' ? typeof v === 'boolean' : null;
  if (ok === null) bad.push(`${path}: type ${t} not checked by this test`);
  else if (!ok) bad.push(`${path}: ${JSON.stringify(v)} is not ${t}`);
}

function checkAttrs(path: string, attrs: Record<string, Attr>, o: Record<string, unknown>, bad: string[], skipEnumsOf: Set<string> = new Set()): void {
  for (const [k, v] of Object.entries(o)) {
    const a = attrs[k];
    if (!a) { bad.push(`${path}${k}: not an attribute here`); continue; }
    checkValue(`${path}${k}`, a, v, bad);
    if (a.enum && !skipEnumsOf.has(k)) {
      const caption = a.enum[String(v)];
      if (caption === undefined) bad.push(`${path}${k}: ${JSON.stringify(v)} is not in the enum`);
      else if (a.sibling) {
        if (!(a.sibling in o)) bad.push(`${path}${a.sibling}: caption of ${k} missing`);
        else if (String(v) !== '99' && o[a.sibling] !== caption) bad.push(`${path}${a.sibling}: ${JSON.stringify(o[a.sibling])} is not the caption ${JSON.stringify(caption)}`);
      }
    }
  }
}

function checkObject(path: string, attrs: Record<string, Attr>, v: unknown, bad: string[]): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) { bad.push(`${path}: not an object`); return; }
  const o = v as Record<string, unknown>;
  for (const [k, a] of Object.entries(attrs)) if (a.requirement === 'required' && !(k in o)) bad.push(`${path}.${k}: required, missing`);
  checkAttrs(`${path}.`, attrs, o, bad);
}

/** Problems of one Network Activity event (empty when valid). */
function ocsfProblems(e: Record<string, unknown>, opts: { hasTime: boolean }): string[] {
  const bad: string[] = [];
  const profiles = ((e['metadata'] as Record<string, unknown> | undefined)?.['profiles'] as string[] | undefined) ?? [];
  const allowed: Record<string, Attr> = { ...S.attributes };
  for (const p of profiles) {
    const pa = S.profiles[p];
    if (!pa) { bad.push(`metadata.profiles: unknown profile ${p}`); continue; }
    Object.assign(allowed, pa);
    for (const [k, a] of Object.entries(pa)) if (a.requirement === 'required' && !(k in e)) bad.push(`${k}: required by profile ${p}, missing`);
  }
  for (const [k, a] of Object.entries(S.attributes)) {
    if (a.requirement !== 'required' || k in e) continue;
    if (k === 'time' && !opts.hasTime) continue; // documented: no timestamp in the log, none invented
    bad.push(`${k}: required, missing`);
  }
  // the class's own ids (the dictionary's generic enums for these are replaced by the class's values)
  if (e['class_uid'] !== S.class.uid || e['class_name'] !== S.class.caption) bad.push('class_uid/class_name');
  if (e['category_uid'] !== S.class.category_uid || e['category_name'] !== S.class.category_caption) bad.push('category_uid/category_name');
  const activity = S.attributes['activity_id']!.enum![String(e['activity_id'])];
  if (e['type_uid'] !== S.class.uid * 100 + (e['activity_id'] as number) || e['type_name'] !== `${S.class.caption}: ${activity}`) bad.push('type_uid/type_name');
  checkAttrs('', allowed, e, bad, new Set(['class_uid', 'category_uid']));
  return bad;
}

let flows: Flow[];
beforeAll(async () => { flows = await goldenFlows(); });

describe('OCSF output against the OCSF 1.4.0 schema (Network Activity 4001)', () => {
  it('the fixture is the published class', () => {
    expect(S.version).toBe(OCSF_VERSION);
    expect(S.class).toEqual({ name: 'network_activity', caption: 'Network Activity', uid: 4001, category_uid: 4, category_caption: 'Network Activity' });
    expect(Object.entries(S.attributes).filter(([, a]) => a.requirement === 'required').map(([k]) => k).sort())
      .toEqual(['activity_id', 'category_uid', 'class_uid', 'metadata', 'severity_id', 'time', 'type_uid']);
  });

  it('every golden flow gives a valid event with the flow\'s values', () => {
    expect(flows.length).toBeGreaterThan(100);
    for (const f of flows) {
      const e = toOcsf(f);
      expect(ocsfProblems(e, { hasTime: f.ts !== null }), `${f.file}:${f.line}`).toEqual([]);
      expect(e['time']).toBe(f.ts ?? undefined);
      expect(e['activity_id']).toBe(f.action === 'deny' ? 5 : 6);
      expect(e['action_id']).toBe(f.action === 'deny' ? 2 : f.action === 'allow' ? 1 : 0);
      expect((e['unmapped'] as Record<string, unknown>)['line']).toBe(f.line);
      const ci = e['connection_info'] as Record<string, unknown>;
      expect(ci['direction_id']).toBe({ inbound: 1, outbound: 2, forward: 99 }[f.direction ?? ''] ?? 0);
    }
  });

  it('a forwarded flow without responder, an unknown verdict and a firewall device', () => {
    const f: Flow = { ...newFlow('panos-syslog', 'pa.log', 9), ts: 5, action: 'unknown', transport: '253', src_ip: '10.0.0.1', direction: 'forward', device: 'PA-3220' };
    const e = toOcsf(f);
    expect(ocsfProblems(e, { hasTime: true })).toEqual([]);
    expect(e['dst_endpoint']).toBeUndefined();
    expect(e).toMatchObject({ connection_info: { direction_id: 99, direction: 'Forward', protocol_num: 253 }, device: { type_id: 9, type: 'Firewall' }, action_id: 0, disposition_id: 0 });
    expect((e['metadata'] as Record<string, unknown>)['profiles']).toEqual(['security_control', 'host']);
  });

  it('through the CLI: one valid event per flow', () => {
    const r = runCli(['parse', 'fixtures/panos/syslog-bsd-10x.log', '--schema', 'ocsf', '--tz', 'America/New_York', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events.length).toBeGreaterThan(3);
    for (const e of events) expect(ocsfProblems(e, { hasTime: 'time' in e })).toEqual([]);
  });
});
