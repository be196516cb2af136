/**
 * Framing: decoded text → the units a parser consumes (lines, JSON records, XML <Event> elements).
 * Every framer bounds memory: a line longer than MAX_LINE is dropped (and reported) up to its newline.
 */
import { isAscii } from 'node:buffer';
import type { RecordParser, ParseSink } from '../../parsers/types.js';

export const MAX_LINE = 1 << 20; // 1 MiB
/** Default bound of one JSON record / CSV record (FWAUDIT_MAX_RECORD overrides it). */
export const MAX_RECORD = 16 << 20; // 16 MiB
/** Default bound of JSON nesting inside one record. */
export const MAX_DEPTH = 64;

export interface Framer {
  push(text: string): void;
  end(): void;
  /** Lines (or records) seen so far. */
  readonly count: number;
  /** Drop buffered partial input (after a read error: the last line is incomplete). */
  abort?(): void;
  /** UTF-8 bytes (the usual case): split without decoding whole chunks. */
  pushBytes?(buf: Buffer): void;
  /**
   * End of input. With `holdPartial`, a last line without its newline is neither parsed nor counted
   * (a growing log: it is read whole next time).
   */
  end(holdPartial?: boolean): void;
}

/**
 * Splits input into lines (LF or CRLF); NULs removed; calls onLine with 1-based line numbers.
 * UTF-8 input arrives as bytes (`pushBytes`): lines are found with Buffer.indexOf and each becomes
 * its own flat string (latin1 copy for all-ASCII chunks, UTF-8 decode otherwise; a newline byte never
 * occurs inside a UTF-8 sequence). Parsers scan flat strings about 1.5× faster than slices of a chunk
 * string. UTF-16 input arrives decoded (`push`).
 */
export class LineFramer implements Framer {
  private rest = '';
  private restBytes: Buffer | null = null;
  private lineNo = 0;
  private discarding = false;
  /**
   * With `onBytes`, UTF-8 lines reach it as a byte range of the chunk (CR and NULs removed, no newline;
   * the range is only valid during the call) and no string is made per line; UTF-16 input (`push`)
   * still reaches `onLine` as text.
   */
  constructor(
    private readonly onLine: (line: string, lineNo: number) => void,
    private readonly sink: ParseSink,
    private readonly maxLine: number = MAX_LINE,
    private readonly onBytes: LineBytesFn | null = null,
  ) {}
  get count(): number { return this.lineNo; }

  pushBytes(buf: Buffer): void {
    const hasNul = buf.indexOf(0) >= 0;
    const ascii = this.onBytes !== null && !hasNul ? false : isAscii(buf); // only read by the text path
    const onLine = this.onLine;
    let pos = 0;
    if (this.restBytes !== null || this.discarding) {
      // finish the line carried over from the previous chunk
      const nl = buf.indexOf(10);
      if (nl < 0) { this.carry(buf, 0); return; }
      const lineNo = ++this.lineNo;
      if (this.discarding) this.discarding = false;
      else {
        const whole = Buffer.concat([this.restBytes!, buf.subarray(0, nl)]);
        this.restBytes = null;
        this.emit(whole, 0, whole.length, isAscii(whole), whole.indexOf(0) >= 0, lineNo);
      }
      pos = nl + 1;
    }
    const onBytes = this.onBytes;
    // The chunk's last whole line is handed over from a copy (see LineBytesFn: the line before the next
    // chunk's first line must outlive this chunk, whose buffer the reader may reuse).
    let nl = buf.indexOf(10, pos);
    if (onBytes !== null && !hasNul) { // (a chunk with NUL: line by line through emit)
      while (nl >= 0) {
        const next = buf.indexOf(10, nl + 1);
        const e = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl;
        if (next >= 0) onBytes(buf, pos, e, ++this.lineNo);
        else { const c = Buffer.from(buf.subarray(pos, e)); onBytes(c, 0, c.length, ++this.lineNo); }
        pos = nl + 1;
        nl = next;
      }
    } else {
      while (nl >= 0) {
        const next = buf.indexOf(10, nl + 1);
        if (next >= 0 || onBytes === null) this.emit(buf, pos, nl, ascii, hasNul, ++this.lineNo);
        else { const c = Buffer.from(buf.subarray(pos, nl)); this.emit(c, 0, c.length, ascii, hasNul, ++this.lineNo); }
        pos = nl + 1;
        nl = next;
      }
    }
    if (pos < buf.length) this.carry(buf, pos);
  }

  private carry(buf: Buffer, pos: number): void {
    if (this.discarding) return;
    const have = this.restBytes ? this.restBytes.length : 0;
    if (have + buf.length - pos > this.maxLine) {
      this.discarding = true;
      this.restBytes = null;
      this.sink.skip(`line longer than ${this.maxLine} bytes (dropped)`, this.lineNo + 1, 'malformed');
      return;
    }
    const part = Buffer.from(buf.subarray(pos)); // copy: the read buffer may be reused
    this.restBytes = this.restBytes ? Buffer.concat([this.restBytes, part]) : part;
  }

