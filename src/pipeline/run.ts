/**
 * The reading pipeline: input → decoding → format detection → framing → parser → Flow callback.
 * One input's failure (missing, unreadable, truncated, unrecognised) is recorded in its summary and
 * the run goes on with the next input.
 */
import type { Action, Flow } from '../model/flow.js';
import { YearInferrer, ZoneConverter, defaultTimeZone } from '../model/time.js';
import type { Detection, ParserModule, ParseSink, RecordParser, SkipKind } from '../../parsers/types.js';
import { PARSERS } from '../../parsers/index.js';
import { binaryRatio, sniffEncoding, TextDecoderState } from './decode.js';
import { JsonLinesFramer, JsonStreamFramer, LineFramer, XmlEventFramer, type Framer } from './framing.js';
import { expandInputs } from './inputs.js';
import { openInput, type Source } from './sources.js';

export interface ReadOptions {
  /** Force a format (a format id such as `panos-csv` or a family such as `iptables`). */
  format?: string;
  tz?: string;
  year?: number;
  actionMap?: Map<string, Action>;
  strict?: boolean;
  /** Called after every chunk; used for the progress line on a terminal. */
  onProgress?: (p: Progress) => void;
  /** Awaited after every chunk: lets a sink flush its buffer and honour back-pressure. */
  afterChunk?: () => Promise<void> | void;
  /** Worker threads for large inputs (src/pipeline/pool.ts); default FWAUDIT_JOBS or one per core; 1 = this thread only. */
  jobs?: number;
  /** What the input `-` reads (default: process.stdin). */
  stdin?: AsyncIterable<Buffer | string>;
}

export interface Progress { file: string; fileIndex: number; files: number; bytes: number; totalBytes: number | null; lines: number }

export interface SkipGroup { reason: string; kind: SkipKind; count: number; first: { file: string; line: number } }

export interface InputSummary {
  file: string;
  format: string | null;
  dialect: string | null;
  encoding: string | null;
  container: string | null;
  lines: number;
  flows: number;
  bytes: number;
  skipped: SkipGroup[];
  notes: Record<string, number>;
  error: string | null;
}

const HEAD_SIZE = 64 * 1024;

/** Picks the parser and detection for an input (forced by --format, else the most confident detector). */
export function detectFormat(head: string, name: string, forced?: string): { mod: ParserModule; det: Detection } | null {
  if (forced) {
    const byFormat = PARSERS.find((p) => p.formats.includes(forced));
    if (byFormat) return { mod: byFormat, det: byFormat.forced(forced, head) };
    const byFamily = PARSERS.find((p) => p.family === forced);
    if (byFamily) {
      const det = byFamily.detect(head, name) ?? byFamily.forced(byFamily.formats[0]!, head);
      return { mod: byFamily, det };
    }
    throw new Error(`unknown format "${forced}" (known: ${PARSERS.flatMap((p) => [p.family, ...p.formats]).join(', ')})`);
  }
  let best: { mod: ParserModule; det: Detection } | null = null;
  for (const mod of PARSERS) {
    let det: Detection | null = null;
    try { det = mod.detect(head, name); } catch { det = null; }
    if (det && (!best || det.confidence > best.det.confidence)) best = { mod, det };
  }
  return best;
}

/** Reads every input and calls onFlow for each flow. Never throws for bad input: see the summaries. */
export async function readFlows(inputs: string[], opts: ReadOptions, onFlow: (f: Flow) => void): Promise<InputSummary[]> {
  const zone = new ZoneConverter(opts.tz ?? defaultTimeZone());
  if (opts.format) detectFormat('', '', opts.format); // validate early: throws on unknown format
  const files = expandInputs(inputs);
  if (opts.jobs !== 1 && process.env['FWAUDIT_JOBS'] !== '1') { // large inputs go to the worker pool (same flows, same order)
    const pooled = await (await import('./pool.js')).readFlowsPooled(files, opts, onFlow);
    if (pooled) return pooled;
  }
  const summaries: InputSummary[] = [];
  for (let i = 0; i < files.length; i++) {
    const path = files[i]!;
    const opened = await openInput(path, opts.stdin);
    if ('error' in opened) {
      summaries.push(emptySummary(path, `cannot read: ${opened.error}`));
      continue;
    }
    try {
      for await (const src of opened.sources) {
        summaries.push(await readSource(src, opts, zone, onFlow, i, files.length));
      }
    } catch (e) {
      summaries.push(emptySummary(path, `cannot read archive: ${(e as Error).message}`));
    }
  }
  return summaries;
}

function emptySummary(file: string, error: string | null): InputSummary {
  return { file, format: null, dialect: null, encoding: null, container: null, lines: 0, flows: 0, bytes: 0, skipped: [], notes: {}, error };
}

