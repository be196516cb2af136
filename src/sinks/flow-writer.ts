/**
 * Flow sinks for `fwaudit parse`: JSON Lines (any schema), CSV (native columns) and Parquet (through
 * DuckDB). Writers buffer output and flush between input chunks, honouring back-pressure, so memory
 * stays flat however large the input.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { FLOW_COLUMNS, type Flow } from '../model/flow.js';
import { csvCell } from '../reports/escape.js';
import { schemaMapper, toNative, type SchemaName } from './schemas.js';

export interface FlowWriter {
  write(f: Flow): void;
  /** Flush buffered output; resolves when the destination can take more. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const FLUSH_AT = 256 * 1024;

class TextWriter implements FlowWriter {
  private buf: string[] = [];
  private size = 0;
  private broken = false;
  /** The stream's error (a closed pipe, a full disk): thrown by the next drain() or close(). */
  private error: Error | null = null;
  constructor(private readonly out: Writable, private readonly render: (f: Flow) => string, header?: string, private readonly end = out !== process.stdout) {
    out.on('error', (e: NodeJS.ErrnoException) => { this.broken = true; this.error ??= e; });
    if (header) this.push(header);
  }
  private push(s: string): void { this.buf.push(s); this.size += s.length; }
  write(f: Flow): void {
    this.push(this.render(f));
    if (this.size > FLUSH_AT * 4) this.flushSync();
  }
  private flushSync(): boolean {
    if (this.buf.length === 0 || this.broken) { this.buf = []; this.size = 0; return true; }
    const ok = this.out.write(this.buf.join('\n') + '\n');
    this.buf = []; this.size = 0;
    return ok;
  }
  async drain(): Promise<void> {
    if (this.error) throw this.error;
    if (this.size < FLUSH_AT) return;
    if (!this.flushSync() && !this.broken) await once(this.out, 'drain');
  }
  async close(): Promise<void> {
    const rest = this.buf.length && !this.broken ? this.buf.join('\n') + '\n' : '';
    this.buf = []; this.size = 0;
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

/** `end`: end the stream on close (default: every stream but process.stdout). */
export function jsonlWriter(out: Writable, schema: SchemaName, o: { end?: boolean } = {}): FlowWriter {
  const map = schemaMapper(schema);
  return new TextWriter(out, (f) => JSON.stringify(map(f)), undefined, o.end);
}

export function csvWriter(out: Writable, o: { end?: boolean } = {}): FlowWriter {
  return new TextWriter(out, (f) => { const o = toNative(f); return NATIVE_COLUMNS.map((c) => csvCell(o[c])).join(','); }, NATIVE_COLUMNS.join(','), o.end);
}

export function fileStream(path: string): WriteStream {
  return createWriteStream(path);
}