  /** One line b[start, end) (end at its newline): to `onBytes` (NULs removed first), else as text. */
  private emit(b: Buffer, start: number, end: number, ascii: boolean, hasNul: boolean, lineNo: number): void {
    const onBytes = this.onBytes;
    if (onBytes === null) { this.onLine(this.decode(b, start, end, ascii, hasNul), lineNo); return; }
    if (hasNul && b.subarray(start, end).indexOf(0) >= 0) {
      const c = Buffer.allocUnsafe(end - start);
      let n = 0;
      for (let i = start; i < end; i++) if (b[i] !== 0) c[n++] = b[i]!;
      b = c; start = 0; end = n;
    }
    onBytes(b, start, end > start && b[end - 1] === 13 ? end - 1 : end, lineNo);
  }

  private decode(b: Buffer, start: number, end: number, ascii: boolean, hasNul: boolean): string {
    if (end > start && b[end - 1] === 13) end--;
    const line = b.toString(ascii ? 'latin1' : 'utf8', start, end);
    return hasNul && line.indexOf('\0') >= 0 ? line.replace(/\0+/g, '') : line;
  }

  push(chunk: string): void {
    if (chunk.indexOf('\0') >= 0) chunk = chunk.replace(/\0+/g, '');
    let s = this.rest.length ? this.rest + chunk : chunk;
    this.rest = '';
    let pos = 0;
    const onLine = this.onLine;
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0) break;
      const lineNo = ++this.lineNo;
      if (this.discarding) {
        this.discarding = false;
      } else {
        let end = nl;
        if (end > pos && s.charCodeAt(end - 1) === 13) end--;
        onLine(s.slice(pos, end), lineNo);
      }
      pos = nl + 1;
    }
    if (pos < s.length) {
      if (this.discarding) { /* still inside an over-long line */ }
      else if (s.length - pos > this.maxLine) {
        this.discarding = true;
        this.sink.skip(`line longer than ${this.maxLine} bytes (dropped)`, this.lineNo + 1, 'malformed');
      } else this.rest = s.slice(pos);
    }
    s = '';
  }
  abort(): void { this.rest = ''; this.restBytes = null; this.discarding = false; }
  end(holdPartial = false): void {
    if (holdPartial) { this.abort(); return; }
    if (this.discarding) { this.lineNo++; this.discarding = false; return; }
    if (this.restBytes !== null) {
      const b = this.restBytes;
      this.restBytes = null;
      this.emit(b, 0, b.length, isAscii(b), b.indexOf(0) >= 0, ++this.lineNo);
      return;
    }
    if (this.rest.length) {
      let r = this.rest;
      this.rest = '';
      if (r.charCodeAt(r.length - 1) === 13) r = r.slice(0, -1);
      this.onLine(r, ++this.lineNo);
    }
  }
}


/**
 * A line as bytes: b[start, end) is valid during the call and, from a LineFramer, also during the next
 * call (until it returns) and after `end()`: the last whole line of every chunk is handed over from a
 * copy, and lines made of a carried part are their own buffers. So a parser may keep the last line by
 * reference until the next line shows whether it needs it (parsers/wrap.ts), without copying each line.
 */
export type LineBytesFn = (b: Buffer, start: number, end: number, lineNo: number) => void;

/** `isBlank` of the UTF-8 text b[start, end), without decoding unless a non-ASCII byte decides it. */
export function isBlankBytes(b: Buffer, start: number, end: number): boolean {
  if (end <= start) return true;
  const c = b[start]!;
  if (c !== 32 && c !== 9 && c !== 13 && c !== 12 && c !== 11) return false;
  for (let i = start + 1; i < end; i++) {
    const d = b[i]!;
    if (d >= 0x80) return isBlank(b.toString('utf8', start, end));
    if (d !== 32 && d !== 9 && d !== 13 && d !== 12 && d !== 11) return false;
  }
  return true;
}

/** Whether a line holds only whitespace (counted as blank, never as a flow or a skip). */
export function isBlank(line: string): boolean {
  const n = line.length;
  if (n === 0) return true;
  const c = line.charCodeAt(0);
  if (c !== 32 && c !== 9 && c !== 13 && c !== 12 && c !== 11) return false;
  return line.trim() === '';
}

/** Whether the JSON text nests deeper than `max` (brackets outside strings). Linear, no allocation. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
    } else if (c === 34) inStr = true;
    else if (c === 123 || c === 91) { if (++depth > max) return true; }
    else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export interface JsonLimits {
  /** Largest record in bytes. */
  maxRecordBytes: number;
  /** Deepest nesting inside one record. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: JsonLimits = { maxRecordBytes: MAX_RECORD, maxDepth: MAX_DEPTH };

/** JSON Lines: one JSON value per line; blank lines counted as blank; invalid lines reported. */
export class JsonLinesFramer implements Framer {
  private readonly lines: LineFramer;
  constructor(parser: RecordParser, sink: ParseSink, onBlank: () => void, limits: JsonLimits = DEFAULT_LIMITS) {
    this.lines = new LineFramer((line, lineNo) => {
      if (isBlank(line)) { onBlank(); return; }
      if (jsonDepthExceeds(line, limits.maxDepth)) {
        sink.skip(`JSON record nested deeper than ${limits.maxDepth} levels`, lineNo, 'malformed');
        return;
      }
      let v: unknown;
      // The engine's message quotes the input: keep it out of the reason (attacker text).
      try { v = JSON.parse(line); } catch { sink.skip('invalid JSON', lineNo, 'malformed'); return; }
      parser.record!(v, lineNo);
    }, sink, limits.maxRecordBytes);
  }
  get count(): number { return this.lines.count; }
  push(text: string): void { this.lines.push(text); }
  pushBytes(buf: Buffer): void { this.lines.pushBytes(buf); }
  abort(): void { this.lines.abort(); }
  end(holdPartial = false): void { this.lines.end(holdPartial); }
}

