/**
 * The reading pipeline: input → decoding → format detection → framing → parser → Flow callback.
 * One input's failure (missing, unreadable, truncated, unrecognised) is recorded in its summary and
 * the run goes on with the next input.
 */
import { availableParallelism } from 'node:os';
import type { Action, Flow } from '../model/flow.js';
import { pickFileTime, TimeWindow, YearInferrer, ZoneConverter, defaultTimeZone } from '../model/time.js';
import { windowSink } from '../../parsers/validate.js';
import type { Detection, ParserModule, ParseSink, RecordParser, SkipKind } from '../../parsers/types.js';
import { PARSERS as ALL_PARSERS } from '../../parsers/index.js';
import { BugError, FwauditError, isBrokenPipe, UsageError } from '../model/errors.js';
import { binaryRatio, sniffEncoding, TextDecoderState, type Encoding } from './decode.js';
import {
  CsvFramer, DEFAULT_LIMITS, isBlank, isBlankBytes, JsonLinesFramer, JsonStreamFramer, LineFramer, MAX_LINE, XmlEventFramer,
  type Framer, type JsonLimits,
} from './framing.js';
import { expandInputsDetailed } from './inputs.js';
import { openInput, type Source } from './sources.js';
import { FINGERPRINT_BYTES, fingerprintOf } from './checkpoint.js';
import { escapeText, previewText } from '../model/sanitize.js';

