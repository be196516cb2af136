/**
 * Lines wrapped by copy/paste (a terminal at 80 columns, a mail client at 72): one log record broken
 * into several physical lines. A line-format parser routes each line through a `WrapJoiner`, which holds
 * the result of the last line until the next one shows whether it continues it.
 *
 * A continuation is a non-blank line that does not start with a header the family recognises, gives no
 * flow on its own, and follows a line that did start with one. When the following header line (or the
 * end of a range) arrives, the held record's segments are joined two ways: without a separator (a
 * terminal breaks inside a token) and with one space (a mail client breaks at a space and the paste
 * lost it). The join is taken when exactly one of the two gives a valid flow, or both give the same
 * values, or (a format with a fixed column count) only one has exactly the layout's columns, or the
 * rows show a terminal's hard wrap (every row but the last of one width, seen twice: then no character
 * was lost and the join without separator is the record); and only when it changes what the first
 * line gave alone. When both give flows with different values,
 * a space may have been lost where a token was cut: the record is malformed, never a guess. When no
 * join gives a flow, every line keeps the result it has alone (as without this module).
 *
 * Every physical line stays one unit of the summary: the flow carries the first line's number, each
 * continuation is counted as a not-flow line under CONTINUATION (one reason for all, so that the
 * summary keeps one group; its example is the first such line).
 */
import type { Flow } from '../src/model/flow.js';
import type { ParseSink, SkipKind } from './types.js';

/** A skipped line or a note, as captured; a captured flow is the Flow object itself (no wrapper). */
class SkipEv {
  constructor(readonly reason: string, readonly line: number, readonly kind: SkipKind) {}
}
class NoteEv {
  constructor(readonly name: string, readonly n: number) {}
}
type Ev = Flow | SkipEv | NoteEv;
/** What one parse emitted: nothing, one event (the usual case: no array per line), or several in order. */
type Res = Ev | Ev[] | null;

function isFlow(e: Ev): e is Flow {
  return !(e instanceof SkipEv) && !(e instanceof NoteEv);
}

/** Records what a parser (behind its validation guard) emits, to be replayed or dropped. */
export class Capture implements ParseSink {
  private res: Res = null;
  private push(e: Ev): void {
    const r = this.res;
    if (r === null) this.res = e;
    else if (Array.isArray(r)) r.push(e);
    else this.res = [r, e];
  }
  flow(f: Flow): void { this.push(f); }
  skip(reason: string, line: number, kind: SkipKind): void { this.push(new SkipEv(reason, line, kind)); }
  note(name: string, n: number): void { this.push(new NoteEv(name, n)); }
  take(): Res {
    const r = this.res;
    this.res = null;
    return r;
  }
}

/**
 * Parses one line into the capture; returns true when the line starts with a header of the family.
 * With `replay`, the text is a joined record whose first segment was the last `pin`ned line: the
 * family reuses that line's header and layout state instead of reading it again (lines parsed since
 * may have moved stateful inference, e.g. the year of year-less syslog, or a `#Fields:` layout).
 */
export type ParseLine = (b: Buffer, start: number, end: number, lineNo: number, replay: boolean) => boolean;

/** Keeps the state of the line just parsed for a later replay; false when a join cannot start there. */
export type Pin = () => boolean;

const MAX_SEGMENTS = 8;
const MAX_BYTES = 16 * 1024;

/** The one flow of a result (notes aside), else null. */
function onlyFlow(r: Res): Flow | null {
  if (r === null) return null;
  if (!Array.isArray(r)) return isFlow(r) ? r : null;
  let f: Flow | null = null;
  for (const e of r) {
    if (e instanceof SkipEv) return null;
    if (isFlow(e)) { if (f !== null) return null; f = e; }
  }
  return f;
}

function hasFlow(r: Res): boolean {
  if (r === null) return false;
  if (!Array.isArray(r)) return isFlow(r);
  for (const e of r) if (isFlow(e)) return true;
  return false;
}

