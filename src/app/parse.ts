/**
 * Use case "parse": read logs and write normalized flows as JSON Lines (native, ECS or OCSF field
 * names), CSV or Parquet, to a file or to the given stream (stdout).
 *
 * Errors: UsageError for a bad option combination or an unknown output format; OutputError (naming the
 * path) when the output cannot be written. Unreadable inputs are reported in the summaries, never thrown.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Writable } from 'node:stream';
import { OutputError, UsageError } from '../model/errors.js';
import type { InputSummary, Progress, ReadOptions } from '../pipeline/run.js';
import type { SchemaName } from '../sinks/schemas.js';
import type { FlowWriter } from '../sinks/flow-writer.js';

export const FLOW_OUTPUT_FORMATS = ['jsonl', 'csv', 'parquet'] as const;
export type FlowOutputFormat = (typeof FLOW_OUTPUT_FORMATS)[number];

const BY_EXT: Readonly<Record<string, FlowOutputFormat>> = {
  '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'jsonl', '.csv': 'csv', '.parquet': 'parquet',
};

/** True when `out` means standard output (no `--out`, or `-`). */
export function isStdout(out: string | null | undefined): boolean {
  return out === undefined || out === null || out === '-';
}

/**
 * The output format: `format` when given, else from the extension of `out`, else JSON Lines for
 * standard output; an unknown extension is a UsageError naming the choices.
 */
export function flowOutputFormat(out: string | null | undefined, format?: string): FlowOutputFormat {
  if (format !== undefined) {
    if ((FLOW_OUTPUT_FORMATS as readonly string[]).includes(format)) return format as FlowOutputFormat;
    throw new UsageError(`unknown output format "${format}" (choose ${FLOW_OUTPUT_FORMATS.join(', ')})`);
  }
  if (isStdout(out)) return 'jsonl';
  const ext = extname(out!).toLowerCase();
  const f = BY_EXT[ext];
  if (!f) {
    throw new UsageError(`--out ${JSON.stringify(out)}: cannot tell the output format from ${ext ? `the extension "${ext}"` : 'a name without extension'} `
      + `(use ${Object.keys(BY_EXT).join(', ')}, or --out-format ${FLOW_OUTPUT_FORMATS.join('|')})`);
  }
  return f;
}

export interface ParseOptions {
  inputs: string[];
  read: ReadOptions;
  /** File to write, or null / "-" for `stdout`. */
  out: string | null;
  outFormat?: string;
  /** `day`: `out` is a directory of hive-partitioned Parquet (out/day=YYYY-MM-DD/*.parquet). */
  partition?: 'day';
  schema: SchemaName;
  /** Where standard-output data goes. */
  stdout: Writable;
  onProgress?: (p: Progress) => void;
}

export interface ParseResult {
  summaries: InputSummary[];
  format: FlowOutputFormat;
  /** The file written, or null for standard output. */
  path: string | null;
}

/** Opens (creates or truncates) an output file now, so an unwritable path fails before any input is read. */
async function openOutput(path: string): Promise<Writable> {
  let fh;
  try {
    fh = await open(path, 'w');
  } catch (e) {
    throw new OutputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  return fh.createWriteStream();
}

export async function parseLogs(o: ParseOptions): Promise<ParseResult> {
  if (o.partition && (isStdout(o.out) || (o.outFormat && o.outFormat !== 'parquet'))) throw new UsageError('--partition day writes Parquet into a directory: --out DIR');
  const format = o.partition ? 'parquet' : flowOutputFormat(o.out, o.outFormat);
  const path = isStdout(o.out) ? null : o.out;
  if (format !== 'jsonl' && o.schema !== 'native') {
    throw new UsageError(`${format === 'csv' ? 'CSV' : 'Parquet'} output uses the native columns; drop --schema`);
  }
  const { readFlows } = await import('../pipeline/run.js');
  let writer: FlowWriter;
  if (o.partition) {
    const { partitionedParquetWriter } = await import('../sinks/parquet.js');
    try {
      writer = await partitionedParquetWriter(path!);
    } catch (e) {
      throw new OutputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
    }
  } else if (format === 'parquet') {
    if (path === null) throw new UsageError('Parquet output needs a file: --out FILE.parquet');
    await (await openOutput(path)).end(); // fails early, naming the path, when it cannot be written
    const { parquetWriter } = await import('../sinks/parquet.js');
    writer = await parquetWriter(path);
  } else {
    const { csvWriter, jsonlWriter } = await import('../sinks/flow-writer.js');
    const dest = path === null ? o.stdout : await openOutput(path);
    const end = path !== null;
    writer = format === 'csv' ? csvWriter(dest, { end }) : jsonlWriter(dest, o.schema, { end });
  }
  let summaries: InputSummary[];
  try {
    // JSON Lines and CSV are rendered in the worker threads when the pool reads the inputs (same bytes)
    const w = writer;
    const encode = format !== 'parquet' && w.writeBytes ? { wire: { format, schema: o.schema }, write: (b: Buffer, done: (reuse: boolean) => void) => w.writeBytes!(b, done) } : undefined;
    summaries = await readFlows(o.inputs, { ...o.read, onProgress: o.onProgress, afterChunk: () => w.drain(), ...(encode ? { encode } : {}) }, (f) => w.write(f));
  } catch (e) {
    await writer.close().catch(() => {});
    // the output file's write error (a full disk) while reading: an output error naming the path, as at close
    if (path !== null && e === writer.failure?.() && (e as NodeJS.ErrnoException).code !== 'EPIPE') {
      throw new OutputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
    }
    throw e;
  }
  try {
    await writer.close();
  } catch (e) {
    if (path !== null && !(e instanceof OutputError) && (e as NodeJS.ErrnoException).code !== 'EPIPE') {
      throw new OutputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
    }
    throw e;
  }
  return { summaries, format, path };
}