export interface ReadOptions {
  /** Force a format (a format id such as `panos-csv` or a family such as `iptables`). */
  format?: string;
  tz?: string;
  year?: number;
  actionMap?: Map<string, Action>;
  strict?: boolean;
  /**
   * false (`--no-time-window`): do not check timestamps against the file's time and the format's first
   * day (src/model/time.ts TimeWindow); the fixed 1990–2100 window still applies.
   */
  timeWindow?: boolean;
  /** Called after every chunk; used for the progress line on a terminal. */
  onProgress?: (p: Progress) => void;
  /** Awaited after every chunk: lets a sink flush its buffer and honour back-pressure. */
  afterChunk?: () => Promise<void> | void;
  /** Worker threads for large inputs (src/pipeline/pool.ts); default FWAUDIT_JOBS or one per core; 1 = this thread only. */
  jobs?: number;
  /**
   * Durable ingest: begin reading an input (keyed by its `InputSummary.file` of an earlier read)
   * at this byte offset of its content (decompressed content for gzip), which must be a line
   * boundary (an `endOffset` of an earlier summary). Line numbers then count from that point
   * (`InputSummary.startOffset` says so). The format is still detected from the head of the file.
   */
  startOffsets?: ReadonlyMap<string, number>;
  /** Growing logs: a final line without a newline is not read and not consumed (see `endOffset`). */
  holdPartialLastLine?: boolean;
  /** Follow symbolic links inside directories and globs (default: no; loops detected by device+inode). */
  followSymlinks?: boolean;
  /** Largest JSON record / XML event / CSV record in bytes (default FWAUDIT_MAX_RECORD or 16 MiB). */
  maxRecordBytes?: number;
  /** Deepest nesting of a JSON record (default 64). */
  maxDepth?: number;
  /** What the input `-` reads (default: process.stdin). */
  stdin?: AsyncIterable<Buffer | string>;
  /** Parser families to detect and use (default: all of parsers/index.ts); tests and plugins. */
  parsers?: readonly ParserModule[];
  /**
   * Match in the worker threads (analyze): when the pool reads the inputs, every worker matches its part
   * with a Matcher built from `wire` and `into` merges their states in input order; `onFlow` is then not
   * called. Without the pool (one thread), `onFlow` gets every flow as usual.
   */
  /**
   * Render in the worker threads (parse to JSON Lines / CSV): when the pool reads the inputs, every worker
   * renders its flows with `byteRenderer(wire)` and `write` gets the UTF-8 chunks in input order (`done`: written;
   * `reuse`: the chunk's memory may be reused); `onFlow` is then not called. Without the pool, `onFlow` gets every
   * flow as usual.
   */
  encode?: { wire: import('./worker.js').WireEncode; write: (chunk: Buffer, done: (reuse: boolean) => void) => void };
  /** No flow is delivered before this settles (ingest: the input's checkpoint scan runs beside the read). */
  ready?: Promise<void>;
  /** How the pool cuts its work (tests and the bench; default DEFAULT_TUNING of pool.ts). */
  poolTuning?: import('./pool.js').PoolTuning;
  /** Worker threads started before the read (pool.ts startWorkersEarly), for the pool to take; the caller releases them. */
  earlyWorkers?: import('./pool.js').EarlyWorkers;
  match?: {
    wire: import('./worker.js').WireMatch; into: import('../matcher/matcher.js').Matcher;
    /**
     * Ingest: the pool also hands every flow with the requirements it matched (`Matcher.observeMatched` in the
     * worker, the batch's `matched` column) to `onBatch` here, in input order, as the workers' columnar batches
     * (rows `from`..n; line numbers local to the part: add `lineOffset`); used only for one plain file of exactly
     * `size` bytes cut into ranges (src/pipeline/pool.ts), else the pool is not used and `onFlow` of readFlows gets
     * every flow.
     */
    flows?: { size: number; onBatch: (b: import('./flow-batch.js').FlowBatch, lineOffset: number, from: number) => void };
  };
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
  /**
   * Why this input could not be read (or was read only in part). Never holds content of the input:
   * attacker-controlled text (member names, excerpts) is escaped, raw lines are never quoted.
   */
  error: string | null;
  /** Empty or whitespace-only lines: lines = flows + not-flow + malformed + blank for line framings. */
  blank: number;
  /**
   * An escaped preview of the first line of an input whose format was not recognised, for a human on a
   * terminal with --verbose only. Never store or report it.
   */
  preview: string | null;
  /** Size in bytes of the file on disk (compressed size for gzip); null for streams and zip members. */
  size: number | null;
  /** Content byte offset reading began at (ReadOptions.startOffsets), 0 otherwise. */
  startOffset: number;
  /**
   * Content byte offset (decompressed for gzip) up to which the input was consumed: the end of the
   * last complete line; a final line without newline counts as consumed unless holdPartialLastLine
   * was set. Resume the next read here. Null when the input was not read to a clean end (error).
   */
  endOffset: number | null;
  /** Hex SHA-256 of the first `fingerprintBytes` (≤ 4096) bytes of the content (decompressed). */
  fingerprint: string | null;
  fingerprintBytes: number;
  /** Content was gzip-compressed (alone or inside a zip member). */
  compressed: boolean;
  /** Device and inode of a regular file (null for streams, zip members). */
  device: number | null;
  inode: number | null;
}

const HEAD_SIZE = 64 * 1024;

/** Picks the parser and detection for an input (forced by --format, else the most confident detector). */
export function detectFormat(
  head: string, name: string, forced?: string, PARSERS: readonly ParserModule[] = ALL_PARSERS,
): { mod: ParserModule; det: Detection } | null {
  if (forced) {
    const byFormat = PARSERS.find((p) => p.formats.includes(forced));
    if (byFormat) return { mod: byFormat, det: byFormat.forced(forced, head) };
    const byFamily = PARSERS.find((p) => p.family === forced);
    if (byFamily) {
      const det = byFamily.detect(head, name) ?? byFamily.forced(byFamily.formats[0]!, head);
      return { mod: byFamily, det };
    }
    throw new UsageError(`unknown format "${forced}" (known: ${PARSERS.flatMap((p) => [p.family, ...p.formats]).join(', ')})`);
  }
  let best: { mod: ParserModule; det: Detection } | null = null;
  for (const mod of PARSERS) {
    let det: Detection | null = null;
    try { det = mod.detect(head, name); } catch { det = null; }
    if (det && (!best || det.confidence > best.det.confidence)) best = { mod, det };
  }
  return best;
}