/** Keys whose array value holds the records of a wrapper object ({"events": [...]}, Azure {"records": [...]}, …). */
const WRAPPER_KEYS = new Set(['events', 'records', 'Records', 'data', 'result', 'results', 'logs', 'items', 'value', 'Events', 'hits']);

const enum M {
  /** Between top-level values. */
  Top,
  /** Inside a record array, between elements. */
  Array,
  /** Inside a record (captured, size- and depth-checked). */
  Record,
  /** Inside a scalar element of a record array / a top-level scalar. */
  Scalar,
  /** After a corrupt record: looking for the start of the next one. */
  Resync,
  /** Inside a wrapper object, outside its record array. */
  Wrapper,
  /** Invalid text at top level: skipped up to a line that starts a value. */
  Garbage,
}

const SP = 32, TAB = 9, LF = 10, CR = 13, QUOTE = 34, BSL = 92, COMMA = 44, COLON = 58;
const LBRACE = 123, RBRACE = 125, LBRACK = 91, RBRACK = 93;
const isWs = (c: number) => c === SP || c === LF || c === CR || c === TAB;
/** Bytes that may appear outside strings in JSON: whitespace, structure, numbers, true/false/null. */
const TOKEN = new Uint8Array(256);
for (const ch of ' \t\r\n{}[]:,"0123456789-+.eEtruefalsn') TOKEN[ch.charCodeAt(0)] = 1;

/**
 * Streaming JSON records: a top-level array (Get-WinEvent | ConvertTo-Json), a wrapper object whose
 * array member holds the records, one pretty-printed object, or several concatenated values.
 *
 * A byte scanner finds record boundaries (brackets outside strings) without building anything; each
 * record's bytes are then parsed alone with JSON.parse. So:
 * - a record larger than `maxRecordBytes` or nested deeper than `maxDepth` is dropped without being
 *   built (memory stays bounded whatever the input), counted as malformed;
 * - a corrupt record loses only itself (and never merges with its neighbour): the scanner checks each
 *   record's end against the layout learned from the first record (a pretty-printed record closes at
 *   its own indentation; a record is followed by `,` or `]`; a `{` at the record indentation starts a
 *   new record), rejects bytes that cannot appear outside a string and raw line breaks inside one, and
 *   resynchronises on the next record start (the first record's indentation in a pretty-printed array,
 *   `,{"firstKey":` in a compact one);
 * - everything is synchronous: no stream, no promise, nothing left pending.
 * Records are numbered by their ordinal (1, 2, …), as the line number of a JSON Lines record.
 */
export class JsonStreamFramer implements Framer {
  private mode = M.Top;
  private n = 0;
  private readonly maxBytes: number;
  private readonly maxDepth: number;
  // scanning state
  private inStr = false;
  private esc = false;
  private depth = 0;
  private readonly stack: Uint8Array;
  // line tracking outside strings
  private atLineStart = true;
  private lineWs = 0;
  // the record being captured
  private parts: Buffer[] = [];
  private size = 0;
  private overflow = false;
  private tooDeep = false;
  private topLevel = false;
  private recIndent = -1;
  private sawLf = false;
  // wrapper detection (keys at depth 1 of a top-level object)
  private keyAcc: string | null = null;
  private lastStr: string | null = null;
  private curKey: string | null = null;
  private strAtDepth1 = false;
  // the layout of the current context (one array, or the top level), learned from its first record
  private arrayReturn: M.Top | M.Wrapper = M.Top;
  private ctxIndent = -1;
  private ctxIndentKnown = false;
  private ctxMultiline: boolean | null = null;
  private ctxRecords = 0;
  private ctxFirst = 0;
  private arrayLineIndent = 0;
  private saved: { indent: number; known: boolean; multi: boolean | null; recs: number; sig: Buffer | null; first: number } | null = null;
  private sig: Buffer | null = null;
  /** A record whose end is confirmed only by the next token (`,` `]` or the next value). */
  private pending: { v: unknown; n: number } | null = null;
  /** A top-level array just ended (a `,` next means the `]` was a corrupt byte). */
  private afterArray = false;
  /** Since the last corruption no record was confirmed: record starts must look like the first record. */
  private recovering = false;
  /** Last byte outside strings and whitespace inside the current record. */
  private prevTok = 0;
  // resynchronisation
  private last1 = 0;
  private last2 = 0;
  private scalarTop = false;

  constructor(private readonly parser: RecordParser, private readonly sink: ParseSink, limits: JsonLimits = DEFAULT_LIMITS) {
    this.maxBytes = limits.maxRecordBytes;
    this.maxDepth = limits.maxDepth;
    this.stack = new Uint8Array(limits.maxDepth + 2);
  }
  get count(): number { return this.n; }

  push(text: string): void { this.pushBytes(Buffer.from(text, 'utf8')); }