function sameValues(a: Flow, b: Flow): boolean {
  return a.ts === b.ts && a.action === b.action && a.raw_action === b.raw_action && a.transport === b.transport
    && a.src_ip === b.src_ip && a.src_port === b.src_port && a.dst_ip === b.dst_ip && a.dst_port === b.dst_port
    && a.direction === b.direction && a.device === b.device && a.rule === b.rule && a.app === b.app
    && a.bytes === b.bytes && a.packets === b.packets && a.end_reason === b.end_reason && a.host === b.host && a.url === b.url;
}

/** Whether `key` occurs in b[s, e) at the start of a token (after a space, or at s). Linear. */
function keyIn(b: Buffer, s: number, e: number, key: string): boolean {
  const n = key.length, c0 = key.charCodeAt(0);
  for (let i = s; i + n <= e; i++) {
    if (b[i] !== c0 || (i > s && b[i - 1] !== 32)) continue;
    let k = 1;
    while (k < n && b[i + k] === key.charCodeAt(k)) k++;
    if (k === n) return true;
  }
  return false;
}

function isBlank(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) { const c = b[i]; if (c !== 32 && c !== 9 && c !== 13) return false; }
  return true;
}

export class WrapJoiner {
  // The held record: its segments' bytes, line numbers and results. A record of one line holds its bytes
  // by reference (refB: the LineFramer keeps a line valid until the next line's call returns, and only
  // that call reads them); the bytes are copied into buf once a second line joins the record.
  private refB: Buffer | null = null;
  private refS = 0;
  private refE = 0;
  private buf = Buffer.allocUnsafe(1024);
  private len = 0;
  private n = 0;
  private readonly starts = new Int32Array(MAX_SEGMENTS);
  private readonly ends = new Int32Array(MAX_SEGMENTS);
  private readonly lines = new Float64Array(MAX_SEGMENTS);
  private readonly results: Res[] = new Array<Res>(MAX_SEGMENTS).fill(null);
  private header = false;

  /**
   * `keys`: tokens a record carries once (netfilter `SRC=`, `DST=`, …; pfirewall's action and path); a
   * line holding one (at a token start) that the held record already has starts another record (with a
   * damaged header), so it is no continuation.
   */
  constructor(private readonly cap: Capture, private readonly out: ParseSink, private readonly parse: ParseLine,
    private readonly pin: Pin, private readonly keys: readonly string[] = [],
    /** Whether the last parse matched the record layout exactly (a fixed column count): breaks a tie. */
    private readonly exact: (() => boolean) | null = null) {}

  private repeatsKey(b: Buffer, s: number, e: number): boolean {
    const r = this.refB;
    for (const k of this.keys) {
      if (keyIn(b, s, e, k) && (r !== null ? keyIn(r, this.refS, this.refE, k) : keyIn(this.buf, 0, this.len, k))) return true;
    }
    return false;
  }

  line(b: Buffer, s: number, e: number, lineNo: number): void {
    const header = this.parse(b, s, e, lineNo, false);
    const evs = this.cap.take();
    const n = this.n;
    if (n > 0) {
      if (!header && this.header && n < MAX_SEGMENTS && this.len + (e - s) <= MAX_BYTES && !hasFlow(evs) && !isBlank(b, s, e)
        && !this.repeatsKey(b, s, e)) {
        this.add(b, s, e, lineNo, evs);
        return;
      }
      this.flush();
    }
    if (isBlank(b, s, e)) { this.emit(evs); return; }
    this.header = header && this.pin();
    this.add(b, s, e, lineNo, evs);
  }