/**
 * Reads every input and calls onFlow for each flow; one summary per input (per zip member).
 *
 * Error semantics: only reading and decoding an input makes an error of that input (its summary's
 * `error`; the run goes on with the next input). A parser that throws on one record makes that record
 * malformed ("parser error: …", note `parser-errors`) and the input goes on. An exception from
 * `onFlow`, `afterChunk` or `onProgress` (matcher, store appender, writer) is not the input's fault:
 * it ends the run, rethrown as is when it is a typed fwaudit error (OutputError, StoreError, …) or a
 * broken pipe, otherwise as a BugError whose `cause` is the original. The returned promise always
 * settles.
 */
export async function readFlows(inputs: string[], opts: ReadOptions, onFlow: (f: Flow) => void): Promise<InputSummary[]> {
  const zone = new ZoneConverter(opts.tz ?? defaultTimeZone());
  if (opts.format) detectFormat('', '', opts.format, opts.parsers); // validate early: throws on unknown format
  const limits = readLimits(opts);
  const expanded = expandInputsDetailed(inputs, { followSymlinks: opts.followSymlinks === true });
  const files = expanded.files;
  // large inputs go to the worker pool (same flows, same order); not for resumed or growing inputs
  // (threads: --jobs N, else FWAUDIT_JOBS, else one per core for analyze, parse and ingest: see defaultJobs in pool.ts)
  const envJobs = Number(process.env['FWAUDIT_JOBS']);
  const wantsPool = opts.jobs !== undefined ? opts.jobs > 1
    : Number.isInteger(envJobs) && envJobs >= 1 ? envJobs > 1
      : (opts.match !== undefined || opts.encode !== undefined) && availableParallelism() > 1;
  if (wantsPool && !opts.startOffsets?.size && !opts.holdPartialLastLine && !opts.parsers && expanded.refused.length === 0) {
    const pooled = await (await import('./pool.js')).readFlowsPooled(files, opts, onFlow, opts.poolTuning);
    if (pooled) return pooled;
  }
  if (opts.ready) await opts.ready;
  const summaries: InputSummary[] = [];
  for (let i = 0; i < files.length; i++) {
    const path = files[i]!;
    const opened = await openInput(path, { startOffset: opts.startOffsets?.get(path) ?? 0, stdin: opts.stdin });
    if ('error' in opened) {
      summaries.push(emptySummary(path, `cannot read: ${opened.error}`));
      continue;
    }
    const it = opened.sources[Symbol.asyncIterator]();
    for (;;) {
      let r: IteratorResult<Source>;
      try { r = await it.next(); } catch (e) {
        summaries.push(emptySummary(path, `cannot read archive: ${escapeText(errorMessage(e))}`));
        break;
      }
      if (r.done) break;
      try {
        summaries.push(await readSource(r.value, opts, limits, zone, onFlow, i, files.length));
      } catch (e) {
        try { await it.return?.(undefined); } catch { /* the archive is closed anyway */ }
        throw e;
      }
    }
  }
  for (const r of expanded.refused) summaries.push(emptySummary(r.path, r.reason));
  return summaries;
}