  pushBytes(b: Buffer): void {
    const len = b.length;
    let i = 0;
    let recStart = this.mode === M.Record ? 0 : -1;
    let nextNl = -1;
    while (i < len) {
      switch (this.mode) {
        case M.Top: {
          const c = b[i]!;
          if (c === LF) { this.atLineStart = true; this.lineWs = 0; i++; break; }
          if (c === SP || c === TAB || c === CR) { if (this.atLineStart) this.lineWs++; i++; break; }
          const col = this.atLineStart ? this.lineWs : -1;
          this.atLineStart = false;
          if (c === COMMA && this.pending && !this.afterArray) {
            // `{…}, …` at top level: the record's end was not its end (a corrupt byte closed it early)
            this.reject(); this.toGarbage(); break;
          }
          if (c === COMMA && this.afterArray) {
            // `…} ] , {…`: a `]` in the middle of an array (a corrupt byte): the array goes on
            if (this.pending) this.flush();
            this.sink.skip('invalid JSON (misplaced ])', ++this.n, 'malformed');
            this.afterArray = false;
            this.mode = M.Array; this.arrayReturn = M.Top;
            if (this.saved) {
              const v = this.saved;
              this.ctxIndent = v.indent; this.ctxIndentKnown = v.known; this.ctxMultiline = v.multi; this.ctxRecords = v.recs; this.sig = v.sig; this.ctxFirst = v.first;
            }
            i++;
            break;
          }
          if (this.afterArray && c === LBRACE && col < 0 && this.saved !== null && this.saved.recs > 0 && this.saved.first === LBRACE) {
            // `…}]{…` on one line: the `]` replaced a `,`; the array goes on
            this.sink.skip('invalid JSON (misplaced ])', ++this.n, 'malformed');
            this.afterArray = false;
            this.mode = M.Array; this.arrayReturn = M.Top;
            const v = this.saved;
            this.ctxIndent = v.indent; this.ctxIndentKnown = v.known; this.ctxMultiline = v.multi; this.ctxRecords = v.recs; this.sig = v.sig; this.ctxFirst = v.first;
            break;
          }
          this.afterArray = false;
          if (this.pending) {
            // the next value confirms the record's end (a `[` after objects does not: debris)
            if (c === LBRACE || (c === LBRACK && this.ctxFirst !== LBRACE)) this.flush();
            else { this.reject(); this.toGarbage(); break; }
          }
          if (c === LBRACK && this.ctxFirst === LBRACE && this.ctxRecords > 0) {
            // top-level objects so far: a `[` is a stray byte, not an array of records
            this.sink.skip('invalid JSON at top level', ++this.n, 'malformed');
            i++;
            break;
          }
          if (c === LBRACK) { this.enterArray(M.Top); i++; break; }
          if (c === LBRACE) {
            if (!this.ctxIndentKnown) { this.ctxIndentKnown = true; this.ctxIndent = col; this.ctxFirst = c; this.ctxMultiline = peekMultiline(b, i + 1); }
            // judged by the layout of the records before it even when it does not begin its line
            this.startRecord(true, this.ctxIndent >= 0 ? this.ctxIndent : col); recStart = i; break;
          }
          if (c === QUOTE || c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110) {
            this.sink.skip('top-level JSON value is not an object or array', ++this.n, 'malformed');
            this.mode = M.Scalar; this.scalarTop = true; this.inStr = false; this.esc = false;
            break;
          }
          this.sink.skip('invalid JSON at top level', ++this.n, 'malformed');
          this.toGarbage();
          break;
        }
        case M.Garbage: {
          // silently up to a line that starts with `{` or `[` (the next concatenated value)
          if (this.atLineStart && (b[i] === LBRACE || b[i] === LBRACK) && (this.sig === null || this.sigAt(b, i, true))) { this.mode = M.Top; break; }
          const nl = b.indexOf(LF, i);
          if (nl < 0) { this.atLineStart = false; i = len; break; }
          i = nl + 1;
          this.atLineStart = true; this.lineWs = 0;
          break;
        }
        case M.Array: {
          const c = b[i]!;
          if (c === LF) { this.atLineStart = true; this.lineWs = 0; i++; break; }
          if (c === SP || c === TAB || c === CR) { if (this.atLineStart) this.lineWs++; i++; break; }
          const atStart = this.atLineStart, ws = this.lineWs;
          this.atLineStart = false;
          if (this.pending) {
            if (c === COMMA) { this.flush(); i++; break; }
            if (c === RBRACK && this.arrayEndOk(atStart, ws, b, i)) { this.flush(); i++; this.leaveArray(); break; }
            this.reject();
            this.toResync();
            break;
          }
          if (c === COMMA) { i++; break; }
          if (c === RBRACK) {
            if (this.arrayEndOk(atStart, ws, b, i)) { i++; this.leaveArray(); }
            else { this.sink.skip('invalid JSON (misplaced ])', ++this.n, 'malformed'); this.toResync(); }
            break;
          }
          if (c === LBRACE || c === LBRACK) {
            const col = atStart ? ws : -1;
            if (!this.ctxIndentKnown) {
              this.ctxIndentKnown = true; this.ctxIndent = col; this.ctxFirst = c; this.ctxMultiline = peekMultiline(b, i + 1);
            } else if (c !== this.ctxFirst || (this.ctxIndent >= 0 && col !== this.ctxIndent) ||
              (this.recovering && this.sig !== null && !this.sigAt(b, i))) {
              // not where (or not what) the records of this array begin: debris of a corrupt record
              this.sink.skip('invalid JSON (unexpected text between records)', ++this.n, 'malformed');
              this.toResync();
              break;
            }
            this.startRecord(false, col); recStart = i; break;
          }
          if (this.ctxRecords === 0 && (c === QUOTE || c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110)) {
            this.sink.skip('JSON array element is not an object', ++this.n, 'malformed');
            this.mode = M.Scalar; this.scalarTop = false; this.inStr = false; this.esc = false;
            break;
          }
          // among records, anything else is the rest of a corrupt one
          this.sink.skip('invalid JSON (unexpected text between records)', ++this.n, 'malformed');
          this.toResync();
          break;
        }
        case M.Scalar: {
          // up to the next ',' or ']' (array element) or whitespace (top level), strings skipped
          if (this.inStr) {
            if (nextNl < i) nextNl = indexOrLen(b, LF, i);
            const e = this.stringEnd(b, i, nextNl);
            if (e === -2) { this.inStr = false; if (this.scalarTop) this.toGarbage(); else this.toResync(); i = nextNl; break; }
            if (e < 0) { i = len; break; }
            i = e; this.inStr = false; break;
          }
          const c = b[i]!;
          if (c === QUOTE) { this.inStr = true; i++; break; }
          if (this.scalarTop ? isWs(c) : c === COMMA) { this.mode = this.scalarTop ? M.Top : M.Array; this.atLineStart = c === LF; this.lineWs = 0; i++; break; }
          if (!this.scalarTop && c === RBRACK) { this.mode = M.Array; break; }
          i++;
          break;
        }
        case M.Record:
        case M.Wrapper: {
          const capturing = this.mode === M.Record;
          if (this.inStr) {
            if (nextNl < i) nextNl = indexOrLen(b, LF, i);
            const from = i;
            const e = this.stringEnd(b, i, nextNl);
            if (e === -2) { // a raw newline inside a string: the record is corrupt
              this.corrupt(capturing ? 'invalid JSON (line break inside a string)' : null);
              recStart = -1; i = nextNl; break;
            }
            if (this.strAtDepth1) this.trackKey(b, from, e < 0 ? len : e - 1);
            if (e < 0) { i = len; break; }
            this.inStr = false;
            if (this.strAtDepth1) { this.lastStr = this.keyAcc; this.keyAcc = null; this.strAtDepth1 = false; }
            i = e;
            break;
          }
          const c = b[i]!;
          if (c === LF) { this.atLineStart = true; this.lineWs = 0; this.sawLf = true; i++; break; }
          if (c === SP || c === TAB || c === CR) { if (this.atLineStart) this.lineWs++; i++; break; }
          const atStart = this.atLineStart, ws = this.lineWs;
          this.atLineStart = false;
          if (TOKEN[c] === 0) { // cannot appear outside a string: a string boundary was lost
            this.corrupt(capturing ? 'invalid JSON (unexpected character)' : null);
            recStart = -1;
            break;
          }
          const layout = capturing && this.ctxMultiline !== null && this.recIndent >= 0 && this.recIndent === this.ctxIndent;
          if (c === LBRACE && capturing && this.depth >= 1 && (
            (layout && atStart && ws === this.recIndent && (this.sig === null || this.ctxMultiline === true || this.sigAt(b, i))) ||
            (this.sig !== null && this.prevTok === COMMA && !this.topLevel && this.sigAt(b, i)))) {
            // the next record begins here (a `{` at the record indentation, or `,{"firstKey":` in a
            // compact array): this one never closed
            this.sink.skip('invalid JSON (record not closed before the next one)', ++this.n, 'malformed');
            this.startRecord(this.topLevel, atStart ? ws : -1);
            recStart = i;
            break;
          }
          this.prevTok = c;
          i++;
          if (c === QUOTE) {
            this.inStr = true;
            this.strAtDepth1 = this.topLevel && this.depth === 1;
            if (this.strAtDepth1) this.keyAcc = '';
          } else if (c === LBRACE || c === LBRACK) {
            if (c === LBRACK && this.topLevel && this.depth === 1 && this.curKey !== null && WRAPPER_KEYS.has(this.curKey)) {
              // {"records": [ … ]}: the array's elements are the records; the rest of the object is skipped.
              this.parts = []; this.size = 0; this.overflow = false; recStart = -1;
              this.curKey = null;
              this.mode = M.Wrapper;
              this.enterArray(M.Wrapper);
              break;
            }
            const d = this.depth++;
            if (d < this.stack.length) this.stack[d] = c;
            if (this.depth > this.maxDepth) this.tooDeep = true;
          } else if (c === RBRACE || c === RBRACK) {
            const d = --this.depth;
            if (d < 0 || (d < this.stack.length && this.stack[d] !== c - 2)) {
              this.corrupt(capturing ? 'invalid JSON (mismatched brackets)' : null);
              this.last1 = c; // a compact array may resume right after this bracket
              recStart = -1;
              break;
            }
            if (d === 0) {
              if (!capturing) { this.mode = M.Top; break; }
              if (layout && this.ctxMultiline && !(atStart && ws === this.recIndent)) {
                // a pretty-printed record closes at its own indentation; elsewhere its end was lost
                this.corrupt('invalid JSON (record closed early)');
                recStart = -1;
                break;
              }
              this.finishRecord(b, recStart, i);
              recStart = -1;
              break;
            }
          } else if (this.depth === 1) {
            if (c === COLON) {
              if (this.topLevel) this.curKey = this.lastStr;
              if (this.sig === null && this.ctxRecords === 0 && capturing && recStart >= 0 && this.size === 0 && !this.overflow && i - recStart <= 64) {
                // `{"firstKey":` of the first record: how the records of this context begin
                const pre = b.subarray(recStart, i);
                if (pre[0] === LBRACE && pre[1] === QUOTE && pre.indexOf(LF) < 0 && pre.indexOf(SP) < 0) this.sig = Buffer.from(pre);
              }
            } else if (c === COMMA && this.topLevel) this.curKey = null;
          }
          break;
        }
        case M.Resync: {
          i = this.resync(b, i);
          if ((this.mode as M) === M.Record) recStart = i;
          break;
        }
      }
    }
    if (this.mode === M.Record && recStart >= 0) this.capture(b, recStart, len);
  }

