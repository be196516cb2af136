/**
 * The contract between the reading pipeline (src/pipeline) and a parser family. A parser knows log
 * formats and nothing else: no rulesets, no sinks. It receives text lines or decoded JSON records and
 * calls `sink.flow()` for each flow, `sink.skip()` for each line it could not use.
 */
import type { Action, Flow } from '../src/model/flow.js';
import type { ZoneConverter, YearInferrer } from '../src/model/time.js';

/** How the pipeline hands input to the parser. */
export type Framing =
  | 'lines'       // parser.line(text, lineNo) for every line (CR, NUL stripped; no newline)
  | 'json'        // parser.record(value, lineNo) for every JSON record: JSON Lines, a top-level array, or
                  // the elements of a wrapper array ({"events": [...]}, {"records": [...]}, …); streamed.
  | 'xml-events'  // parser.line(text, lineNo) once per <Event>…</Event> element (lineNo = its first line)
  | 'csv';        // parser.line(text, firstLineNo) once per CSV record; quoted fields may hold newlines
                  // (kept in text), a record is bounded in size

export interface Detection {
  /** Value of Flow.format, e.g. 'winfw', 'wfp-json', 'iptables', 'panos-syslog'. */
  format: string;
  /** Finer variant, informational (e.g. 'rfc5424', 'journal-export', 'web-csv'). */
  dialect: string;
  framing: Framing;
  /** 0..1; the highest wins. */
  confidence: number;
}

export interface ParseOptions {
  /** Display path of the input (`dir/kern.log.2.gz`, `-` for stdin, `a.zip!member.json`). */
  file: string;
  /** Wall-clock converter for sources without an offset (from --tz, default the machine's zone). */
  zone: ZoneConverter;
  /** Year inference for year-less syslog (from --year or the file's modification time). */
  years: YearInferrer;
  /** --action-map PREFIX=allow|deny, consulted by parsers whose logs carry no verdict (iptables). */
  actionMap: ReadonlyMap<string, Action>;
}

/** Why a line is not a flow. `malformed` lines are errors under --strict; `not-flow` lines are expected. */
export type SkipKind = 'malformed' | 'not-flow';

export interface ParseSink {
  flow(f: Flow): void;
  /** Count a line/record that gave no flow, grouped by reason; the first example's line is kept. */
  skip(reason: string, line: number, kind: SkipKind): void;
  /** Count something noteworthy that is not a flow (e.g. 'lost-events' from INFO-EVENTS-LOST, 'no-peer-events'). */
  note(name: string, n: number): void;
}

export interface RecordParser {
  line?(text: string, lineNo: number): void;
  /**
   * 'lines' framing, UTF-8 input: the line as the bytes buf[start, end) (CR, NUL and newline removed).
   * Through `LineFramer` (src/pipeline/framing.ts, `LineBytesFn`) the range stays valid until the next line's
   * call returns (parsers/wrap.ts holds a one-line record by reference until then); any other caller that
   * passes a reused buffer must give the same guarantee. A parser that has it must give the same result as
   * `line(buf.toString('utf8', start, end), lineNo)` on valid UTF-8; `line` stays for UTF-16 input.
   */
  bytes?(buf: Buffer, start: number, end: number, lineNo: number): void;
  record?(value: unknown, lineNo: number): void;
  /**
   * End of a range of consecutive lines that is not the end of the input (a worker's byte range, a
   * replayed prologue): decide held lines (a line is held until the next one shows whether it
   * continues it: parsers/wrap.ts). `end` does this too.
   */
  flush?(): void;
  /** Called once at end of input (flush multi-line state). */
  end?(): void;
}

export interface ParserModule {
  /** Family id: 'winfw' | 'wfp' | 'iptables' | 'panos'. */
  family: string;
  /** Format ids this family can produce (accepted by --format). */
  formats: readonly string[];
  /**
   * Looks at the first decoded text of an input (up to 64 KiB, BOM removed, whole lines) and the file
   * name; returns null when it is not this family.
   */
  detect(head: string, fileName: string): Detection | null;
  /** Detection used when the user forces --format F (F is one of `formats`). */
  forced(format: string, head: string): Detection;
  create(det: Detection, opts: ParseOptions, sink: ParseSink): RecordParser;
  /**
   * 'lines' formats whose parser joins wrapped lines (parsers/wrap.ts): whether the UTF-8 line
   * b[start, end) starts a record, so that no line before it can continue onto it (a worker's byte
   * range may start there). Absent: every line starts a record.
   */
  startsRecord?(det: Detection, b: Buffer, start: number, end: number): boolean;
}
