/**
 * Framing: decoded text → the units a parser consumes (lines, JSON records, XML <Event> elements).
 * Every framer bounds memory: a line longer than MAX_LINE is dropped (and reported) up to its newline.
 */
import { createRequire } from 'node:module';
import { isAscii } from 'node:buffer';
import type { RecordParser, ParseSink } from '../../parsers/types.js';

const require = createRequire(import.meta.url);
// stream-json is CommonJS; its token parser and assembler stream arrays without loading them whole.
const { parser: jsonParser } = require('stream-json') as typeof import('stream-json');
const Assembler = require('stream-json/Assembler.js') as typeof import('stream-json/Assembler.js');

export const MAX_LINE = 1 << 20; // 1 MiB

export interface Framer {
  push(text: string): void;
  end(): void;
  /** Lines (or records) seen so far. */
  readonly count: number;
  /** Drop buffered partial input (after a read error: the last line is incomplete). */
  abort?(): void;
  /** UTF-8 bytes (the usual case): split without decoding whole chunks. */
  pushBytes?(buf: Buffer): void;
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
  constructor(
    private readonly onLine: (line: string, lineNo: number) => void,
    private readonly sink: ParseSink,
  ) {}
  get count(): number { return this.lineNo; }

  pushBytes(buf: Buffer): void {
    const ascii = isAscii(buf);
    const hasNul = buf.indexOf(0) >= 0;
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
        onLine(this.decode(whole, 0, whole.length, isAscii(whole), hasNul || whole.indexOf(0) >= 0), lineNo);
      }
      pos = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      onLine(this.decode(buf, pos, nl, ascii, hasNul), ++this.lineNo);
      pos = nl + 1;
    }
    if (pos < buf.length) this.carry(buf, pos);
  }

  private carry(buf: Buffer, pos: number): void {
    if (this.discarding) return;
    const have = this.restBytes ? this.restBytes.length : 0;
    if (have + buf.length - pos > MAX_LINE) {
      this.discarding = true;
      this.restBytes = null;
      this.sink.skip(`line longer than ${MAX_LINE} bytes (dropped)`, this.lineNo + 1, 'malformed');
      return;
    }
    const part = Buffer.from(buf.subarray(pos)); // copy: the read buffer may be reused
    this.restBytes = this.restBytes ? Buffer.concat([this.restBytes, part]) : part;
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
      else if (s.length - pos > MAX_LINE) {
        this.discarding = true;
        this.sink.skip(`line longer than ${MAX_LINE} bytes (dropped)`, this.lineNo + 1, 'malformed');
      } else this.rest = s.slice(pos);
    }
    s = '';
  }
  abort(): void { this.rest = ''; this.restBytes = null; this.discarding = false; }
  end(): void {
    if (this.discarding) { this.lineNo++; this.discarding = false; return; }
    if (this.restBytes !== null) {
      const b = this.restBytes;
      this.restBytes = null;
      this.onLine(this.decode(b, 0, b.length, isAscii(b), b.indexOf(0) >= 0), ++this.lineNo);
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

/** JSON Lines: one JSON value per line; blank lines ignored; invalid lines reported. */
export class JsonLinesFramer implements Framer {
  private readonly lines: LineFramer;
  constructor(parser: RecordParser, sink: ParseSink) {
    this.lines = new LineFramer((line, lineNo) => {
      const t = line.trim();
      if (t === '') return;
      let v: unknown;
      try { v = JSON.parse(t); } catch (e) {
        sink.skip(`invalid JSON (${(e as Error).message.replace(/ in JSON at.*$/, '')})`, lineNo, 'malformed');
        return;
      }
      parser.record!(v, lineNo);
    }, sink);
  }
  get count(): number { return this.lines.count; }
  push(text: string): void { this.lines.push(text); }
  pushBytes(buf: Buffer): void { this.lines.pushBytes(buf); }
  abort(): void { this.lines.abort(); }
  end(): void { this.lines.end(); }
}

/** Keys whose array value holds the records of a wrapper object ({"events": [...]}, Azure {"records": [...]}, …). */
const WRAPPER_KEYS = new Set(['events', 'records', 'Records', 'data', 'result', 'results', 'logs', 'items', 'value', 'Events', 'hits']);

interface Token { name: string; value?: unknown }
type Asm = InstanceType<typeof Assembler> & { done: boolean; current: unknown; [k: string]: unknown };

/**
 * Streaming JSON: a top-level array (Get-WinEvent | ConvertTo-Json), a wrapper object whose array
 * member holds the records, one pretty-printed object, or several concatenated values. Records are
 * numbered by their ordinal (stream-json reports no positions).
 */
export class JsonStreamFramer implements Framer {
  private readonly p = jsonParser({ jsonStreaming: true, streamValues: false });
  private depth = 0;
  private recordDepth = -1;       // depth at which array elements are records
  private top: Asm | null = null; // assembler of a top-level object (emitted whole unless it wraps records)
  private topWrapped = false;
  private rec: Asm | null = null;
  private n = 0;
  private pendingWrapperKey = false;
  private error: Error | null = null;
  constructor(private readonly parser: RecordParser, private readonly sink: ParseSink) {
    this.p.on('data', (t: Token) => this.token(t));
    this.p.on('error', (e: Error) => { this.error = e; });
  }
  get count(): number { return this.n; }
  private feed(asm: Asm, t: Token): void {
    const fn = asm[t.name] as ((v: unknown) => void) | undefined;
    if (typeof fn === 'function') fn.call(asm, t.value);
  }
  private token(t: Token): void {
    const opening = t.name === 'startObject' || t.name === 'startArray';
    const closing = t.name === 'endObject' || t.name === 'endArray';
    if (this.rec) {
      this.feed(this.rec, t);
      if (opening) this.depth++;
      if (closing) this.depth--;
      if (this.rec.done) { const v = this.rec.current; this.rec = null; this.parser.record!(v, ++this.n); }
      return;
    }
    if (opening && this.depth === this.recordDepth) {
      if (t.name === 'startObject' || t.name === 'startArray') {
        this.rec = new Assembler() as Asm;
        this.feed(this.rec, t);
        this.depth++;
        return;
      }
    }
    if (this.depth === this.recordDepth && !opening && !closing) {
      // scalar element inside a record array: not a record
      this.sink.skip('JSON array element is not an object', ++this.n, 'malformed');
      return;
    }
    if (this.depth === 0 && t.name === 'startArray') { this.depth = 1; this.recordDepth = 1; return; }
    if (this.depth === 0 && t.name === 'startObject') {
      this.top = new Assembler() as Asm; this.topWrapped = false; this.feed(this.top, t); this.depth = 1; return;
    }
    if (this.top) {
      if (this.depth === 1 && t.name === 'keyValue') this.pendingWrapperKey = WRAPPER_KEYS.has(String(t.value));
      else if (this.depth === 1 && t.name === 'startArray' && this.pendingWrapperKey) {
        this.pendingWrapperKey = false;
        this.topWrapped = true;
        this.feed(this.top, { name: 'nullValue', value: null });
        this.depth = 2; this.recordDepth = 2;
        return;
      } else if (this.depth === 1) this.pendingWrapperKey = false;
      if (this.depth === 2 && this.recordDepth === 2 && t.name === 'endArray') { this.depth = 1; this.recordDepth = -1; return; }
      this.feed(this.top, t);
      if (opening) this.depth++;
      if (closing) this.depth--;
      if (this.depth === 0) {
        const v = this.top.current;
        this.top = null;
        if (!this.topWrapped) this.parser.record!(v, ++this.n);
      }
      return;
    }
    if (this.depth === 1 && this.recordDepth === 1 && t.name === 'endArray') { this.depth = 0; this.recordDepth = -1; return; }
    if (this.depth === 0 && !opening && !closing) {
      this.sink.skip('top-level JSON value is not an object or array', ++this.n, 'malformed');
    }
  }
  push(text: string): void {
    if (this.error) return;
    this.p.write(text);
  }
  /** stream-json decodes UTF-8 itself (characters split across chunks included). */
  pushBytes(buf: Buffer): void {
    if (this.error) return;
    this.p.write(Buffer.from(buf));
  }
  async finish(): Promise<void> {
    if (!this.error) {
      await new Promise<void>((resolve) => { this.p.end(() => resolve()); });
    }
    if (this.error) this.sink.skip(`invalid JSON after record ${this.n}: ${this.error.message}`, this.n + 1, 'malformed');
    else if (this.depth !== 0 || this.rec) this.sink.skip(`JSON ends early (truncated) after record ${this.n}`, this.n + 1, 'malformed');
  }
  end(): void { /* use finish() */ }
}

/** Hands each <Event …>…</Event> element (from wevtutil / Event Viewer XML) to the parser. */
export class XmlEventFramer implements Framer {
  private buf = '';
  private startLine = 0;
  private readonly lines: LineFramer;
  private events = 0;
  constructor(parser: RecordParser, sink: ParseSink) {
    this.lines = new LineFramer((line, lineNo) => {
      let rest = line;
      for (;;) {
        if (!this.buf) {
          const s = rest.search(/<Event[\s>]/);
          if (s < 0) return;
          this.startLine = lineNo;
          rest = rest.slice(s);
        }
        const e = rest.indexOf('</Event>');
        if (e < 0) {
          this.buf += (this.buf ? '\n' : '') + rest;
          if (this.buf.length > MAX_LINE) { sink.skip('XML event larger than 1 MiB', this.startLine, 'malformed'); this.buf = ''; }
          return;
        }
        const piece = rest.slice(0, e + 8);
        const ev = this.buf ? `${this.buf}\n${piece}` : piece;
        this.buf = '';
        this.events++;
        parser.line!(ev, this.startLine);
        rest = rest.slice(e + 8);
      }
    }, sink);
    this.sink = sink;
  }
  private readonly sink: ParseSink;
  get count(): number { return this.lines.count; }
  push(text: string): void { this.lines.push(text); }
  pushBytes(buf: Buffer): void { this.lines.pushBytes(buf); }
  abort(): void { this.lines.abort(); this.buf = ''; }
  end(): void {
    this.lines.end();
    if (this.buf) { this.sink.skip('XML event not closed (truncated file?)', this.startLine, 'malformed'); this.buf = ''; }
  }
}