  /** After a string's opening quote at i: index after its closing quote, -1 if it goes on in the next chunk, -2 on a raw newline. */
  private stringEnd(b: Buffer, i: number, nextNl: number): number {
    if (this.esc) { this.esc = false; i++; }
    for (;;) {
      const q = b.indexOf(QUOTE, i);
      const end = q < 0 ? b.length : q;
      if (nextNl < end) return -2;
      if (q < 0) {
        let k = 0;
        for (let j = b.length - 1; j >= i && b[j] === BSL; j--) k++;
        this.esc = (k & 1) === 1;
        return -1;
      }
      let k = 0;
      for (let j = q - 1; j >= i && b[j] === BSL; j--) k++;
      if ((k & 1) === 0) return q + 1;
      i = q + 1;
    }
  }

  private trackKey(b: Buffer, from: number, to: number): void {
    if (this.keyAcc === null) return;
    if (this.keyAcc.length + (to - from) > 32) { this.keyAcc = null; return; }
    this.keyAcc += b.toString('latin1', from, to);
  }

  private startRecord(topLevel: boolean, col: number): void {
    this.mode = M.Record;
    this.topLevel = topLevel;
    this.recIndent = col;
    this.sawLf = false;
    this.prevTok = 0;
    this.depth = 0; this.inStr = false; this.esc = false;
    this.parts = []; this.size = 0; this.overflow = false; this.tooDeep = false;
    this.curKey = null; this.lastStr = null; this.keyAcc = null; this.strAtDepth1 = false;
  }

