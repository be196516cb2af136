/**
 * PAN-OS JSON (`panos-json`): Cortex Data Lake / Strata Logging Service records (CamelCase keys,
 * snake_case query results with `{"value": x}` wrappers) and custom payloads keyed by the `$variable`
 * names, mapped through the one alias table (common.ts) into the one record.
 */
import { epochToMs, parseIsoTime, timeError, TERR_SYNTAX } from '../../src/model/time.js';
import type { ZoneConverter } from '../../src/model/time.js';
import type { ParseOptions, ParseSink, RecordParser } from '../types.js';
import { ALIASES, PanRecord, counterValue, emitPanRecord, normName, portValue, type AliasKey } from './common.js';

const NON_FLOW_JSON_TYPES = new Set(['system', 'config', 'globalprotect', 'userid', 'hipmatch', 'hip-match',
  'correlation', 'authentication', 'auth', 'decryption', 'tunnel', 'gtp', 'sctp', 'iptag', 'audit']);

function unwrap(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ('value' in o) return o.value;
  }
  return v;
}

function scalarText(v: unknown): string | null {
  const u = unwrap(v);
  if (u === null || u === undefined) return null;
  if (typeof u === 'string') return u === '' ? null : u;
  if (typeof u === 'number' || typeof u === 'boolean') return String(u);
  return null;
}

/** JSON time: epoch number (s, ms, µs or ns by magnitude), numeric text, or a date text; ms or TERR. */
export function jsonTime(v: unknown, zone: ZoneConverter): number {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v !== 'string') return TERR_SYNTAX;
  const t = v.trim();
  let digits = t.length > 0;
  for (let i = 0; i < t.length && digits; i++) { const c = t.charCodeAt(i); digits = (c >= 48 && c <= 57) || c === 46; }
  if (digits) return epochToMs(Number(t));
  return parseIsoTime(t, 0, t.length, zone);
}

export class JsonParser implements RecordParser {
  private readonly r = new PanRecord();
  constructor(private readonly opts: ParseOptions, private readonly sink: ParseSink) {}

  record(value: unknown, lineNo: number): void {
    const sink = this.sink;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      sink.skip('panos json record is not an object', lineNo, 'malformed');
      return;
    }
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const nk = normName(k.startsWith('$') ? k.slice(1) : k);
      if (!m.has(nk)) m.set(nk, v);
    }
    const pick = (key: AliasKey): unknown => {
      for (const k of ALIASES[key]) { const v = m.get(k); if (v !== undefined && v !== null) return unwrap(v); }
      return undefined;
    };
    const text = (key: AliasKey): string | null => {
      for (const k of ALIASES[key]) { const v = scalarText(m.get(k)); if (v !== null) return v; }
      return null;
    };
    let type = (text('type') ?? '').trim().toLowerCase();
    const dot = type.lastIndexOf('.');
    if (dot >= 0) type = type.slice(dot + 1);
    let subtype = (text('subtype') ?? '').trim().toLowerCase();
    if (type === 'url') subtype = 'url';
    if (NON_FLOW_JSON_TYPES.has(type)) { sink.skip(`panos ${type.toUpperCase()} log`, lineNo, 'not-flow'); return; }
    const kind = type === 'traffic' ? 'traffic' : type === 'threat' || type === 'url' ? 'threat' : 'any';
    if (type !== '' && kind === 'any') { sink.skip('panos other log', lineNo, 'not-flow'); return; }
    const srcText = text('src'), dstText = text('dst');
    if (srcText === null && dstText === null) {
      sink.skip('panos json record without addresses', lineNo, kind === 'any' ? 'not-flow' : 'malformed');
      return;
    }
    const r = this.r;
    r.reset();
    r.kind = kind;
    r.subtype = subtype;
    r.src = srcText;
    r.dst = dstText;

    const zone = this.opts.zone;
    const hr = pick('hires');
    let ts = hr !== undefined ? jsonTime(hr, zone) : -1;
    if (ts < 0) {
      const tg = pick('time') ?? pick('receive');
      if (tg !== undefined && tg !== '') {
        ts = jsonTime(tg, zone);
        if (ts < 0) r.tsError = `panos ${timeError(ts)} (time)`;
      }
    }
    if (ts >= 0) r.ts = ts;
    r.sport = portValue(pick('sport'));
    r.dport = portValue(pick('dport'));
    const proto = pick('proto');
    r.proto = typeof proto === 'number' ? String(proto) : typeof proto === 'string' ? proto : null;
    r.action = text('action');
    r.rule = text('rule');
    r.app = text('app');
    r.device = text('device') ?? text('serial');
    if (kind !== 'threat') {
      r.bytes = counterValue(pick('bytes'));
      let pk = counterValue(pick('packets'));
      if (pk === null) {
        const a = counterValue(pick('packetsSent')), b = counterValue(pick('packetsReceived'));
        if (a === -1 || b === -1) pk = -1;
        else if (a !== null || b !== null) pk = (a ?? 0) + (b ?? 0);
      }
      r.packets = pk;
      r.endReason = text('endReason');
    }
    if (kind !== 'traffic') r.url = text('url');
    emitPanRecord(r, 'panos-json', this.opts.file, lineNo, sink);
  }
}
