/**
 * Windows Filtering Platform audit events from the Security log (provider
 * Microsoft-Windows-Security-Auditing): 5152/5153 packet drops, 5156/5157 connections permitted/blocked.
 *
 * Format ids:
 * - `wfp-json` (framing `json`): Get-WinEvent | ConvertTo-Json (Properties in EventData order, or the
 *   rendered Message when Properties degraded to type names), Winlogbeat/ECS (`winlog.event_data`; 7.0–7.12
 *   write `event.code`/`winlog.event_id` as numbers, 7.13+ and 8.x as strings), NXLog / Logstash flat
 *   records (EventData keys at top level), Azure Sentinel SecurityEvent rows (`EventData` is an XML
 *   string), evtx_dump jsonl (`Event.System`, `Event.EventData`, with `#attributes` or, as chainsaw
 *   writes it, `*_attributes`), chainsaw hunt results (`document.data`) and Hayabusa json-timeline
 *   (`Details` short names, see HAYABUSA_NAMES). Sources of each shape: fixtures/wfp/README.md.
 * - `wfp-csv` (framing `csv`): Hayabusa csv-timeline, the same fields as its json-timeline with `Details`,
 *   `ExtraFieldInfo` and `AllFieldInfo` written as `Key: value ¦ Key: value` text (HayabusaCsvParser).
 * - `wfp-xml` (framing `xml-events`): one `<Event>…</Event>` per call (wevtutil /f:xml, Event Viewer, ToXml()).
 *
 * Decisions:
 * - 5154/5155/5158/5159 (listen/bind) have no peer: note 'no-peer-events' and skip 'not-flow'.
 *   Other event ids are skipped 'not-flow' ('other event id'), so a Security export with mostly
 *   non-WFP events is fine.
 * - Addresses are copied as logged: SourceAddress → src, DestAddress → dst (see log-formats.md §2).
 * - ICMP/ICMPv6 flows carry no ports (WFP puts type/code or 0 there), as for pfirewall.log.
 * - rule = FilterOrigin unless absent, `-` or `Unknown` (then FilterRTID).
 * - app = basename of Application; when Application is absent or `-`, PID 4 (always the System process
 *   on NT 6+) gives 'System'. The Flow record has no pid column, so the pid is used for nothing else.
 * - Time: a field with an explicit offset or Z (SystemTime, winlog.time_created, @timestamp,
 *   TimeGenerated, ISO/`\/Date(ms)\/` TimeCreated) wins over an offset-less one (NXLog EventTime,
 *   Logstash TimeCreated), which is read as wall-clock time in --tz.
 */
import { canonicalIp } from '../src/model/ip.js';
import { newFlow, normalizeTransport, type Action, type Direction } from '../src/model/flow.js';
import { isPlausibleTs, parseIsoTime, scanned, timeError, TERR_RANGE, TERR_SYNTAX, type ZoneConverter } from '../src/model/time.js';
import type { Detection, ParseOptions, ParseSink, ParserModule, RecordParser } from './types.js';
import { guardSink } from './validate.js';
import { splitCsvLine } from './csv.js';

type Data = Record<string, unknown>;

interface WinEvent {
  id: number | null;
  ts: { ts: number | null; error: string | null };
  device: string | null;
  data: Data;
}

const VERDICT: Record<number, Action> = { 5152: 'deny', 5153: 'deny', 5156: 'allow', 5157: 'deny' };
const NO_PEER = new Set([5154, 5155, 5158, 5159]);

/** EventData order of the WFP events (Get-WinEvent `Properties`). Newer builds append FilterOrigin, InterfaceIndex. */
const ORDER_PACKET = ['ProcessId', 'Application', 'Direction', 'SourceAddress', 'SourcePort', 'DestAddress',
  'DestPort', 'Protocol', 'FilterRTID', 'LayerName', 'LayerRTID'];
const ORDER_CONN = ['ProcessID', ...ORDER_PACKET.slice(1), 'RemoteUserID', 'RemoteMachineID'];
const ORDER_NOPEER = ['ProcessId', 'Application', 'SourceAddress', 'SourcePort', 'Protocol', 'FilterRTID',
  'LayerName', 'LayerRTID'];