  private resetContext(): void {
    this.ctxIndent = -1; this.ctxIndentKnown = false; this.ctxMultiline = null; this.ctxRecords = 0; this.sig = null; this.ctxFirst = 0;
  }

  private enterArray(ret: M.Top | M.Wrapper): void {
    this.mode = M.Array;
    this.arrayReturn = ret;
    this.arrayLineIndent = this.lineWs; // a pretty-printed `]` comes back to the indentation of the `[` line
    this.resetContext();
  }

  private leaveArray(): void {
    this.saved = { indent: this.ctxIndent, known: this.ctxIndentKnown, multi: this.ctxMultiline, recs: this.ctxRecords, sig: this.sig, first: this.ctxFirst };
    this.resetContext();
    if (this.arrayReturn === M.Wrapper) {
      // back inside the wrapper object at depth 1, after its array value
      this.mode = M.Wrapper; this.topLevel = true; this.depth = 1; this.stack[0] = LBRACE; this.inStr = false;
      this.curKey = null; this.lastStr = null;
    } else { this.mode = M.Top; this.afterArray = true; }
  }

  private toGarbage(): void { this.mode = M.Garbage; this.atLineStart = false; this.parts = []; this.size = 0; }

  private toResync(): void {
    this.recovering = true;
    this.mode = M.Resync; this.parts = []; this.size = 0; this.inStr = false; this.esc = false;
    this.last1 = 0; this.last2 = 0;
  }

  private capture(b: Buffer, from: number, to: number): void {
    if (this.overflow || this.tooDeep || to <= from) return;
    this.size += to - from;
    if (this.size > this.maxBytes) { this.overflow = true; this.parts = []; return; }
    this.parts.push(Buffer.from(b.subarray(from, to))); // copy: the read buffer may be reused
  }

  private finishRecord(b: Buffer, recStart: number, end: number): void {
    const lineNo = ++this.n;
    const tooBig = this.overflow || this.size + (recStart >= 0 ? end - recStart : 0) > this.maxBytes;
    const parts = this.parts;
    this.parts = [];
    this.mode = this.topLevel ? M.Top : M.Array;
    this.ctxRecords++;
    if (tooBig) { this.size = 0; this.sink.skip(`JSON record larger than ${this.maxBytes} bytes (dropped)`, lineNo, 'malformed'); return; }
    if (this.tooDeep) { this.size = 0; this.sink.skip(`JSON record nested deeper than ${this.maxDepth} levels`, lineNo, 'malformed'); return; }
    this.size = 0;
    let text: string;
    if (parts.length === 0) text = b.toString('utf8', recStart, end);
    else {
      if (recStart >= 0) parts.push(b.subarray(recStart, end));
      text = Buffer.concat(parts).toString('utf8');
    }
    let v: unknown;
    try { v = JSON.parse(text); } catch {
      // the record's end is not to be trusted either: look for the next record start
      this.sink.skip('invalid JSON record', lineNo, 'malformed');
      if (this.topLevel) this.toGarbage(); else this.toResync();
      this.recovering = true;
      return;
    }
    if (this.ctxMultiline === null) this.ctxMultiline = this.sawLf; // learned from a good record only
    if (this.sig === null && !this.topLevel && this.ctxRecords === 1) {
      // compact resynchronisation key: `{"firstKey":` of the first good record
      const k = text.indexOf('":');
      if (text.startsWith('{"') && k > 0 && k < 64) this.sig = Buffer.from(text.slice(0, k + 2));
    }
    this.pending = { v, n: lineNo };
  }

