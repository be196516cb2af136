/**
 * Flow sinks for `fwaudit parse`: JSON Lines (any schema), CSV (native columns) and Parquet (through
 * DuckDB). Writers buffer output and flush between input chunks, honouring back-pressure, so memory
 * stays flat however large the input. Native JSON Lines and CSV are written as bytes by the template encoders
 * of line-bytes.ts (byte for byte what JSON.stringify / csvCell give); ECS and OCSF through JSON.stringify.
 */
import { createWriteStream, WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { FLOW_COLUMNS, type Flow } from '../model/flow.js';
import { schemaMapper, type SchemaName } from './schemas.js';
import { NativeCsvEncoder, NativeJsonEncoder } from './serialize.js';
import { LineBuffer, NativeCsvBytes, NativeJsonBytes } from './line-bytes.js';

export interface FlowWriter {
  write(f: Flow): void;
  /**
   * Appends rendered output (whole lines of this writer's own format, UTF-8, from `byteRenderer` in a worker
   * thread); `done` is called once it is written (or dropped after a write error), with `reuse` true when the
   * destination no longer holds `chunk` then (standard output, a file), so that its memory may be reused.
   */
  writeBytes?(chunk: Buffer, done?: (reuse: boolean) => void): void;
  /** Flush buffered output; resolves when the destination can take more. */
  drain(): Promise<void>;
  /** The destination's write error (a full disk, a closed pipe), once there is one. */
  failure?(): Error | null;
  close(): Promise<void>;
}

const FLUSH_AT = 256 * 1024;

/**
 * Lines are rendered as UTF-8 straight into a buffer (src/sinks/line-bytes.ts), written as one chunk of at
 * least FLUSH_AT bytes; chunks rendered by the workers are written as they come, without a copy.
 */
class TextWriter implements FlowWriter {
  /** Lines rendered here (one thread): flushed at FLUSH_AT × 4, with room for the line that crosses it (no growth, no copy). */
  private lb = new LineBuffer(FLUSH_AT * 4 + FLUSH_AT / 4);
  /** Buffers the destination has let go (written), for the next flush: no allocation per flush. */
  private readonly free: Buffer[] = [];
  private broken = false;
  /** The stream's error (a closed pipe, a full disk): thrown by the next drain() or close(). */
  private error: Error | null = null;
  /**
   * Whether a written chunk is let go at its write callback: standard output (file, pipe or terminal) and file
   * streams are; a stream of the caller's (a PassThrough) may still hold the chunk for its reader.
   */
  private readonly releases: boolean;
  constructor(private readonly out: Writable, private readonly render: (f: Flow, lb: LineBuffer) => void, header?: string, private readonly end = out !== process.stdout) {
    out.on('error', (e: NodeJS.ErrnoException) => { this.broken = true; this.error ??= e; });
    this.releases = out === process.stdout || out instanceof WriteStream;
    if (header) this.lb.writeString(header + '\n');
  }
  failure(): Error | null { return this.error; }
  write(f: Flow): void {
    this.render(f, this.lb);
    if (this.lb.pos >= FLUSH_AT * 4) this.flush();
  }
  writeBytes(chunk: Buffer, done?: (reuse: boolean) => void): void {
    this.flush();
    if (this.broken) { done?.(false); return; }
    this.out.write(chunk, done && (() => done(this.releases)));
  }
  private flush(): void {
    if (this.lb.pos === 0) return;
    const chunk = this.lb.take(this.free.pop());
    if (this.broken) return;
    if (this.releases) this.out.write(chunk, () => { if (this.free.length < 2) this.free.push(Buffer.from(chunk.buffer)); });
    else this.out.write(chunk);
  }
  async drain(): Promise<void> {
    if (this.error) throw this.error;
    if (this.lb.pos >= FLUSH_AT) this.flush();
    if (this.out.writableNeedDrain && !this.broken) await once(this.out, 'drain');
  }
  async close(): Promise<void> {
    const rest = this.broken ? Buffer.alloc(0) : this.lb.take();
    if (this.error) throw this.error;
    if (this.end) {
      (this.out as WriteStream).end(rest);
      await once(this.out, 'finish');
    } else {
      // Wait until the last chunk is written, so that a write error (EPIPE) reaches the caller.
      await new Promise<void>((resolve, reject) => { this.out.write(rest, (e) => (e ? reject(e) : resolve())); });
    }
    if (this.error) throw this.error;
  }
}

export const NATIVE_COLUMNS = [...FLOW_COLUMNS, 'community_id'] as const;

/** The text of one flow (without its newline) in an output format: what the writers write, and what worker threads render. */
export function flowRenderer(format: 'jsonl' | 'csv', schema: SchemaName = 'native'): (f: Flow) => string {
  if (format === 'csv') {
    const enc = new NativeCsvEncoder();
    return (f) => enc.encode(f);
  }
  if (schema === 'native') {
    const enc = new NativeJsonEncoder();
    return (f) => enc.encode(f);
  }
  const map = schemaMapper(schema);
  return (f) => JSON.stringify(map(f));
}

/** Appends the UTF-8 text of one flow and its newline to a LineBuffer: what the writers write, and what worker threads render. */
export function byteRenderer(format: 'jsonl' | 'csv', schema: SchemaName = 'native'): (f: Flow, lb: LineBuffer) => void {
  if (format === 'jsonl' && schema === 'native') {
    const enc = new NativeJsonBytes();
    return (f, lb) => enc.encode(f, lb);
  }
  if (format === 'csv') {
    const enc = new NativeCsvBytes();
    return (f, lb) => enc.encode(f, lb);
  }
  const render = flowRenderer(format, schema);
  return (f, lb) => lb.writeString(render(f) + '\n');
}

/** `end`: end the stream on close (default: every stream but process.stdout). */
export function jsonlWriter(out: Writable, schema: SchemaName, o: { end?: boolean } = {}): FlowWriter {
  return new TextWriter(out, byteRenderer('jsonl', schema), undefined, o.end);
}

export function csvWriter(out: Writable, o: { end?: boolean } = {}): FlowWriter {
  return new TextWriter(out, byteRenderer('csv'), NATIVE_COLUMNS.join(','), o.end);
}

export function fileStream(path: string): WriteStream {
  return createWriteStream(path);
}
