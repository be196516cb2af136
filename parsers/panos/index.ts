/**
 * Palo Alto Networks PAN-OS TRAFFIC and THREAT logs (docs/log-formats.md §4), split by source form:
 * syslog CSV (syslog.ts), web UI / Panorama CSV export (webcsv.ts), JSON (json.ts); all fill the one
 * record of common.ts, converted and validated in one place (emitPanRecord).
 */
import type { Detection, ParseOptions, ParseSink, ParserModule, RecordParser } from '../types.js';
import { guardSink } from '../validate.js';
import { FORMATS, OTHER_TYPES } from './common.js';
import { JsonParser } from './json.js';
import { SyslogParser, lineType } from './syslog.js';
import { WebCsvParser, isWebHeader } from './webcsv.js';

export { hostFromUrl, threatAction, trafficAction } from './common.js';
export { jsonTime } from './json.js';

function syslogDialect(line: string): string {
  if (/^log \d+ (?:pass|fail) = /.test(line)) return 'wazuh-ini';
  if (/^\d{1,6} </.test(line)) return 'octet';
  if (/^<\d{1,3}>\s?\d /.test(line)) return 'ietf';
  if (/^<\d{1,3}>/.test(line)) return 'bsd';
  if (/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [^ ]{1,255} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /.test(line)) return 'relay';
  if (/^[A-Z][a-z]{2} [ \d]\d /.test(line)) return 'bsd-nopri';
  if (/^\d{4}-\d\d-\d\dT/.test(line)) return 'rfc3339';
  return 'noheader';
}

function detectJson(head: string): Detection | null {
  const t = head.trimStart();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  const has = (re: RegExp) => re.test(head);
  // CDL/SLS records always carry LogType; Windows events share SourceAddress/DestinationPort names.
  if (has(/"(?:SourceAddress|DestinationAddress|SourceIP|DestinationIP)"\s*:/) && has(/"LogType"\s*:/)
    && !has(/"(?:EventID|EventId|event_id|winlog)"\s*:/)) {
    return { format: 'panos-json', dialect: 'cdl', framing: 'json', confidence: 0.9 };
  }
  if (has(/"source_ip"\s*:/) && has(/"dest_ip"\s*:/)) {
    return { format: 'panos-json', dialect: 'sls-query', framing: 'json', confidence: 0.8 };
  }
  if (has(/"\$?src"\s*:/) && has(/"\$?dst"\s*:/) && has(/"\$?(?:sport|dport|receive_time|time_generated|proto)"\s*:/)) {
    return { format: 'panos-json', dialect: 'custom', framing: 'json', confidence: 0.7 };
  }
  return null;
}

function detect(head: string, _fileName: string): Detection | null {
  const json = detectJson(head);
  if (json) return json;
  const lines = head.split('\n', 200);
  const first = lines.find((l) => l.trim() !== '');
  if (first !== undefined && isWebHeader(first)) {
    return { format: 'panos-csv', dialect: 'web-csv', framing: 'csv', confidence: 0.95 };
  }
  let flows = 0, others = 0, dialect: string | null = null;
  for (const l of lines) {
    const t = lineType(l);
    if (t === null) continue;
    if (t === 'TRAFFIC' || t === 'THREAT') flows++;
    else if (OTHER_TYPES.has(t)) others++;
    else continue;
    if (dialect === null) dialect = syslogDialect(l);
  }
  if (flows + others === 0) return null;
  if (/^log \d+ (?:pass|fail) = /m.test(head)) dialect = 'wazuh-ini';
  return {
    format: 'panos-syslog', dialect: dialect ?? 'noheader', framing: 'lines',
    confidence: flows > 0 ? (flows + others >= 2 ? 0.95 : 0.85) : 0.6,
  };
}

function forced(format: string, head: string): Detection {
  const d = detect(head, '');
  if (d && d.format === format) return d;
  if (format === 'panos-json') return { format, dialect: 'cdl', framing: 'json', confidence: 1 };
  if (format === 'panos-csv') return { format, dialect: 'web-csv', framing: 'csv', confidence: 1 };
  if (format !== 'panos-syslog') throw new Error(`panos: unknown format ${format}`);
  const first = head.split('\n', 50).find((l) => lineType(l) !== null);
  return { format, dialect: first ? syslogDialect(first) : 'noheader', framing: 'lines', confidence: 1 };
}

export const panos: ParserModule = {
  family: 'panos',
  formats: FORMATS,
  detect,
  forced,
  create(det: Detection, opts: ParseOptions, sink: ParseSink): RecordParser {
    const gated = guardSink(sink);
    if (det.format === 'panos-json') return new JsonParser(opts, gated);
    if (det.format === 'panos-csv') return new WebCsvParser(opts, gated);
    return new SyslogParser(det, opts, gated, sink); // its flows are valid by construction (emitPanRecord)
  },
};