  /** The pending record's end is confirmed: hand it to the parser. */
  private flush(): void {
    const p = this.pending!;
    this.pending = null;
    this.recovering = false;
    this.parser.record!(p.v, p.n);
  }

  /** What followed the pending record shows that its end was not its end: it is malformed. */
  private reject(): void {
    const p = this.pending!;
    this.pending = null;
    this.recovering = true;
    this.sink.skip('invalid JSON (unexpected text after a record)', p.n, 'malformed');
  }

  /** A corrupt record (reason) or a corrupt wrapper (reason null): count it and look for the next record. */
  private corrupt(reason: string | null): void {
    this.recovering = true;
    this.sink.skip(reason ?? 'invalid JSON', ++this.n, 'malformed');
    if ((this.mode === M.Record && this.topLevel) || this.mode === M.Wrapper) { this.toGarbage(); return; }
    this.toResync();
  }

  /** A `]` ends the array where the layout allows it (a pretty-printed array: left of the records). */
  private arrayEndOk(atStart: boolean, ws: number, b: Buffer, i: number): boolean {
    if (this.ctxMultiline === true && this.ctxIndent >= 0 && (!atStart || ws !== this.arrayLineIndent)) return false;
    return closesLine(b, i + 1);
  }

  /**
   * Looks for the next record start after a corrupt one. Pretty-printed (or one record per line): a
   * line whose first non-blank character is `{` at the first record's indentation (a line starting
   * with `]` further left ends the array). Compact: a `{` after `,` that begins like the first record
   * (`{"firstKey":`), else after `}` `,`. Returns the index of the record's `{` (mode Record) or the
   * end of the chunk.
   */
  private resync(b: Buffer, i: number): number {
    const len = b.length;
    const pretty = this.ctxIndent >= 0;
    for (; i < len; i++) {
      const c = b[i]!;
      if (pretty) {
        if (c === LF) { this.atLineStart = true; this.lineWs = 0; continue; }
        if (!this.atLineStart) continue;
        if (c === SP || c === TAB || c === CR) { this.lineWs++; continue; }
        this.atLineStart = false;
        if (c === LBRACE && this.lineWs === this.ctxIndent) { this.startRecord(false, this.lineWs); return i; }
        if (c === RBRACK && this.lineWs === this.arrayLineIndent && this.lineWs < this.ctxIndent && closesLine(b, i + 1)) { this.leaveArray(); return i + 1; }
        continue;
      }
      if (isWs(c)) continue;
      if (c === LBRACE && this.last1 === COMMA && (this.sig ? this.sigAt(b, i) : this.last2 === RBRACE)) {
        this.startRecord(false, -1);
        return i;
      }
      this.last2 = this.last1; this.last1 = c;
    }
    return len;
  }

  /** `{"firstKey":` at i, whole in this chunk (or, with `cutOk`, as much of it as the chunk holds). */
  private sigAt(b: Buffer, i: number, cutOk = false): boolean {
    const sig = this.sig!;
    const n = Math.min(sig.length, b.length - i);
    if (n < sig.length && !cutOk) return false;
    return b.compare(sig, 0, n, i, i + n) === 0;
  }

  abort(): void { this.parts = []; this.size = 0; this.pending = null; }

  end(): void {
    if (this.pending) this.flush();
    if (this.mode === M.Record || this.mode === M.Wrapper || this.mode === M.Array || (this.mode === M.Scalar && !this.scalarTop)) {
      this.sink.skip(`JSON ends early (truncated) after record ${this.n}`, ++this.n, 'malformed');
    }
    this.parts = []; this.mode = M.Top;
  }
}

/** Whether nothing but `,` `}` `]` follows on the line from `j` (or the chunk ends): what may follow a `]` that ends an array. */
function closesLine(b: Buffer, j: number): boolean {
  for (; j < b.length; j++) {
    const c = b[j]!;
    if (c === LF) return true;
    if (c === SP || c === TAB || c === CR) continue;
    return c === COMMA || c === RBRACE || c === RBRACK;
  }
  return true;
}

/** Whether a record opened just before `i` continues on the next line (pretty-printed); null if unknown here. */
function peekMultiline(b: Buffer, i: number): boolean | null {
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (c === LF) return true;
    if (c !== SP && c !== TAB && c !== CR) return false;
  }
  return null;
}

function indexOrLen(b: Buffer, byte: number, from: number): number {
  const k = b.indexOf(byte, from);
  return k < 0 ? b.length : k;
}

/**
 * Hands each <Event …>…</Event> element (wevtutil / Event Viewer XML) to the parser. An event ends at
 * its own `</Event>`; one that is still open when the next `<Event` starts is malformed and the new
 * one is read (a lost end tag never merges two events). Units (`count`) are events.
 */