async function readSource(
  src: Source, opts: ReadOptions, zone: ZoneConverter, onFlow: (f: Flow) => void, fileIndex: number, files: number,
): Promise<InputSummary> {
  const summary = emptySummary(src.name, null);
  summary.container = src.container;
  const skips = new Map<string, SkipGroup>();
  const sink: ParseSink = {
    flow(f) { summary.flows++; onFlow(f); },
    skip(reason, line, kind) {
      const g = skips.get(reason);
      if (g) g.count++;
      else skips.set(reason, { reason, kind, count: 1, first: { file: src.name, line } });
    },
    note(name, n) { summary.notes[name] = (summary.notes[name] ?? 0) + n; },
  };
  let decoder: TextDecoderState | null = null;
  let head = '';
  const st: { framer: Framer | null; parser: RecordParser | null } = { framer: null, parser: null };
  let failed = false;

  const setup = (text: string): boolean => {
    const nl = text.lastIndexOf('\n');
    const probe = nl > 0 && text.length >= HEAD_SIZE ? text.slice(0, nl + 1) : text;
    if (binaryRatio(probe.replace(/\0/g, '')) > 0.1) {
      summary.error = 'binary data, not a text log (unsupported archive or corrupt file?)';
      return false;
    }
    let picked;
    try { picked = detectFormat(probe.replace(/\0/g, ''), src.name, opts.format); } catch (e) { summary.error = (e as Error).message; return false; }
    if (!picked) {
      const first = probe.split('\n').find((l) => l.trim() !== '') ?? '';
      summary.error = `format not recognised (line 1: ${JSON.stringify(first.slice(0, 80))})`;
      return false;
    }
    const { mod, det } = picked;
    summary.format = det.format;
    summary.dialect = det.dialect;
    const parser = st.parser = mod.create(det, { file: src.name, zone, years: new YearInferrer(opts.year, src.mtimeMs), actionMap: opts.actionMap ?? new Map() }, sink);
    if (det.framing === 'lines' || det.framing === 'csv') st.framer = new LineFramer((l, n) => parser.line!(l, n), sink);
    else if (det.framing === 'xml-events') st.framer = new XmlEventFramer(parser, sink);
    else {
      const t = probe.trimStart();
      const firstLine = t.slice(0, t.indexOf('\n') >= 0 ? t.indexOf('\n') : t.length).trim();
      let jsonl = false;
      if (t.startsWith('{')) { try { JSON.parse(firstLine); jsonl = true; } catch { jsonl = false; } }
      st.framer = jsonl ? new JsonLinesFramer(parser, sink) : new JsonStreamFramer(parser, sink);
    }
    return true;
  };

  // UTF-8 (the usual case) goes to the framer as bytes; UTF-16 is decoded to text first.
  let bytePath = false;
  const headBufs: Buffer[] = [];
  let headBytes = 0;
  let bomToSkip = 0;
  const feed = (text: string | null, bytes: Buffer | null): void => {
    if (bytes !== null && st.framer!.pushBytes) st.framer!.pushBytes(bytes);
    else st.framer!.push(text ?? bytes!.toString('utf8'));
  };
  const startWithHead = (final: boolean): boolean => {
    // Detection sees whole decoded lines of the head; the framer then gets the same input from its start.
    if (bytePath) {
      let all = headBufs.length === 1 ? headBufs[0]! : Buffer.concat(headBufs);
      headBufs.length = 0;
      if (bomToSkip) { all = all.subarray(bomToSkip); bomToSkip = 0; }
      const text = all.toString('utf8');
      if (text.trim() === '' && final) { summary.notes['empty'] = 1; return false; }
      if (!setup(text)) return false;
      feed(null, all);
      return true;
    }
    const text = head;
    head = '';
    if (text.trim() === '' && final) { if (!summary.error) summary.notes['empty'] = 1; return false; }
    if (!setup(text)) return false;
    feed(text, null);
    return true;
  };

  try {
    for await (const chunk of src.stream) {
      summary.bytes += chunk.length;
      if (!decoder) {
        const enc = sniffEncoding(chunk);
        decoder = new TextDecoderState(enc.encoding, enc.bomLength);
        summary.encoding = enc.encoding + (enc.bomLength ? ' (BOM)' : '');
        bytePath = enc.encoding === 'utf-8';
        bomToSkip = bytePath ? enc.bomLength : 0;
      }
      if (failed) continue;
      if (!st.framer) {
        if (bytePath) { headBufs.push(Buffer.from(chunk)); headBytes += chunk.length; if (headBytes < HEAD_SIZE) continue; }
        else { head += decoder.write(chunk); if (head.length < HEAD_SIZE) continue; }
        if (!startWithHead(false)) { failed = true; continue; }
      } else feed(bytePath ? null : decoder.write(chunk), bytePath ? chunk : null);
      if (opts.afterChunk) await opts.afterChunk();
      opts.onProgress?.({ file: src.name, fileIndex, files, bytes: summary.bytes, totalBytes: src.size, lines: st.framer?.count ?? 0 });
    }
    if (decoder && !failed) {
      if (!st.framer) startWithHead(true);
      else if (!bytePath) { const tail = decoder.end(); if (tail) st.framer.push(tail); }
    } else if (!decoder) summary.notes['empty'] = 1;
  } catch (e) {
    const msg = (e as Error).message || String(e);
    const where = st.framer ? ` after line ${st.framer.count}` : '';
    summary.error = src.container === 'gzip' && /unexpected end|incorrect header|invalid/i.test(msg)
      ? `truncated or corrupt gzip data${where}: ${msg}`
      : `read error${where}: ${msg}`;
    st.framer?.abort?.();
  }
  opts.onProgress?.({ file: src.name, fileIndex, files, bytes: summary.bytes, totalBytes: src.size, lines: st.framer?.count ?? 0 });
  const f = st.framer;
  if (f) {
    f.end();
    if (f instanceof JsonStreamFramer) await f.finish();
    st.parser?.end?.();
    summary.lines = f.count;
  }
  summary.skipped = [...skips.values()];
  return summary;
}

/** Malformed (flow-like but unreadable) lines across summaries — what --strict turns into an error. */
export function malformedCount(summaries: InputSummary[]): number {
  let n = 0;
  for (const s of summaries) for (const g of s.skipped) if (g.kind === 'malformed') n += g.count;
  return n;
}