/** Record bounds from the options, else FWAUDIT_MAX_RECORD (bytes), else the defaults. */
export function readLimits(opts: ReadOptions): JsonLimits {
  const env = Number(process.env['FWAUDIT_MAX_RECORD']);
  const maxRecordBytes = opts.maxRecordBytes ?? (Number.isInteger(env) && env > 0 ? env : DEFAULT_LIMITS.maxRecordBytes);
  return { maxRecordBytes, maxDepth: opts.maxDepth ?? DEFAULT_LIMITS.maxDepth };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An exception from the consumer of flows: typed errors and broken pipes as is, anything else a bug. */
function consumerError(e: unknown, file: string): unknown {
  if (e instanceof FwauditError || isBrokenPipe(e)) return e;
  return new BugError(`error while handling the flows of ${escapeText(file)}: ${errorMessage(e)}`, { cause: e });
}

export function emptySummary(file: string, error: string | null): InputSummary {
  return {
    file, format: null, dialect: null, encoding: null, container: null, lines: 0, flows: 0, bytes: 0, skipped: [], notes: {}, error,
    blank: 0, preview: null, size: null, startOffset: 0, endOffset: null, fingerprint: null, fingerprintBytes: 0, compressed: false, device: null, inode: null,
  };
}

async function readSource(
  src: Source, opts: ReadOptions, limits: JsonLimits, zone: ZoneConverter, onFlow: (f: Flow) => void, fileIndex: number, files: number,
): Promise<InputSummary> {
  const summary = emptySummary(src.name, src.error ?? null);
  summary.container = src.container;
  summary.compressed = src.compressed;
  summary.size = src.size;
  summary.device = src.device;
  summary.inode = src.inode;
  summary.startOffset = src.startOffset;
  if (src.error) return summary;

  const skips = new Map<string, SkipGroup>();
  /** The first exception thrown by the consumer (onFlow, afterChunk, onProgress): ends the run. */
  const cf: { failure: { e: unknown } | null } = { failure: null };
  /** While the prologue of a resumed input is replayed for parser state: nothing is counted. */
  let muted = false;
  const sink: ParseSink = {
    flow(f) {
      if (muted) return;
      summary.flows++;
      try { onFlow(f); } catch (e) { if (!cf.failure) cf.failure = { e }; throw e; }
    },
    skip(reason, line, kind) {
      if (muted) return;
      const g = skips.get(reason);
      if (g) g.count++;
      else skips.set(reason, { reason, kind, count: 1, first: { file: src.name, line } });
    },
    note(name, n) { if (!muted) summary.notes[name] = (summary.notes[name] ?? 0) + n; },
  };
  const parserError = (e: unknown, n: number): void => {
    if (cf.failure) throw cf.failure.e; // not the parser's fault: let it reach readFlows
    sink.skip(`parser error: ${previewText(errorMessage(e), 100)}`, n, 'malformed');
    sink.note('parser-errors', 1);
  };
  const onBlank = (): void => { if (!muted) summary.blank++; };

  let decoder: TextDecoderState | null = null;
  let head = '';
  const st: { parser: RecordParser | null; make: (() => Framer) | null; framer: Framer | null } = { parser: null, make: null, framer: null };
  let failed = false;

  const setup = (text: string): boolean => {
    const nl = text.lastIndexOf('\n');
    const probe = (nl > 0 && text.length >= HEAD_SIZE ? text.slice(0, nl + 1) : text).replace(/\0/g, '');
    if (binaryRatio(probe) > 0.1) {
      summary.error = `binary data, not a text log (${sizeText(summary)}; unsupported archive or corrupt file?)`;
      return false;
    }
    const picked = detectFormat(probe, src.name, opts.format, opts.parsers);
    if (!picked) {
      // Nothing of an unrecognised input is published: its size only; an escaped preview for a human.
      const first = probe.split('\n', 50).find((l) => l.trim() !== '') ?? '';
      summary.error = `format not recognised (${sizeText(summary)})`;
      summary.preview = previewText(first, 80);
      return false;
    }
    const { mod, det } = picked;
    summary.format = det.format;
    summary.dialect = det.dialect;
    let parser: RecordParser;
    try {
      const win = opts.timeWindow === false ? null : new TimeWindow(src.fileTime ?? pickFileTime(src.mtimeMs, 'mtime', null));
      parser = mod.create(det, { file: src.name, zone, years: new YearInferrer(opts.year, src.mtimeMs), actionMap: opts.actionMap ?? new Map() }, windowSink(sink, win));
    } catch (e) {
      summary.error = `parser error: ${previewText(errorMessage(e), 100)}`;
      return false;
    }
    st.parser = parser;
    // The parser behind a guard: an exception on one record makes that record malformed.
    const guarded: RecordParser = {
      line(t, n) { try { parser.line!(t, n); } catch (e) { parserError(e, n); } },
      record(v, n) { try { parser.record!(v, n); } catch (e) { parserError(e, n); } },
    };
    const lineFn = (t: string, n: number): void => {
      if (isBlank(t)) onBlank();
      try { parser.line!(t, n); } catch (e) { parserError(e, n); }
    };
    // Parsers that read bytes get each UTF-8 line as a range of the read buffer (no string per line).
    const bytesFn = parser.bytes ? (b: Buffer, s: number, e: number, n: number): void => {
      if (isBlankBytes(b, s, e)) onBlank();
      try { parser.bytes!(b, s, e, n); } catch (err) { parserError(err, n); }
    } : null;
    if (det.framing === 'lines') st.make = () => new LineFramer(lineFn, sink, MAX_LINE, bytesFn);
    else if (det.framing === 'xml-events') st.make = () => new XmlEventFramer(guarded, sink);
    else if (det.framing === 'csv') st.make = () => new CsvFramer(guarded, sink, onBlank, Math.min(limits.maxRecordBytes, MAX_LINE * 4));
    else {
      const t = probe.trimStart();
      const firstLine = t.slice(0, t.indexOf('\n') >= 0 ? t.indexOf('\n') : t.length).trim();
      let jsonl = false;
      if (t.startsWith('{')) { try { JSON.parse(firstLine); jsonl = true; } catch { jsonl = false; } }
      st.make = jsonl ? () => new JsonLinesFramer(guarded, sink, onBlank, limits) : () => new JsonStreamFramer(guarded, sink, limits);
    }
    return true;
  };

  // Content offsets (checkpoints): `pos` is the content offset of the next stream byte.
  let pos = src.startOffset;
  let lastNl = src.startOffset;
  let prevByte = -1;
  let skip = src.skipBytes;
  const prologueParts: Buffer[] = src.prologue ? [src.prologue] : [];
  let prologueLen = src.prologue ? src.prologue.length : 0;
  const fp: Buffer[] = [];
  let fpLen = 0;
  const fpFeed = (b: Buffer): void => {
    if (fpLen >= FINGERPRINT_BYTES || b.length === 0) return;
    const part = b.subarray(0, FINGERPRINT_BYTES - fpLen);
    fp.push(Buffer.from(part));
    fpLen += part.length;
  };
  if (src.prologue) fpFeed(src.prologue);

  // UTF-8 (the usual case) goes to the framer as bytes; UTF-16 is decoded to text first.
  let bytePath = false;
  let enc: { encoding: Encoding; bomLength: number } | null = null;
  const headBufs: Buffer[] = [];
  let headBytes = 0;
  let bomToSkip = 0;
  const feed = (text: string | null, bytes: Buffer | null): void => {
    if (bytes !== null && st.framer!.pushBytes) st.framer!.pushBytes(bytes);
    else st.framer!.push(text ?? bytes!.toString('utf8'));
  };
  /** The prologue of a resumed input (content before the offset, whole lines) through a muted framer. */
  const replayPrologue = (): Buffer => {
    const pro = prologueParts.length === 1 ? prologueParts[0]! : Buffer.concat(prologueParts);
    const cut = pro.lastIndexOf(10);
    const whole = cut >= 0 ? pro.subarray(0, cut + 1) : Buffer.alloc(0);
    if (whole.length) {
      const f = st.make!();
      muted = true;
      try {
        const body = enc!.bomLength ? whole.subarray(enc!.bomLength) : whole;
        if (bytePath && f.pushBytes) f.pushBytes(body); else f.push(new TextDecoderState(enc!.encoding, 0).write(body));
        f.end(true);
        st.parser?.flush?.(); // a line held by the parser (parsers/wrap.ts) belongs to the muted prologue
      } finally { muted = false; }
    }
    return pro;
  };
  const startWithHead = (final: boolean): boolean => {
    // Detection sees whole decoded lines of the head (from the content's start, prologue included);
    // the framer then gets the stream from its start.
    if (bytePath) {
      let all = headBufs.length === 1 ? headBufs[0]! : Buffer.concat(headBufs);
      headBufs.length = 0;
      if (bomToSkip) { all = all.subarray(bomToSkip); bomToSkip = 0; }
      const pro = prologueLen ? (prologueParts.length === 1 ? prologueParts[0]! : Buffer.concat(prologueParts)) : null;
      // the prologue up to its last newline: a prologue cut at 64 KiB must not glue half a line to the stream's first
      const detText = pro ? Buffer.concat([pro.subarray(enc!.bomLength, pro.lastIndexOf(10) + 1), all]).toString('utf8') : all.toString('utf8');
      if (detText.trim() === '' && final) { summary.notes['empty'] = 1; return false; }
      if (!setup(detText)) return false;
      if (pro) replayPrologue();
      st.framer = st.make!();
      feed(null, all);
      return true;
    }
    const text = head;
    head = '';
    let detText = text;
    if (prologueLen) {
      const pro = Buffer.concat(prologueParts);
      const pt = new TextDecoderState(enc!.encoding, enc!.bomLength).write(pro);
      detText = pt.slice(0, pt.lastIndexOf('\n') + 1) + text;
    }
    if (detText.trim() === '' && final) { if (!summary.error) summary.notes['empty'] = 1; return false; }
    if (!setup(detText)) return false;
    if (prologueLen) replayPrologue();
    st.framer = st.make!();
    feed(text, null);
    return true;
  };
  const callConsumer = async (): Promise<void> => {
    try {
      if (opts.afterChunk) await opts.afterChunk();
      opts.onProgress?.({ file: src.name, fileIndex, files, bytes: summary.bytes, totalBytes: src.size, lines: st.framer?.count ?? 0 });
    } catch (e) {
      if (!cf.failure) cf.failure = { e };
      throw e;
    }
  };

  let complete = false;
  try {
    for await (let chunk of src.stream as AsyncIterable<Buffer>) {
      if (skip > 0) {
        // compressed input resumed at an offset: the decompressed bytes before it are the prologue
        const k = Math.min(skip, chunk.length);
        const part = chunk.subarray(0, k);
        fpFeed(part);
        if (prologueLen < HEAD_SIZE) { const p = Buffer.from(part.subarray(0, HEAD_SIZE - prologueLen)); prologueParts.push(p); prologueLen += p.length; }
        skip -= k;
        chunk = chunk.subarray(k);
        if (chunk.length === 0) continue;
      }
      if (fpLen < FINGERPRINT_BYTES) fpFeed(chunk);
      summary.bytes += chunk.length;
      if (!decoder) {
        enc = sniffEncoding(prologueLen ? Buffer.concat([...prologueParts, chunk.subarray(0, 512)]) : chunk);
        const bom = src.startOffset > 0 || prologueLen ? 0 : enc.bomLength;
        decoder = new TextDecoderState(enc.encoding, bom);
        summary.encoding = enc.encoding + (enc.bomLength ? ' (BOM)' : '');
        bytePath = enc.encoding === 'utf-8';
        bomToSkip = bytePath ? bom : 0;
      }
      const nl = lastNewline(chunk, enc!.encoding, pos, prevByte);
      if (nl >= 0) lastNl = nl;
      prevByte = chunk[chunk.length - 1]!;
      pos += chunk.length;
      if (!st.framer) {
        if (bytePath) { headBufs.push(Buffer.from(chunk)); headBytes += chunk.length; if (headBytes + prologueLen < HEAD_SIZE) continue; }
        else { head += decoder.write(chunk); if (head.length < HEAD_SIZE) continue; }
        if (!startWithHead(false)) { failed = true; break; } // rejected: stop reading (and decompressing) now
      } else feed(bytePath ? null : decoder.write(chunk), bytePath ? chunk : null);
      if (cf.failure) throw cf.failure.e; // a parser swallowed it
      await callConsumer();
    }
    if (skip > 0) {
      summary.error = `input ends before its start offset ${src.startOffset} (truncated or replaced?)`;
    } else if (decoder && !failed) {
      if (!st.framer) startWithHead(true);
      else if (!bytePath) { const tail = decoder.end(); if (tail) st.framer.push(tail); }
      complete = true;
    } else if (!decoder && !failed) {
      if (src.startOffset === 0) summary.notes['empty'] = 1; // (a resumed read with nothing new is not an empty input)
      complete = true;
    }
  } catch (e) {
    if (cf.failure) throw consumerError(cf.failure.e, src.name);
    const code = (e as NodeJS.ErrnoException | null)?.code;
    const where = st.framer ? ` after line ${st.framer.count}` : '';
    summary.error = src.compressed && typeof code === 'string' && code.startsWith('Z_')
      ? `truncated or corrupt gzip data${where}: ${escapeText(errorMessage(e))}`
      : `read error${where}: ${escapeText(errorMessage(e))}`;
    st.framer?.abort?.();
  }
  const f = st.framer;
  try {
    if (f) {
      const hold = opts.holdPartialLastLine === true && complete;
      f.end(hold);
      if (st.parser?.end) { try { st.parser.end(); } catch (e) { parserError(e, f.count); } }
      summary.lines = f.count;
    }
    if (cf.failure) throw cf.failure.e;
    await callConsumer();
  } catch (e) {
    throw consumerError(cf.failure ? cf.failure.e : e, src.name);
  }
  summary.skipped = [...skips.values()];
  if (fpLen > 0 || complete) {
    const h = fingerprintOf(fp.length === 1 ? fp[0]! : Buffer.concat(fp));
    summary.fingerprint = h.fingerprint;
    summary.fingerprintBytes = h.fingerprintBytes;
  }
  if (complete && summary.error === null) summary.endOffset = opts.holdPartialLastLine === true && st.framer ? lastNl : pos;
  return summary;
}

function sizeText(s: InputSummary): string {
  if (s.size !== null && !s.compressed) return `${s.size} bytes`;
  return `${s.bytes} bytes read`;
}

/**
 * Content offset just after the last newline in `chunk` (which starts at content offset `pos`), or -1.
 * UTF-16: the newline is the code unit 0x000A at an even offset. `prevByte` is the byte before the chunk.
 */
function lastNewline(chunk: Buffer, encoding: Encoding, pos: number, prevByte: number): number {
  if (encoding === 'utf-8') {
    const i = chunk.lastIndexOf(10);
    return i < 0 ? -1 : pos + i + 1;
  }
  for (let i = chunk.lastIndexOf(10); i >= 0; i = i > 0 ? chunk.lastIndexOf(10, i - 1) : -1) {
    const at = pos + i;
    if (encoding === 'utf-16le') {
      if (at % 2 === 0 && i + 1 < chunk.length && chunk[i + 1] === 0) return at + 2;
    } else if (at % 2 === 1 && (i > 0 ? chunk[i - 1] : prevByte) === 0) return at + 1;
  }
  return -1;
}

/** Malformed (flow-like but unreadable) lines across summaries — what --strict turns into an error. */
export function malformedCount(summaries: InputSummary[]): number {
  let n = 0;
  for (const s of summaries) for (const g of s.skipped) if (g.kind === 'malformed') n += g.count;
  return n;
}
