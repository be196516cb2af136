/**
 * PAN-OS web UI / Panorama CSV export (`panos-csv`): a header row, then one record per row, columns
 * mapped by normalized header name through the one alias table (common.ts). Quoted cells may contain
 * commas, doubled quotes and newlines: the pipeline frames this format as whole CSV records (`csv`).
 */
import { parseIsoTime, timeError } from '../../src/model/time.js';
import { CsvFields, splitCsvLine } from '../csv.js';
import type { ParseOptions, ParseSink, RecordParser } from '../types.js';
import { ALIASES, OTHER_TYPES, PanRecord, counterValue, emitPanRecord, normName, portValue, type AliasKey } from './common.js';

export function isWebHeader(line: string): boolean {
  const l = line.toLowerCase();
  return l.includes('receive time') && (l.includes('source address') || l.includes('source ip'))
    && l.indexOf(',') >= 0;
}

type Columns = Record<AliasKey, number>;

function columnsOf(header: string[]): { cols: Columns; max: number; threatish: boolean } {
  const names = header.map(normName);
  const cols = {} as Columns;
  let max = 0;
  for (const k of Object.keys(ALIASES) as AliasKey[]) {
    let idx = -1;
    for (const a of ALIASES[k]) { idx = names.indexOf(a); if (idx >= 0) break; }
    cols[k] = idx;
    if (idx > max) max = idx;
  }
  const threatish = names.includes('url') || names.includes('threatcontentname') || names.includes('urlfilename');
  return { cols, max, threatish };
}

/** Longest logical record accepted (a quote left open would otherwise swallow the file). */
const MAX_RECORD = 1 << 20;

const TRAFFIC_SUBTYPES = new Set(['start', 'end', 'drop', 'deny']);

/** Time text of the export (`2024/03/09 10:00:00`, ISO with or without offset); ms or a TERR code. */
function timeOf(v: string, opts: ParseOptions): number {
  const t = v.trim();
  return parseIsoTime(t, 0, t.length, opts.zone);
}

export class WebCsvParser implements RecordParser {
  private readonly f = new CsvFields(128);
  private readonly r = new PanRecord();
  private layout: ReturnType<typeof columnsOf> | null = null;

  constructor(private readonly opts: ParseOptions, private readonly sink: ParseSink) {}

  // A record continued on the next line (quoted newline) when the pipeline frames by lines.
  private pending: string | null = null;
  private pendingLine = 0;
  private pendingQuotes = 0;

  line(text: string, lineNo: number): void {
    let q = 0;
    for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) q++;
    if (this.pending !== null) {
      this.pending += '\n' + text;
      this.pendingQuotes += q;
      if ((this.pendingQuotes & 1) === 1) {
        if (this.pending.length > MAX_RECORD) { this.sink.skip('panos csv record too long (unterminated quote)', this.pendingLine, 'malformed'); this.pending = null; }
        return;
      }
      const rec = this.pending;
      this.pending = null;
      this.row(rec, this.pendingLine);
      return;
    }
    if ((q & 1) === 1) { this.pending = text; this.pendingLine = lineNo; this.pendingQuotes = q; return; }
    this.row(text, lineNo);
  }

  end(): void {
    if (this.pending !== null) { this.sink.skip('panos csv record ends inside a quoted field', this.pendingLine, 'malformed'); this.pending = null; }
  }

  private row(text: string, lineNo: number): void {
    if (text.trim() === '') { this.sink.skip('blank line', lineNo, 'not-flow'); return; }
    if (isWebHeader(text)) {
      this.layout = columnsOf(splitCsvLine(text));
      this.sink.skip('header', lineNo, 'not-flow');
      return;
    }
    const L = this.layout;
    if (!L) { this.sink.skip('panos csv row before header', lineNo, 'malformed'); return; }
    const f = this.f;
    f.reset(text, 0, 0);
    f.readTo(L.max);
    const c = L.cols;
    const col = (k: AliasKey): string | null => (c[k] >= 0 ? f.opt(c[k]) : null);
    const typeRaw = (col('type') ?? '').trim();
    const sub = (col('subtype') ?? '').trim().toLowerCase();
    const T = typeRaw.toUpperCase();
    let threat: boolean;
    if (T === 'TRAFFIC') threat = false;
    else if (T === 'THREAT' || T === 'URL') threat = true;
    else if (T === '') threat = L.threatish;
    else if (TRAFFIC_SUBTYPES.has(T.toLowerCase())) threat = false;
    else {
      this.sink.skip(OTHER_TYPES.has(T) ? `panos ${T} log` : 'panos other log', lineNo, 'not-flow');
      return;
    }
    const r = this.r;
    r.reset();
    r.kind = threat ? 'threat' : 'traffic';
    r.subtype = T === 'URL' ? 'url' : (T === '' || T === 'TRAFFIC' || T === 'THREAT' ? sub : T.toLowerCase());
    r.src = col('src');
    r.dst = col('dst');
    const hr = col('hires');
    let ts = hr ? timeOf(hr, this.opts) : -1;
    if (ts < 0) {
      const tg = col('time') ?? col('receive');
      if (tg) {
        ts = timeOf(tg, this.opts);
        if (ts < 0) r.tsError = `panos ${timeError(ts)} (${col('time') !== null ? 'Generate Time' : 'Receive Time'})`;
      }
    }
    if (ts >= 0) r.ts = ts;
    r.sport = portValue(col('sport'));
    r.dport = portValue(col('dport'));
    r.proto = col('proto');
    r.action = col('action');
    r.rule = col('rule');
    r.app = col('app');
    r.device = col('device') ?? col('serial');
    if (threat) r.url = col('url');
    else {
      r.bytes = counterValue(col('bytes'));
      r.packets = counterValue(col('packets'));
      r.endReason = col('endReason');
    }
    emitPanRecord(r, 'panos-csv', this.opts.file, lineNo, this.sink);
  }
}