function propertyOrder(id: number): string[] | null {
  if (id === 5152 || id === 5153) return ORDER_PACKET;
  if (id === 5156 || id === 5157) return ORDER_CONN;
  if (NO_PEER.has(id)) return ORDER_NOPEER;
  return null;
}

/** Rendered Message labels (en-US) → EventData names. */
const MESSAGE_LABELS: Record<string, string> = {
  'process id': 'ProcessID', 'application name': 'Application', direction: 'Direction',
  'source address': 'SourceAddress', 'source port': 'SourcePort', 'destination address': 'DestAddress',
  'destination port': 'DestPort', protocol: 'Protocol', 'filter run-time id': 'FilterRTID',
  'filter origin': 'FilterOrigin', 'layer name': 'LayerName', 'layer run-time id': 'LayerRTID',
  'interface index': 'InterfaceIndex',
};

// ---------------------------------------------------------------------------------------------- helpers

function isObj(v: unknown): v is Data {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (isObj(v)) {
    if ('#text' in v) return str(v['#text']);
    if ('Value' in v) return str(v['Value']);
    if ('value' in v) return str(v['value']);
  }
  return null;
}

/** Number from a number, decimal string or 0x-hex string; null otherwise. */
export function toInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  const s = str(v)?.trim();
  if (!s || s === '-') return null;
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^\d+$/.test(s)) return Number(s);
  return null;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
export function decodeXml(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (m, e: string) => {
    if (e.charCodeAt(0) === 35) {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e] ?? m;
  });
}

/** Index of the `>` that ends the tag opened at p (quoted attribute values may contain `>`), or -1. */
function tagEnd(xml: string, p: number): number {
  const n = xml.length;
  for (let i = p; i < n; i++) {
    const c = xml.charCodeAt(i);
    if (c === 62) return i;
    if (c === 34 || c === 39) { const q = xml.indexOf(c === 34 ? '"' : "'", i + 1); if (q < 0) return -1; i = q; }
    else if (c === 60 && i > p) return -1; // a new tag before this one closed
  }
  return -1;
}

/** Value of attribute `name` inside the tag text xml[a, b), or null (linear: one pass over the tag). */
function attr(xml: string, a: number, b: number, name: string): string | null {
  let i = a;
  while (i < b) {
    const k = xml.indexOf(name, i);
    if (k < 0 || k >= b) return null;
    const before = xml.charCodeAt(k - 1);
    let j = k + name.length;
    while (j < b && (xml.charCodeAt(j) === 32 || xml.charCodeAt(j) === 9 || xml.charCodeAt(j) === 10 || xml.charCodeAt(j) === 13)) j++;
    if ((before === 32 || before === 9 || before === 10 || before === 13) && xml.charCodeAt(j) === 61) {
      j++;
      while (j < b && (xml.charCodeAt(j) === 32 || xml.charCodeAt(j) === 9 || xml.charCodeAt(j) === 10 || xml.charCodeAt(j) === 13)) j++;
      const q = xml.charCodeAt(j);
      if (q !== 34 && q !== 39) return null;
      const e = xml.indexOf(q === 34 ? '"' : "'", j + 1);
      if (e < 0 || e > b) return null;
      return xml.slice(j + 1, e);
    }
    i = k + name.length;
  }
  return null;
}

/**
 * `<Data Name="…">value</Data>` / `<Data Name="…"/>` elements, scanned left to right in linear time
 * (each character is looked at a bounded number of times; no backtracking regex on event text).
 */
function xmlData(xml: string): Data {
  const out: Data = {};
  let p = xml.indexOf('<Data');
  let close = -2; // the next `</Data` at or after the current element (-1: none left), cached: linear
  while (p >= 0) {
    const after = xml.charCodeAt(p + 5);
    if (!(after === 32 || after === 9 || after === 10 || after === 13 || after === 62 || after === 47)) { p = xml.indexOf('<Data', p + 5); continue; }
    const te = tagEnd(xml, p + 1);
    if (te < 0) break;
    const name = attr(xml, p + 5, te, 'Name');
    if (xml.charCodeAt(te - 1) === 47) { // <Data Name="x"/>
      if (name !== null) out[decodeXml(name)] = '';
      p = xml.indexOf('<Data', te + 1);
      continue;
    }
    if (close !== -1 && close < te + 1) close = xml.indexOf('</Data', te + 1);
    const next = xml.indexOf('<Data', te + 1);
    if (close < 0 || (next >= 0 && next < close)) { // no end tag before the next element: skip this one
      p = next;
      continue;
    }
    if (name !== null) out[decodeXml(name)] = decodeXml(xml.slice(te + 1, close));
    const ce = xml.indexOf('>', close);
    if (ce < 0) break;
    p = xml.indexOf('<Data', ce + 1);
  }
  return out;
}