export class XmlEventFramer implements Framer {
  private buf = '';
  private startLine = 0;
  private readonly lines: LineFramer;
  private events = 0;
  constructor(parser: RecordParser, private readonly sink: ParseSink, maxEvent = MAX_LINE) {
    this.lines = new LineFramer((line, lineNo) => {
      let rest = line;
      for (;;) {
        if (!this.buf) {
          const s = findEventStart(rest, 0);
          if (s < 0) return;
          this.startLine = lineNo;
          rest = s === 0 ? rest : rest.slice(s);
          const e = rest.indexOf('</Event>');
          const next = findEventStart(rest, 1);
          if (next >= 0 && (e < 0 || next < e)) {
            this.unclosed();
            rest = rest.slice(next);
            continue;
          }
          if (e < 0) { this.buf = rest; this.checkSize(maxEvent); return; }
          this.emit(parser, rest.slice(0, e + 8));
          rest = rest.slice(e + 8);
          continue;
        }
        const e = rest.indexOf('</Event>');
        const next = findEventStart(rest, 0);
        if (next >= 0 && (e < 0 || next < e)) {
          this.unclosed();
          rest = rest.slice(next);
          continue;
        }
        if (e < 0) {
          this.buf += '\n' + rest;
          this.checkSize(maxEvent);
          return;
        }
        const ev = `${this.buf}\n${rest.slice(0, e + 8)}`;
        this.buf = '';
        this.emit(parser, ev);
        rest = rest.slice(e + 8);
      }
    }, sink);
  }
  private emit(parser: RecordParser, ev: string): void {
    this.buf = '';
    this.events++;
    parser.line!(ev, this.startLine);
  }
  private unclosed(): void {
    this.buf = '';
    this.events++;
    this.sink.skip('XML event not closed before the next <Event>', this.startLine, 'malformed');
  }
  private checkSize(max: number): void {
    if (this.buf.length > max) {
      this.events++;
      this.sink.skip(`XML event larger than ${max} bytes (dropped)`, this.startLine, 'malformed');
      this.buf = '';
    }
  }
  get count(): number { return this.events; }
  push(text: string): void { this.lines.push(text); }
  pushBytes(buf: Buffer): void { this.lines.pushBytes(buf); }
  abort(): void { this.lines.abort(); this.buf = ''; }
  end(holdPartial = false): void {
    this.lines.end(holdPartial);
    if (this.buf) { this.events++; this.sink.skip('XML event not closed (truncated file?)', this.startLine, 'malformed'); this.buf = ''; }
  }
}

/** Index of the next `<Event` followed by whitespace or `>` at or after `from` (not <EventData>, <EventID>). */
function findEventStart(s: string, from: number): number {
  for (let i = s.indexOf('<Event', from); i >= 0; i = s.indexOf('<Event', i + 1)) {
    const c = s.charCodeAt(i + 6);
    if (c === 62 || c === 32 || c === 9 || c === 13 || c === 10 || Number.isNaN(c)) return i;
  }
  return -1;
}

/**
 * CSV whose quoted fields may hold newlines (the PAN-OS web-UI / Panorama export): physical lines are
 * joined into one logical record while a quoted field is open (RFC 4180: a quote opens a field only at
 * its start; `""` inside is a literal quote). Each record goes to `parser.line(text, firstLineNo)`
 * with the newlines kept. A record larger than `maxRecord` bytes is malformed and dropped; reading goes
 * on at the next line. Units (`count`) are records; blank records are counted by `onBlank`.
 */
export class CsvFramer implements Framer {
  private readonly lines: LineFramer;
  private buf = '';
  private open = false;
  private first = 0;
  private records = 0;
  private dropping = false;
  constructor(parser: RecordParser, private readonly sink: ParseSink, onBlank: () => void, maxRecord = MAX_LINE) {
    this.lines = new LineFramer((line, lineNo) => {
      if (!this.open) {
        const st = line.indexOf('"') < 0 ? 0 : quoteState(line, 0);
        if (st === 0) {
          this.records++;
          if (isBlank(line)) onBlank(); else parser.line!(line, lineNo);
          return;
        }
        this.open = true; this.first = lineNo; this.buf = line; this.dropping = false;
        return;
      }
      // continuation of an open quoted field
      const st = quoteState(line, 1);
      if (!this.dropping) {
        if (this.buf.length + line.length + 1 > maxRecord) {
          this.dropping = true; this.buf = '';
          this.sink.skip(`CSV record larger than ${maxRecord} bytes (unclosed quote?)`, this.first, 'malformed');
        } else this.buf += '\n' + line;
      }
      if (st === 0) {
        this.open = false;
        this.records++;
        if (!this.dropping) { const r = this.buf; this.buf = ''; parser.line!(r, this.first); }
        this.dropping = false;
      }
    }, sink, maxRecord);
  }
  get count(): number { return this.records; }
  push(text: string): void { this.lines.push(text); }
  pushBytes(buf: Buffer): void { this.lines.pushBytes(buf); }
  abort(): void { this.lines.abort(); this.buf = ''; this.open = false; }
  end(holdPartial = false): void {
    this.lines.end(holdPartial);
    if (this.open) {
      this.records++;
      this.sink.skip('CSV record ends inside a quoted field (truncated?)', this.first, 'malformed');
      this.open = false; this.buf = '';
    }
  }
}

/**
 * Scans one physical line of CSV starting in state `s` (0: at a field start or inside an unquoted
 * field, 1: inside a quoted field) and returns the state at its end. Linear.
 */
function quoteState(line: string, s: number): 0 | 1 {
  let inQ = s === 1;
  let fieldStart = s === 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inQ) {
      if (c === 34) {
        if (line.charCodeAt(i + 1) === 34) i++;
        else inQ = false;
      }
    } else if (c === 44) fieldStart = true;
    else {
      if (c === 34 && fieldStart) inQ = true;
      fieldStart = false;
    }
  }
  return inQ ? 1 : 0;
}