  /** Decides the held record (end of input or of a range of lines). */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    if (n === 1) this.emit(this.results[0]!);
    else this.decide();
    for (let i = 0; i < n; i++) this.results[i] = null;
    this.n = 0;
    this.len = 0;
    this.refB = null;
  }

  private add(b: Buffer, s: number, e: number, lineNo: number, evs: Res): void {
    const i = this.n++;
    this.lines[i] = lineNo; this.results[i] = evs;
    if (i === 0) { this.refB = b; this.refS = s; this.refE = e; this.len = e - s; return; }
    const r = this.refB;
    if (r !== null) { this.refB = null; this.len = 0; this.copyIn(r, this.refS, this.refE, 0); }
    this.copyIn(b, s, e, i);
  }

  /** Appends b[s, e) to buf as segment i. */
  private copyIn(b: Buffer, s: number, e: number, i: number): void {
    const need = this.len + (e - s);
    if (need > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(nb, 0, 0, this.len);
      this.buf = nb;
    }
    const at = this.len;
    b.copy(this.buf, at, s, e);
    this.len += e - s;
    this.starts[i] = at; this.ends[i] = this.len;
  }

  private emit(r: Res): void {
    if (r === null) return;
    if (!Array.isArray(r)) { this.emitOne(r); return; }
    for (const e of r) this.emitOne(e);
  }

  private emitOne(e: Ev): void {
    if (e instanceof SkipEv) this.out.skip(e.reason, e.line, e.kind);
    else if (e instanceof NoteEv) this.out.note(e.name, e.n);
    else this.out.flow(e);
  }

  private joined(sep: boolean): Buffer {
    const parts: Buffer[] = [];
    for (let i = 0; i < this.n; i++) {
      if (i > 0 && sep) parts.push(SPACE);
      parts.push(this.buf.subarray(this.starts[i], this.ends[i]));
    }
    return Buffer.concat(parts);
  }

  private decide(): void {
    const first = this.lines[0]!;
    const a = this.joined(false), b = this.joined(true);
    this.parse(a, 0, a.length, first, true);
    const ea = this.cap.take();
    const xa = this.exact !== null && this.exact();
    this.parse(b, 0, b.length, first, true);
    const eb = this.cap.take();
    const xb = this.exact !== null && this.exact();
    const fa = onlyFlow(ea), fb = onlyFlow(eb);
    let take: Res = null;
    if (fa !== null && fb !== null) {
      if (sameValues(fa, fb)) take = ea;
      else if (xa !== xb) take = xa ? ea : eb; // one join has exactly the layout's columns, the other not
      else if (this.hardWrap()) take = ea; // a terminal filled every row: no character was lost at a break
      else {
        this.out.skip('wrapped line: ambiguous join (a space may be lost at the break)', first, 'malformed');
        this.continuations();
        return;
      }
    } else if (fa !== null) take = ea;
    else if (fb !== null) take = eb;
    const alone = onlyFlow(this.results[0]!);
    const f = take === null ? null : onlyFlow(take)!;
    if (take === null || (alone !== null && sameValues(alone, f!))) {
      for (let i = 0; i < this.n; i++) this.emit(this.results[i]!); // not a wrapped record: every line as it is alone
      return;
    }
    this.emit(take);
    this.learnWidth();
    this.continuations();
  }

  /** Width of the rows of the last joined record whose rows (all but its last) had one width. */
  private width = 0;

  /**
   * Evidence of a terminal's hard wrap: every row but the last has the same width, seen twice (two such
   * rows in this record, or the width of an earlier joined record). A mail client breaks at spaces,
   * which gives rows of varying width.
   */
  private hardWrap(): boolean {
    const n = this.n;
    const w = this.ends[0]! - this.starts[0]!;
    if (w < 40) return false;
    for (let i = 1; i < n - 1; i++) if (this.ends[i]! - this.starts[i]! !== w) return false;
    return n >= 3 || w === this.width;
  }

  private learnWidth(): void {
    const n = this.n;
    const w = this.ends[0]! - this.starts[0]!;
    for (let i = 1; i < n - 1; i++) if (this.ends[i]! - this.starts[i]! !== w) return;
    this.width = w;
  }

  private continuations(): void {
    for (let i = 1; i < this.n; i++) this.out.skip(CONTINUATION, this.lines[i]!, 'not-flow');
  }
}

const SPACE = Buffer.from(' ');

/** Skip reason of a physical line joined to the line(s) above it. */
export const CONTINUATION = 'continuation of a wrapped line (joined to the line above)';