function messageData(msg: string): Data {
  const out: Data = {};
  for (const raw of msg.split(/\r?\n/)) {
    const l = raw.trim();
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const name = MESSAGE_LABELS[l.slice(0, c).trim().toLowerCase()];
    if (name && !(name in out)) out[name] = l.slice(c + 1).trim();
  }
  return out;
}

interface TimeValue { ms: number; offset: boolean; error?: string }

/**
 * Parses a timestamp; offset-less wall-clock times are converted with `zone`. Null when the value is
 * not a time at all; `{error}` when it is one with an invalid field (no roll-over, ±14:00, 1990-2100).
 */
export function parseTime(v: unknown, zone: ZoneConverter): TimeValue | null {
  if (typeof v === 'number') {
    return isPlausibleTs(v) ? { ms: v, offset: true } : { ms: NaN, offset: true, error: timeError(TERR_RANGE) };
  }
  const s = str(v)?.trim();
  if (!s) return null;
  if (s.startsWith('/Date(') && s.endsWith(')/')) { // PowerShell 5.1: /Date(ms)/ or /Date(ms+0100)/
    let e = 6;
    while (e < s.length && s.charCodeAt(e) >= 48 && s.charCodeAt(e) <= 57) e++;
    const ms = Number(s.slice(6, e));
    if (e === 6) return null;
    return isPlausibleTs(ms) ? { ms, offset: true } : { ms: NaN, offset: true, error: timeError(TERR_RANGE) };
  }
  let t = parseIsoTime(s, 0, s.length, zone);
  if (t === TERR_SYNTAX && s.length > 20) { // `2021-03-11 20:05:08.123 +01:00` (Hayabusa): a space before the offset
    const sp = s.lastIndexOf(' ');
    const c = s.charCodeAt(sp + 1);
    if (sp > 18 && (c === 43 || c === 45)) {
      const j = s.slice(0, sp) + s.slice(sp + 1);
      t = parseIsoTime(j, 0, j.length, zone);
    }
  }
  if (t === TERR_SYNTAX) return null;
  if (t < 0) return { ms: NaN, offset: true, error: timeError(t) };
  return { ms: t, offset: scanned.offset };
}

/** First valid candidate with an offset wins; else the first valid offset-less one; else the first error. */
function pickTime(cands: unknown[], zone: ZoneConverter): { ts: number | null; error: string | null } {
  let local: number | null = null;
  let error: string | null = null;
  for (const c of cands) {
    if (c === undefined || c === null) continue;
    const t = parseTime(c, zone);
    if (!t) continue;
    if (t.error !== undefined) { if (error === null) error = t.error; continue; }
    if (t.offset) return { ts: t.ms, error: null };
    if (local === null) local = t.ms;
  }
  return { ts: local, error: local === null ? error : null };
}

