/**
 * Flow → text at parse speed. The native JSON Lines record and the CSV row are built from the flow's
 * fields with a fixed template instead of an object per flow and `JSON.stringify`; the output is byte for
 * byte what `JSON.stringify(toNative(f))` and the `csvCell` join give (test/sinks-serialize.test.ts checks
 * both on every golden fixture and on hostile text). What makes it fast:
 * - strings that need no JSON escaping (the usual case) are quoted as they are; one regex test decides;
 * - low-cardinality columns (action, transport, device, rule, format, file, …) keep their last encoded
 *   value, so a run of flows from one file or device encodes those once;
 * - the timestamp text is cached per second (`2026-03-10T09:00:05.` + milliseconds + `Z`).
 */
import { FLOW_COLUMNS, type Flow } from '../model/flow.js';
import { isoUtc } from '../model/time.js';
import { csvCell } from '../reports/escape.js';
import { communityId } from './community-id.js';

export type FlowRow = Omit<Flow, 'ts'> & { ts: string | null };

export function flowToRow(f: Flow): FlowRow {
  return { ...f, ts: isoUtc(f.ts) };
}

/** One JSON Lines record with the flow columns only (no community id), keys in the documented order. */
export function flowToJsonLine(f: Flow): string {
  const o: Record<string, unknown> = {};
  for (const c of FLOW_COLUMNS) o[c] = c === 'ts' ? isoUtc(f.ts) : f[c];
  return JSON.stringify(o);
}

/** Largest epoch ms whose ISO text has a 4-digit year (9999-12-31T23:59:59.999Z). */
const MAX_4DIGIT_MS = 253402300799999;

/** ISO-8601 UTC text of epoch ms, as `isoUtc`, with the text up to the second cached. */
export class TimestampText {
  private sec = Number.NaN;
  private prefix = '';
  text(ms: number | null): string | null {
    if (ms === null || !Number.isInteger(ms) || ms < 0 || ms > MAX_4DIGIT_MS) return isoUtc(ms);
    const rem = ms % 1000;
    const sec = ms - rem;
    if (sec !== this.sec) {
      this.sec = sec;
      this.prefix = new Date(sec).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
    }
    return this.prefix + (rem < 10 ? '00' : rem < 100 ? '0' : '') + rem + 'Z';
  }
}

// JSON.stringify escapes '"', '\\', C0 controls and lone surrogates; anything else is copied as is.
// eslint-disable-next-line no-control-regex
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON text of a string, as JSON.stringify gives it. */
export function jsonString(s: string): string {
  return NEEDS_JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Marks a record that JSON.stringify would write differently from the template (an undefined field). */
class Irregular extends Error {}
const IRREGULAR = new Irregular();

/** JSON text of any field value, as JSON.stringify writes it inside an object. */
function jsonValue(v: unknown): string {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (v === null) return 'null';
  if (v === undefined) throw IRREGULAR; // the key would be left out: take the slow path
  const t = JSON.stringify(v);
  if (t === undefined) throw IRREGULAR;
  return t;
}

/** Remembers the last value of one column and its encoding. */
class LastValue {
  private v: unknown = null;
  private t: string;
  constructor(private readonly enc: (v: unknown) => string) { this.t = enc(null); }
  get(v: unknown): string {
    if (v !== this.v) { this.t = this.enc(v); this.v = v; }
    return this.t;
  }
}

/** The native record (flow columns + community_id) as one JSON line, without the newline. */
export class NativeJsonEncoder {
  private readonly ts = new TimestampText();
  private readonly action = new LastValue(jsonValue);
  private readonly rawAction = new LastValue(jsonValue);
  private readonly transport = new LastValue(jsonValue);
  private readonly direction = new LastValue(jsonValue);
  private readonly device = new LastValue(jsonValue);
  private readonly rule = new LastValue(jsonValue);
  private readonly app = new LastValue(jsonValue);
  private readonly endReason = new LastValue(jsonValue);
  private readonly format = new LastValue(jsonValue);
  private readonly file = new LastValue(jsonValue);

  encode(f: Flow): string {
    try {
      const t = this.ts.text(f.ts);
      return '{"ts":' + (t === null ? 'null' : jsonString(t))
        + ',"action":' + this.action.get(f.action)
        + ',"raw_action":' + this.rawAction.get(f.raw_action)
        + ',"transport":' + this.transport.get(f.transport)
        + ',"src_ip":' + jsonValue(f.src_ip)
        + ',"src_port":' + jsonValue(f.src_port)
        + ',"dst_ip":' + jsonValue(f.dst_ip)
        + ',"dst_port":' + jsonValue(f.dst_port)
        + ',"direction":' + this.direction.get(f.direction)
        + ',"device":' + this.device.get(f.device)
        + ',"rule":' + this.rule.get(f.rule)
        + ',"app":' + this.app.get(f.app)
        + ',"bytes":' + jsonValue(f.bytes)
        + ',"packets":' + jsonValue(f.packets)
        + ',"end_reason":' + this.endReason.get(f.end_reason)
        + ',"host":' + jsonValue(f.host)
        + ',"url":' + jsonValue(f.url)
        + ',"format":' + this.format.get(f.format)
        + ',"file":' + this.file.get(f.file)
        + ',"line":' + jsonValue(f.line)
        + ',"community_id":' + jsonValue(communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port))
        + '}';
    } catch (e) {
      if (e !== IRREGULAR) throw e;
      return JSON.stringify(nativeRecord(f, this.ts.text(f.ts)));
    }
  }
}

/** The native record as an object (flow columns with ts as text, then community_id). */
export function nativeRecord(f: Flow, ts: string | null = isoUtc(f.ts)): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of FLOW_COLUMNS) o[c] = c === 'ts' ? ts : f[c];
  o['community_id'] = communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port);
  return o;
}

/** CSV cell of a number or null, as csvCell writes it; anything else through csvCell. */
function csvValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  return csvCell(v);
}

/** One CSV row of the native columns (RFC 4180 quoting, formula neutralisation), without the newline. */
export class NativeCsvEncoder {
  private readonly ts = new TimestampText();
  private readonly cols = FLOW_COLUMNS.map(() => new LastValue(csvValue));
  encode(f: Flow): string {
    const c = this.cols;
    const t = this.ts.text(f.ts);
    return (t === null ? '' : csvCell(t))
      + ',' + c[1]!.get(f.action)
      + ',' + c[2]!.get(f.raw_action)
      + ',' + c[3]!.get(f.transport)
      + ',' + csvValue(f.src_ip)
      + ',' + csvValue(f.src_port)
      + ',' + csvValue(f.dst_ip)
      + ',' + csvValue(f.dst_port)
      + ',' + c[8]!.get(f.direction)
      + ',' + c[9]!.get(f.device)
      + ',' + c[10]!.get(f.rule)
      + ',' + c[11]!.get(f.app)
      + ',' + csvValue(f.bytes)
      + ',' + csvValue(f.packets)
      + ',' + c[14]!.get(f.end_reason)
      + ',' + csvValue(f.host)
      + ',' + csvValue(f.url)
      + ',' + c[17]!.get(f.format)
      + ',' + c[18]!.get(f.file)
      + ',' + csvValue(f.line)
      + ',' + csvValue(communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port));
  }
}