function get(o: unknown, ...path: string[]): unknown {
  let v: unknown = o;
  for (const k of path) {
    if (!isObj(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** EventData as an object; accepts `{Name: value}` and `{Data: [{Name|@Name|#attributes.Name, #text}]}`. */
function eventDataObject(ed: unknown): Data {
  if (typeof ed === 'string') return xmlData(ed);
  if (!isObj(ed)) return {};
  const arr = ed['Data'];
  if (Array.isArray(arr)) {
    const out: Data = {};
    for (const d of arr) {
      if (!isObj(d)) continue;
      const name = str(d['Name'] ?? d['@Name'] ?? get(d, '#attributes', 'Name'));
      if (name) out[name] = d['#text'] ?? d['text'] ?? d['Value'] ?? '';
    }
    return out;
  }
  return ed;
}

function firstStr(...vs: unknown[]): string | null {
  for (const v of vs) {
    const s = str(v);
    if (s !== null && s !== '' && s !== '-') return s;
  }
  return null;
}

function hasAddress(d: Data): boolean {
  return d['SourceAddress'] !== undefined || d['DestAddress'] !== undefined;
}

/**
 * Hayabusa's `Details` names for Security 5156/5157 → EventData names, as Hayabusa defines them in
 * Yamato-Security/hayabusa-rules `config/default_details.txt` (read at commit 9d5f68fbf, 2025-03-02):
 *   `Microsoft-Windows-Security-Auditing, 5156, Proc: %Application% ¦ SrcIP: %SourceAddress% ¦ SrcPort: %SourcePort% ¦
 *    TgtIP: %DestAddress% ¦ TgtPort: %DestPort% ¦ Protocol: %Protocol% ¦ TgtMachineID: %RemoteMachineID% ¦
 *    TgtSID: %RemoteUserID% ¦ PID: %ProcessID%` (the same line for 5157, added 2023-06-30).
 * Releases of 2022 to January 2023 wrote `Process:` (2022) or `Proc:`, and the endpoints as one
 * `Src: %SourceAddress%:%SourcePort%` / `Tgt: %DestAddress%:%DestPort%` (HAYABUSA_ENDPOINTS).
 * The other EventData fields (Direction, FilterRTID, LayerName, …) are in `ExtraFieldInfo` under their own
 * names, and `--profile all-field-info` gives every field under its own name in `AllFieldInfo`.
 * Hayabusa's `config/data_mapping/Security_5157_NetConnBlocked.yaml` rewrites Direction %%14592/%%14593 to
 * `Inbound`/`Outbound` (read by `direction()`) and LayerName %%14610 to `Receive/Accept`.
 * (`Proto` is the Sysmon event 3 name, whose value is `tcp`: not a WFP event.)
 */
const HAYABUSA_NAMES: Record<string, string> = {
  Proc: 'Application', Process: 'Application', SrcIP: 'SourceAddress', SrcPort: 'SourcePort', TgtIP: 'DestAddress',
  TgtPort: 'DestPort', Protocol: 'Protocol', TgtMachineID: 'RemoteMachineID', TgtSID: 'RemoteUserID', PID: 'ProcessID',
};
const HAYABUSA_ENDPOINTS: Record<string, [string, string]> = { Src: ['SourceAddress', 'SourcePort'], Tgt: ['DestAddress', 'DestPort'] };

function hayabusaData(v: Data): Data {
  const out: Data = {};
  for (const k of ['Details', 'ExtraFieldInfo', 'AllFieldInfo']) {
    const o = v[k];
    if (!isObj(o)) continue;
    for (const [name, val] of Object.entries(o)) {
      const ep = HAYABUSA_ENDPOINTS[name];
      if (ep) {
        // `address:port` (the template always appends the port): the port follows the last colon, as an
        // IPv6 address has colons of its own. A value of another shape is not read as an address at all:
        // the record is malformed ('bad SourceAddress'), never a flow without its port.
        const t = str(val) ?? '';
        const c = t.lastIndexOf(':');
        const portText = c >= 0 ? t.slice(c + 1) : '';
        const ok = c > 0 && /^\d{1,5}$/.test(portText);
        if (!(ep[0] in out)) out[ep[0]] = ok ? t.slice(0, c) : `${t} (not address:port)`;
        if (!(ep[1] in out) && ok) out[ep[1]] = portText;
        continue;
      }
      const n = HAYABUSA_NAMES[name] ?? name;
      if (!(n in out)) out[n] = val;
    }
  }
  return out;
}

/** Normalizes any supported JSON record shape. */
function fromJson(v: unknown, zone: ZoneConverter): WinEvent | null {
  if (!isObj(v)) return null;
  // chainsaw hunt/search documents wrap the evtx record: {"document": {"kind": "evtx", "data": {...}}}
  const doc = v['document'];
  if (isObj(doc) && isObj(doc['data'])) return fromJson(doc['data'], zone);
  const ev = v['Event'];
  if (isObj(ev) && isObj(ev['System'])) { // evtx_dump
    const sys = ev['System'] as Data;
    const tc = sys['TimeCreated'];
    return {
      id: toInt(sys['EventID']),
      ts: pickTime([get(tc, '#attributes', 'SystemTime'), get(tc, 'SystemTime'),
        get(sys, 'TimeCreated_attributes', 'SystemTime'), tc], zone),
      device: firstStr(sys['Computer']),
      data: eventDataObject(ev['EventData']),
    };
  }
  const wl = v['winlog'];
  if (isObj(wl)) { // Winlogbeat / ECS
    let data = eventDataObject(wl['event_data']);
    if (!hasAddress(data) && typeof v['message'] === 'string') data = { ...messageData(v['message']), ...data };
    return {
      id: toInt(wl['event_id']) ?? toInt(get(v, 'event', 'code')),
      ts: pickTime([v['@timestamp'], wl['time_created'], get(v, 'event', 'created')], zone),
      device: firstStr(wl['computer_name'], get(v, 'host', 'name'), get(v, 'host', 'hostname')),
      data,
    };
  }
  const id = toInt(v['EventID'] ?? v['Id'] ?? v['EventId'] ?? v['event_id'] ?? get(v, 'System', 'EventID'));
  let data: Data;
  const ed = v['EventData'];
  const props = v['Properties'];
  if (ed !== undefined && ed !== null) data = eventDataObject(ed); // Sentinel (XML string) or nested object
  else if (Array.isArray(props) && !props.every((p) => isObj(p) && 'Value' in p)) {
    // Get-WinEvent at the default -Depth: Properties degraded to type-name strings → rendered Message
    data = typeof v['Message'] === 'string' ? messageData(v['Message']) : {};
  } else if (Array.isArray(props) && props.length > 0 && id !== null) {
    data = {};
    const order = propertyOrder(id);
    if (order) {
      props.forEach((p, i) => { if (i < order.length) data[order[i]!] = (p as Data)['Value']; });
      // FilterOrigin / InterfaceIndex appended by newer builds (FilterOrigin is a name or {GUID})
      const extra = props[order.length] as Data | undefined;
      const fo = extra ? str(extra['Value']) : null;
      if (fo && !/^\d*$/.test(fo) && !fo.startsWith('%%') && !fo.startsWith('S-1-')) data['FilterOrigin'] = fo;
    }
  } else if (isObj(v['AllFieldInfo']) || isObj(v['ExtraFieldInfo']) || isObj(v['Details'])) {
    data = hayabusaData(v); // Hayabusa json-timeline: Details (abbreviated names) + AllFieldInfo/ExtraFieldInfo
  } else data = v; // NXLog / Logstash: EventData keys at top level
  if (!hasAddress(data) && typeof v['Message'] === 'string') data = { ...messageData(v['Message']), ...data };
  return {
    id,
    ts: pickTime([v['TimeCreated'], v['@timestamp'], v['TimeGenerated'], v['EventTime'], v['timestamp'],
      v['Timestamp'], v['EventReceivedTime']], zone),
    device: firstStr(v['Computer'], v['MachineName'], v['Hostname'], v['computer_name'],
      isObj(v['host']) ? (v['host'] as Data)['name'] : undefined),
    data,
  };
}

/** Text content of the first `<tag …>text</tag>` element, or null (indexOf only: linear). */
function elementText(xml: string, tag: string): string | null {
  let p = xml.indexOf('<' + tag);
  while (p >= 0) {
    const c = xml.charCodeAt(p + 1 + tag.length);
    if (c === 62 || c === 32 || c === 9 || c === 10 || c === 13) {
      const te = tagEnd(xml, p + 1);
      if (te < 0 || xml.charCodeAt(te - 1) === 47) return null;
      const close = xml.indexOf('</' + tag, te + 1);
      return close < 0 ? null : xml.slice(te + 1, close);
    }
    p = xml.indexOf('<' + tag, p + 1 + tag.length);
  }
  return null;
}

/** Attribute of the first `<tag …>` element, or null. */
function elementAttr(xml: string, tag: string, name: string): string | null {
  let p = xml.indexOf('<' + tag);
  while (p >= 0) {
    const c = xml.charCodeAt(p + 1 + tag.length);
    if (c === 62 || c === 47 || c === 32 || c === 9 || c === 10 || c === 13) {
      const te = tagEnd(xml, p + 1);
      return te < 0 ? null : attr(xml, p + 1 + tag.length, te, name);
    }
    p = xml.indexOf('<' + tag, p + 1 + tag.length);
  }
  return null;
}

function fromXml(xml: string, zone: ZoneConverter): WinEvent {
  const idText = elementText(xml, 'EventID');
  const idTrim = idText === null ? '' : idText.trim();
  const id = /^\d{1,10}$/.test(idTrim) ? Number(idTrim) : null;
  const tc = elementAttr(xml, 'TimeCreated', 'SystemTime');
  const comp = elementText(xml, 'Computer');
  const edStart = xml.indexOf('<EventData');
  const data = xmlData(edStart >= 0 ? xml.slice(edStart) : xml);
  if (!hasAddress(data)) {
    const msg = elementText(xml, 'Message');
    if (msg !== null) Object.assign(data, { ...messageData(decodeXml(msg)), ...data });
  }
  return {
    id,
    ts: tc !== null ? pickTime([decodeXml(tc)], zone) : { ts: null, error: null },
    device: comp !== null ? firstStr(decodeXml(comp.trim())) : null,
    data,
  };
}

function direction(v: unknown): Direction {
  const s = str(v)?.trim().toLowerCase();
  if (!s) return null;
  if (s === '%%14592' || s === 'inbound') return 'inbound';
  if (s === '%%14593' || s === 'outbound') return 'outbound';
  return null;
}

function basename(v: unknown): string | null {
  const s = str(v)?.trim();
  if (!s || s === '-') return null;
  const i = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
  const b = i >= 0 ? s.slice(i + 1) : s;
  return b === '' ? null : b;
}

function port(v: unknown): number | null | undefined {
  const s = str(v)?.trim();
  if (s === undefined || s === '' || s === '-') return null;
  const n = toInt(s);
  return n !== null && n <= 65535 ? n : undefined; // undefined = malformed
}

// ---------------------------------------------------------------------------------------------- parser

class WfpParser implements RecordParser {
  private readonly zone: ZoneConverter;
  constructor(private readonly det: Detection, private readonly opts: ParseOptions, private readonly sink: ParseSink) {
    this.zone = opts.zone;
  }

  record(value: unknown, lineNo: number): void {
    const ev = fromJson(value, this.zone);
    if (!ev) { this.sink.skip('not a JSON object', lineNo, 'malformed'); return; }
    this.emit(ev, lineNo);
  }

  line(text: string, lineNo: number): void {
    if (text.indexOf('<Event') < 0) { this.sink.skip('not an <Event> element', lineNo, 'not-flow'); return; }
    this.emit(fromXml(text, this.zone), lineNo);
  }

  private emit(ev: WinEvent, lineNo: number): void {
    const sink = this.sink;
    if (ev.id === null) { sink.skip('no event id', lineNo, 'malformed'); return; }
    const action = VERDICT[ev.id];
    if (action === undefined) {
      if (NO_PEER.has(ev.id)) {
        sink.note('no-peer-events', 1);
        sink.skip('no-peer event (listen/bind)', lineNo, 'not-flow');
      } else sink.skip('other event id', lineNo, 'not-flow');
      return;
    }
    const d = ev.data;
    const srcRaw = firstStr(d['SourceAddress']);
    const dstRaw = firstStr(d['DestAddress']);
    if (srcRaw === null && dstRaw === null) { sink.skip('no addresses', lineNo, 'malformed'); return; }
    const src = srcRaw === null ? null : canonicalIp(srcRaw.trim());
    if (srcRaw !== null && src === null) { sink.skip('bad SourceAddress', lineNo, 'malformed'); return; }
    const dst = dstRaw === null ? null : canonicalIp(dstRaw.trim());
    if (dstRaw !== null && dst === null) { sink.skip('bad DestAddress', lineNo, 'malformed'); return; }

    if (ev.ts.error !== null) { sink.skip(ev.ts.error, lineNo, 'malformed'); return; }
    const f = newFlow(this.det.format, this.opts.file, lineNo);
    f.ts = ev.ts.ts;
    f.action = action;
    f.raw_action = String(ev.id);
    const proto = d['Protocol'];
    f.transport = typeof proto === 'number' ? normalizeTransport(proto) : normalizeTransport(str(proto));
    f.src_ip = src;
    f.dst_ip = dst;
    if (f.transport !== 'icmp' && f.transport !== 'icmpv6') {
      const sp = port(d['SourcePort']);
      const dp = port(d['DestPort']);
      if (sp === undefined) { sink.skip('bad SourcePort', lineNo, 'malformed'); return; }
      if (dp === undefined) { sink.skip('bad DestPort', lineNo, 'malformed'); return; }
      f.src_port = sp;
      f.dst_port = dp;
    }
    f.direction = direction(d['Direction']);
    f.device = ev.device;
    const origin = firstStr(d['FilterOrigin']);
    f.rule = origin !== null && origin.toLowerCase() !== 'unknown' ? origin : firstStr(d['FilterRTID']);
    f.app = basename(d['Application']);
    if (f.app === null && toInt(d['ProcessID'] ?? d['ProcessId']) === 4) f.app = 'System';
    if (f.action === 'deny' && (ev.id === 5152 || ev.id === 5153)) f.packets = 1;
    sink.flow(f);
  }
}

/**
 * `Key: value ¦ Key: value` (Hayabusa csv-timeline's Details, ExtraFieldInfo, AllFieldInfo) → object. With
 * `-M/--multiline` the separator is a line break, with `--tab-separator` a tab; Hayabusa turns line breaks
 * and tabs inside values into spaces in the default mode. A value is split from its name at the first
 * `: ` (a path such as `C:\\Windows` has no space after its colon). `-` is an empty field.
 */
export function hayabusaFields(text: string): Data {
  const out: Data = {};
  if (text === '' || text === '-') return out;
  for (const part of text.split(/ ¦ |\r?\n|\t/)) {
    const c = part.indexOf(': ');
    if (c <= 0) continue;
    const k = part.slice(0, c).trim();
    if (k !== '' && !(k in out)) out[k] = part.slice(c + 2).trim();
  }
  return out;
}

/**
 * Hayabusa csv-timeline (`hayabusa csv-timeline`, the default output of its timeline commands): a header
 * row of profile fields (standard profile: Timestamp, RuleTitle, Level, Computer, Channel, EventID,
 * RecordID, Details, ExtraFieldInfo, RuleID; `all-field-info`: AllFieldInfo instead of Details), then one
 * row per detection, written by the Rust `csv` crate (quoted only where needed). Each row becomes the
 * record its json-timeline would hold and goes through the same reader.
 */
class HayabusaCsvParser implements RecordParser {
  private cols: Map<string, number> | null = null;
  private width = 0;
  constructor(private readonly inner: WfpParser, private readonly sink: ParseSink) {}
  line(text: string, lineNo: number): void {
    const f = splitCsvLine(text);
    if (this.cols === null) {
      if ((f[0] ?? '').trim() !== 'Timestamp') { this.sink.skip('no Hayabusa header row (Timestamp,RuleTitle,…)', lineNo, 'malformed'); return; }
      this.cols = new Map(f.map((n, i) => [n.trim(), i]));
      this.width = f.length;
      this.sink.skip('header', lineNo, 'not-flow');
      return;
    }
    if (f.length !== this.width) { this.sink.skip(`row has ${f.length} fields, the header ${this.width}`, lineNo, 'malformed'); return; }
    const get = (name: string): string | undefined => { const i = this.cols!.get(name); return i === undefined ? undefined : f[i]; };
    const rec: Data = {
      Timestamp: get('Timestamp'), Computer: get('Computer'), EventID: get('EventID'), RecordID: get('RecordID'),
      Details: hayabusaFields(get('Details') ?? ''), ExtraFieldInfo: hayabusaFields(get('ExtraFieldInfo') ?? ''),
      AllFieldInfo: hayabusaFields(get('AllFieldInfo') ?? ''),
    };
    this.inner.record(rec, lineNo);
  }
}

/** The header row of a Hayabusa csv-timeline: Timestamp and RuleTitle first, Details or AllFieldInfo later. */
function isHayabusaCsvHeader(t: string): boolean {
  const nl = t.indexOf('\n');
  const first = (nl < 0 ? t : t.slice(0, nl)).replace(/"/g, '').trim();
  return first.startsWith('Timestamp,RuleTitle,') && /,(?:Details|AllFieldInfo)(?:,|$)/.test(first);
}

// ---------------------------------------------------------------------------------------------- detection

const WFP_ID_JSON = /"(?:EventID|Id|EventId|event_id|code)"\s*:\s*"?515[2-9]\b/;
/** True when some `<EventID …>515x</EventID>` with x in 2-9 occurs (linear scan, no backtracking). */
function hasWfpXmlId(t: string): boolean {
  let gt = -1;
  for (let p = t.indexOf('<EventID'); p >= 0; p = t.indexOf('<EventID', p + 8)) {
    if (gt < p) { gt = t.indexOf('>', p); if (gt < 0) return false; }
    let q = gt + 1;
    while (q < t.length && (t.charCodeAt(q) === 32 || t.charCodeAt(q) === 10 || t.charCodeAt(q) === 13 || t.charCodeAt(q) === 9)) q++;
    if (t.startsWith('515', q)) {
      const d = t.charCodeAt(q + 3);
      const e = t.charCodeAt(q + 4);
      if (d >= 50 && d <= 57 && !(e >= 48 && e <= 57)) return true;
    }
  }
  return false;
}
const WIN_JSON = /Microsoft-Windows-Security-Auditing|"winlog"\s*:|"EventID"\s*:|"EventData"\s*:|"Event"\s*:\s*\{\s*"System"/;

function jsonDialect(head: string): string {
  if (/"Event"\s*:\s*\{/.test(head) && head.indexOf('"System"') >= 0) return 'evtx-dump';
  if (/"winlog"\s*:/.test(head)) return 'winlogbeat';
  if (/"RuleTitle"\s*:/.test(head) && /"(?:Details|AllFieldInfo)"\s*:/.test(head)) return 'hayabusa';
  if (/"MachineName"\s*:|"Properties"\s*:/.test(head)) return 'get-winevent';
  if (/"EventData"\s*:\s*"/.test(head)) return 'sentinel';
  if (/"EventTime"\s*:|"SourceModuleType"\s*:/.test(head)) return 'nxlog';
  return 'flat-json';
}

function detect(head: string, _fileName: string): Detection | null {
  let t = head.trimStart();
  // Event Viewer "copy" of the XML view: each expandable element is prefixed with a `- ` collapse marker
  if (t.startsWith('- <')) t = t.slice(2);
  if (isHayabusaCsvHeader(t)) return { format: 'wfp-csv', dialect: 'hayabusa-csv', framing: 'csv', confidence: 0.8 };
  // Event Viewer Ctrl+C of selected events ("Copy details as text"): per event the General tab as text
  // (`Log Name:`, `Source:`, `Date:` in the viewer's locale, …) and then `Event Xml:` with the event's XML,
  // which alone is read (SystemTime, not the localised Date line). The text between events is not an event.
  if (t.startsWith('Log Name:')) {
    const x = t.indexOf('\nEvent Xml:');
    if (x >= 0 && hasWfpXmlId(t.slice(x))) return { format: 'wfp-xml', dialect: 'eventviewer-text', framing: 'xml-events', confidence: 0.9 };
    return null;
  }
  const c = t.charCodeAt(0);
  if (c === 60 /* < */) {
    if (!/<Event[\s>]/.test(t)) return null;
    if (hasWfpXmlId(t)) return { format: 'wfp-xml', dialect: 'event-xml', framing: 'xml-events', confidence: 0.9 };
    if (t.indexOf('Microsoft-Windows-Security-Auditing') >= 0) {
      return { format: 'wfp-xml', dialect: 'event-xml', framing: 'xml-events', confidence: 0.6 };
    }
    return null;
  }
  if (c === 123 /* { */ || c === 91 /* [ */) {
    if (WFP_ID_JSON.test(t) || /Filtering Platform/.test(t)) {
      return { format: 'wfp-json', dialect: jsonDialect(t), framing: 'json', confidence: 0.9 };
    }
    if (WIN_JSON.test(t)) return { format: 'wfp-json', dialect: jsonDialect(t), framing: 'json', confidence: 0.6 };
  }
  return null;
}

export const wfp: ParserModule = {
  family: 'wfp',
  formats: ['wfp-json', 'wfp-xml', 'wfp-csv'],
  detect,
  forced(format: string, head: string): Detection {
    if (format === 'wfp-xml') return { format, dialect: 'event-xml', framing: 'xml-events', confidence: 1 };
    if (format === 'wfp-csv') return { format, dialect: 'hayabusa-csv', framing: 'csv', confidence: 1 };
    return { format: 'wfp-json', dialect: jsonDialect(head.trimStart()), framing: 'json', confidence: 1 };
  },
  create(det: Detection, opts: ParseOptions, sink: ParseSink): RecordParser {
    sink = guardSink(sink);
    const p = new WfpParser(det, opts, sink);
    return det.framing === 'csv' ? new HayabusaCsvParser(p, sink) : p;
  },
};
