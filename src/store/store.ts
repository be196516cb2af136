/**
 * The DuckDB store: runs, inputs (content identity), flows (the narrow `flow_rows` table written in DataChunks, see
 * flow-table.ts; the `flows` view gives the readable columns), findings, matrix.
 * Every value that comes from logs or config is bound or appended, never spliced into SQL text.
 */
import {
  BIGINT, BOOLEAN, DOUBLE, DuckDBTimestampValue, INTEGER, LIST, TIMESTAMP, VARCHAR,
  listValue, timestampValue,
  type DuckDBAppender, type DuckDBConnection, type DuckDBInstance, type DuckDBValue,
} from '@duckdb/node-api';
import { DuckDBInstance as Instance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Flow } from '../model/flow.js';
import type { Finding, MatrixRow } from '../model/finding.js';
import type { InputIdentity } from './identity.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { BLOCKED_GROUPS_MERGE, FLOW_ROW_COLUMNS, FlowChunkWriter, TextDictionary } from './flow-table.js';
import type { FlowBatchView } from '../pipeline/flow-batch.js';

export { SCHEMA_VERSION } from './schema.js';
export type { InputIdentity } from './identity.js';
export { inputIdentity, bufferIdentity } from './identity.js';

/** A store that cannot be opened or used (newer schema, not a fwaudit store, I/O). Exit code 2. */
export { StoreError } from '../model/errors.js';
import { StoreError } from '../model/errors.js';

export interface RunMeta {
  fwauditVersion: string;
  /** ruleset id → version */
  rulesetVersions?: Record<string, string>;
  /** Defaults to now. Tests and imports pass explicit times. */
  startedAt?: Date | string | number;
  runId?: string;
}

export interface RunCounts {
  inputs: number;
  lines: number;
  flows: number;
  skipped?: number;
  finishedAt?: Date | string | number;
}

/** What the pipeline reports per input (structurally `InputSummary` from src/pipeline/run.ts). */
export interface InputSummaryLike {
  file: string;
  format: string | null;
  dialect: string | null;
  lines: number;
  flows: number;
  bytes?: number;
  skipped: Array<{ reason: string; kind: string; count: number; first: { file: string; line: number } }>;
  notes: Record<string, number>;
  error: string | null;
}

export type Keep = 'all' | 'denied' | 'matched';

/** One checkpoint: what a run read of one input (see src/store/checkpoints.ts). */
export interface CheckpointRow {
  input_id: string | null;
  path: string;
  /** SHA-256 of the first 4 KiB of the (decompressed) content. */
  fingerprint: string;
  /** Lines before this run's part (0 when read from the start). */
  start_line: number;
  /** Bytes of (decompressed) content covered, up to the end of the last complete line read. */
  end_offset: number;
  end_line: number;
  /** SHA-256 of the content [0, end_offset). */
  prefix_hash: string;
  size: number;
  compressed: boolean;
  dev: string | null;
  ino: string | null;
  mtime_ms: number | null;
}

function strOrNullValue(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** DuckDB's message when another process holds the file lock. */
function isLockError(msg: string): boolean {
  return /Could not set lock on file|Conflicting lock is held/i.test(msg);
}

/** Deletes everything of runs that never finished (a read-write open does it before anything else). */
async function dropUnfinishedRuns(c: DuckDBConnection, path: string): Promise<void> {
  const r = (await c.runAndReadAll(`SELECT count(*) AS n FROM runs WHERE finished_at IS NULL`)).getRowObjectsJS();
  if (Number(r[0]?.n ?? 0) === 0) return;
  const unfinished = `(SELECT run_id FROM runs WHERE finished_at IS NULL)`;
  await c.run('BEGIN TRANSACTION');
  try {
    await c.run(`DELETE FROM flow_rows WHERE run_key IN (SELECT key FROM texts WHERE text IN ${unfinished})`);
    for (const t of ['findings', 'matrix', 'checkpoints', 'device_coverage']) await c.run(`DELETE FROM ${t} WHERE run_id IN ${unfinished}`);
    await c.run(`DELETE FROM inputs WHERE first_run_id IN ${unfinished}`);
    await c.run(`DELETE FROM runs WHERE finished_at IS NULL`);
    await c.run('COMMIT');
  } catch (e) {
    await c.run('ROLLBACK');
    throw new StoreError(`cannot remove unfinished runs: ${(e as Error).message}`, path);
  }
}

/**
 * Which flows go into the store. Default (no `keep`): denied flows plus flows that matched a requirement
 * (allowed ones included, so `ok`/`intermittent` can be checked later). `all` keeps everything.
 */
export function flowFilter(keep?: Keep, isMatched?: (f: Flow) => boolean): (f: Flow) => boolean {
  const matched = isMatched ?? (() => false);
  switch (keep) {
    case 'all': return () => true;
    case 'denied': return (f) => f.action === 'deny';
    case 'matched': return (f) => matched(f);
    default: return (f) => f.action === 'deny' || matched(f);
  }
}

/** The same rule as flowFilter on a flow's action and whether it matched a requirement (a row of a worker's batch). */
export function keepRule(keep?: Keep): (action: string, matched: boolean) => boolean {
  switch (keep) {
    case 'all': return () => true;
    case 'denied': return (action) => action === 'deny';
    case 'matched': return (_action, matched) => matched;
    default: return (action, matched) => action === 'deny' || matched;
  }
}

export type Row = Record<string, unknown>;
export type Params = unknown[] | Record<string, unknown>;

/** Rows between Appender flushes (the writer hands DuckDB DataChunks of 2048 rows). */
const FLUSH_ROWS = 16_384;

/**
 * DuckDB memory budgets (FWAUDIT_DUCKDB_MEMORY overrides both). A writer appends a whole run in one transaction:
 * DuckDB keeps the run's rows in memory up to its budget and writes the rest to the store file, so the budget is
 * what an ingest of any size adds to the reader's own memory. A read-only open (report, query, export) spills its
 * large aggregations to a private temporary directory beyond its budget.
 */
const WRITE_MEMORY_LIMIT = '128MB';
/** Appender flushes (of FLUSH_ROWS rows) between two releases of the C allocator's free memory (see releaseFreeMemory). */
const TRIM_EVERY_FLUSHES = 4;
const READ_MEMORY_LIMIT = '256MB';

function removeTempDir(dir: string | null): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function toMs(v: Date | string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}
function tsValue(ms: number | null): DuckDBValue {
  return ms === null ? null : timestampValue(BigInt(Math.trunc(ms)) * 1000n);
}
function bigValue(n: number | null): DuckDBValue {
  return n === null || !Number.isFinite(n) ? null : BigInt(Math.trunc(n));
}

/** DuckDB result values → plain JSON-friendly JS (bigint → number where safe, Date → ISO text). */
export function plainValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (typeof v === 'object') {
    const o: Row = {};
    for (const [k, x] of Object.entries(v as Row)) o[k] = plainValue(x);
    return o;
  }
  return v;
}

export class Store {
  private flowAppender: DuckDBAppender | null = null;
  private textAppender: DuckDBAppender | null = null;
  private labelAppender: DuckDBAppender | null = null;
  private writer: FlowChunkWriter | null = null;
  private readonly dict = new TextDictionary();
  private buffered = 0;
  private fileInputs = new Map<string, string>();
  private currentRun: string | null = null;
  private appended = 0;
  private inTransaction = false;
  private runStart = 0;
  private failure: StoreError | null = null;
  /** The writer's DuckDB memory limit as DuckDB prints it (see releaseFreeMemory); Appender flushes; a release is due. */
  private memoryLimit: string | null = null;
  private flushes = 0;
  private releaseDue = false;
  private tempDir: string | null = null;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly schemaVersion: number,
    readonly migratedFrom: number | null,
  ) {}

  /**
   * Opens (creating or migrating) a store. `:memory:` gives a throwaway one.
   * DuckDB allows one writing process per file (it takes a file lock): another process's open fails with
   * "store busy", after retrying for `waitSeconds` (default 0). A read-write open deletes runs that never
   * finished (stores written before runs were transactions, or a crash between statements).
   * `query: true` opens read-only with file access, extension loading and configuration changes disabled.
   */
  static async open(path: string, opts: { readOnly?: boolean; waitSeconds?: number; query?: boolean } = {}): Promise<Store> {
    let instance: DuckDBInstance | null = null;
    // A bounded memory budget: DuckDB spills large aggregations to temp files instead of growing
    // (its default is 80 % of RAM). FWAUDIT_DUCKDB_MEMORY overrides it, e.g. "4GB".
    // Read-only opens (report, query, export) get a smaller budget and spill into a private temporary directory
    // (the store's own directory may not be writable for a reader): a report stays under ~500 MB on any store.
    const readOnly = !!(opts.readOnly || opts.query);
    const settings: Record<string, string> = { memory_limit: process.env['FWAUDIT_DUCKDB_MEMORY'] ?? (readOnly ? READ_MEMORY_LIMIT : WRITE_MEMORY_LIMIT) };
    let tempDir: string | null = null;
    if (readOnly) {
      settings['access_mode'] = 'READ_ONLY';
      tempDir = mkdtempSync(join(tmpdir(), 'fwaudit-duckdb-'));
      settings['temp_directory'] = tempDir;
    }
    if (opts.query) {
      Object.assign(settings, {
        enable_external_access: 'false', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false',
        allow_community_extensions: 'false', lock_configuration: 'true',
      });
    }
    const deadline = Date.now() + Math.max(0, opts.waitSeconds ?? 0) * 1000;
    for (;;) {
      try {
        instance = await Instance.create(path, settings);
        break;
      } catch (e) {
        const msg = (e as Error).message;
        if (!isLockError(msg) || Date.now() >= deadline) removeTempDir(tempDir);
        if (!isLockError(msg)) throw new StoreError(`cannot open store: ${msg}`, path);
        if (Date.now() >= deadline) {
          const pid = /PID (\d+)/.exec(msg)?.[1];
          throw new StoreError(`store busy: another fwaudit process${pid ? ` (pid ${pid})` : ''} is using it; `
            + `try again later or pass --wait SECONDS`, path);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const connection = await instance.connect();
    try {
      const { version, from } = await migrate(connection, path, readOnly);
      if (!readOnly) await dropUnfinishedRuns(connection, path);
      const store = new Store(path, instance, connection, version, from);
      store.tempDir = tempDir;
      return store;
    } catch (e) {
      connection.closeSync();
      instance.closeSync();
      removeTempDir(tempDir);
      throw e;
    }
  }

  /** Runs SQL with bound parameters and returns plain row objects. */
  async all(sql: string, params?: Params): Promise<Row[]> {
    const reader = params === undefined
      ? await this.connection.runAndReadAll(sql)
      : await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS().map((r) => plainValue(r) as Row);
  }

  /** Runs SQL and returns column names with plain rows (for `fwaudit query`). */
  async table(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowsJS().map((r) => r.map(plainValue)) };
  }

  /**
   * Starts a run: one transaction until finishRun commits it (or abortRun / a crash rolls it back), so a run is
   * all or nothing for every reader.
   */
  async beginRun(meta: RunMeta): Promise<string> {
    const runId = meta.runId ?? crypto.randomUUID();
    await this.connection.run('BEGIN TRANSACTION');
    this.inTransaction = true;
    const st = await this.connection.prepare(
      `INSERT INTO runs (run_id, started_at, fwaudit_version, ruleset_versions) VALUES ($1, $2, $3, $4)`);
    st.bind([runId, tsValue(toMs(meta.startedAt ?? Date.now())), meta.fwauditVersion, JSON.stringify(meta.rulesetVersions ?? {})],
      [VARCHAR, TIMESTAMP, VARCHAR, VARCHAR]);
    await st.run();
    await this.prepareAppender();
    this.currentRun = runId;
    this.runStart = this.appendedFlows;
    return runId;
  }

  /** True when an input with this content identity was already ingested (the caller then skips it). */
  async hasInput(identity: InputIdentity | string): Promise<boolean> {
    const id = typeof identity === 'string' ? identity : identity.id;
    const rows = await this.all(`SELECT 1 AS x FROM inputs WHERE input_id = $1 LIMIT 1`, [id]);
    return rows.length > 0;
  }

  /** Flows whose `file` is this identity's path get its input_id in `appendFlows`. */
  trackInput(identity: InputIdentity): void {
    this.fileInputs.set(identity.path, identity.id);
  }

  async addInput(summary: InputSummaryLike, identity: InputIdentity, runId: string, lines?: { start: number; end: number }): Promise<void> {
    this.trackInput(identity);
    const st = await this.connection.prepare(
      `INSERT INTO inputs (input_id, path, format, dialect, size, lines, flows, skipped, notes, error, first_run_id, start_line, end_line)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`);
    st.bind([
      identity.id, summary.file, summary.format, summary.dialect, bigValue(identity.size), bigValue(summary.lines),
      bigValue(summary.flows), JSON.stringify(summary.skipped ?? []), JSON.stringify(summary.notes ?? {}), summary.error, runId,
      bigValue(lines?.start ?? null), bigValue(lines?.end ?? null),
    ], [VARCHAR, VARCHAR, VARCHAR, VARCHAR, BIGINT, BIGINT, BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, BIGINT, BIGINT]);
    await st.run();
  }

  /**
   * Appends one flow: the writer encodes it into its typed arrays and hands DuckDB a DataChunk every 2,048 rows; the
   * Appender is flushed every FLUSH_ROWS rows. `inputId` defaults to the tracked input whose path equals `f.file`;
   * `matched` is e.g. "product/requirement;…". Values go straight from the record to typed appends: no SQL text.
   */
  appendFlow(f: Flow, inputId?: string | null, matched?: string | null): void {
    if (this.failure) return;
    try {
      this.appendFlowRow(f, inputId, matched);
    } catch (e) {
      // Not thrown through the reader's callback: the ingest checks throwIfFailed() after each input.
      this.failure = e instanceof StoreError ? e : new StoreError(`cannot write flows: ${(e as Error).message}`, this.path);
    }
  }

  /** The first error of appendFlow, as a StoreError (full disk, I/O error). */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private appendFlowRow(f: Flow, inputId?: string | null, matched?: string | null): void {
    const w = this.writer;
    if (!w) throw new StoreError('flow appender not ready (call beginRun first)', this.path);
    w.add(f, inputId === undefined ? (this.fileInputs.get(f.file) ?? null) : inputId, this.currentRun, matched ?? null);
    if (++this.buffered >= FLUSH_ROWS) this.writeChunk(true);
  }

  /**
   * Appends rows sel[0..count) of a worker's batch, in that order, as appendFlow would append the Flows readFlowBatch
   * makes of them, with the batch's matched sets (line numbers: the batch's plus `lineOffset`; `file`, when not null,
   * instead of the batch's), column by column through the writer's DataChunks.
   */
  appendBatch(v: FlowBatchView, sel: Int32Array, count: number, lineOffset: number, inputId: string | null, file: string | null): void {
    if (this.failure) return;
    try {
      const w = this.writer;
      if (!w) throw new StoreError('flow appender not ready (call beginRun first)', this.path);
      for (let i = 0; i < count;) {
        // (the Appender is flushed, and new matched-set labels keyed, after exactly FLUSH_ROWS rows, as row by row)
        const k = w.addBatchRows(v, sel, i, Math.min(count - i, FLUSH_ROWS - this.buffered), lineOffset, inputId, this.currentRun, file);
        if (k <= 0) throw new StoreError('flow writer made no progress', this.path);
        i += k;
        this.buffered += k;
        if (this.buffered >= FLUSH_ROWS) this.writeChunk(true);
      }
    } catch (e) {
      this.failure = e instanceof StoreError ? e : new StoreError(`cannot write flows: ${(e as Error).message}`, this.path);
    }
  }

  appendFlows(flows: Iterable<Flow>, inputId?: string | null, matched?: (f: Flow) => string | null): void {
    for (const f of flows) this.appendFlow(f, inputId, matched ? matched(f) : null);
  }

  /** Flows appended so far through this Store object. */
  get appendedFlows(): number {
    return this.appended + this.buffered;
  }

  /** Hands the buffered rows to the Appenders and flushes them; `mayTrim`: every TRIM_EVERY_FLUSHES, a release of free memory is due (releaseIfDue). */
  private writeChunk(mayTrim = false): void {
    if (this.buffered === 0) return;
    this.writer?.flush();
    this.appended += this.buffered;
    this.buffered = 0;
    if (this.textAppender && this.labelAppender) this.dict.drain(this.textAppender, this.labelAppender);
    this.flowAppender?.flushSync();
    if (++this.flushes % TRIM_EVERY_FLUSHES === 0 && mayTrim && this.memoryLimit !== null) this.releaseDue = true;
  }

  /**
   * Releases free memory (releaseFreeMemory) when TRIM_EVERY_FLUSHES Appender flushes have passed since the last
   * release. The caller awaits it between batches (readFlows' afterChunk), so no row is appended meanwhile: the
   * statement never runs beside the Appenders. True when a release ran.
   */
  async releaseIfDue(): Promise<boolean> {
    if (!this.releaseDue || this.failure) return false;
    this.releaseDue = false;
    try {
      await this.releaseFreeMemory();
      return true;
    } catch (e) {
      this.failure ??= e instanceof StoreError ? e : new StoreError(`cannot set the memory limit: ${(e as Error).message}`, this.path);
      return false;
    }
  }

  /**
   * Hands memory that the C allocator keeps after frees back to the system: DuckDB does it (it calls malloc_trim) when
   * its memory limit is set, so this sets the writer's limit again to its own value. Measured on 1 M-line ingests: the
   * resident size grew by 50–70 MB of such memory over a file (freed buffers of DuckDB's appends and optimistic writes,
   * of reads and of the worker threads' batches, kept in per-thread malloc arenas) that neither DuckDB nor V8 accounts
   * for. Only between statements, awaited, with no row being appended.
   */
  async releaseFreeMemory(): Promise<void> {
    if (this.memoryLimit === null) return;
    this.writeChunk();
    await this.connection.run(`SET memory_limit = '${this.memoryLimit}'`);
  }

  /** Must be awaited once before the first appendFlow (beginRun does it). Loads the text dictionary. */
  async prepareAppender(): Promise<void> {
    if (this.flowAppender) return;
    // The writer fills columns positionally: the table must have exactly the documented column order.
    const cols = (await this.all(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'flow_rows' AND table_schema = 'main'
         AND table_catalog = current_database() ORDER BY ordinal_position`)).map((r) => `${String(r.column_name)} ${String(r.data_type)}`);
    const expected = FLOW_ROW_COLUMNS.map(([n, t]) => `${n} ${t}`);
    if (cols.join(',') !== expected.join(',')) {
      throw new StoreError(`flow_rows table columns (${cols.join(', ')}) differ from the expected layout`, this.path);
    }
    const texts = (await this.connection.runAndReadAll(`SELECT key, text FROM texts`)).getRowObjectsJS();
    const labelled = (await this.connection.runAndReadAll(`SELECT DISTINCT matched_key AS k FROM matched_labels`)).getRowObjectsJS();
    this.dict.load(texts.map((r) => ({ key: Number(r.key), text: String(r.text) })), labelled.map((r) => Number(r.k)));
    this.flowAppender = await this.connection.createAppender('flow_rows');
    this.textAppender = await this.connection.createAppender('texts');
    this.labelAppender = await this.connection.createAppender('matched_labels');
    this.writer = new FlowChunkWriter(this.flowAppender, this.dict);
    const limit = (await this.connection.runAndReadAll(`SELECT current_setting('memory_limit') AS m`)).getRowObjectsJS()[0]?.m;
    this.memoryLimit = typeof limit === 'string' && /^[0-9. A-Za-z]+$/.test(limit) ? limit : null;
  }

  private closeAppenders(flush: boolean): void {
    const aps = [this.textAppender, this.labelAppender, this.flowAppender];
    this.flowAppender = this.textAppender = this.labelAppender = null;
    this.writer = null;
    let err: unknown = null;
    for (const ap of aps) {
      try { if (flush) ap?.closeSync(); else ap?.closeSync(); } catch (e) { err ??= e; }
    }
    if (flush && err) throw err;
  }

  /** Writes buffered flows and makes them visible to queries. */
  flushFlows(): void {
    this.writeChunk();
  }

  async finishRun(runId: string, findings: Finding[], matrix: MatrixRow[], counts: RunCounts): Promise<void> {
    this.throwIfFailed();
    try {
      await this.finishRunUnguarded(runId, findings, matrix, counts);
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(`cannot finish the run: ${(e as Error).message}`, this.path);
    }
  }

  private async finishRunUnguarded(runId: string, findings: Finding[], matrix: MatrixRow[], counts: RunCounts): Promise<void> {
    this.flushFlows();
    if (findings.length > 0) {
      const ap = await this.connection.createAppender('findings');
      for (const f of findings) {
        str(ap, runId); str(ap, f.product); str(ap, f.requirement); str(ap, f.confidence); str(ap, f.transport);
        str(ap, f.src_ip); str(ap, f.dst_ip); int(ap, f.dst_port); str(ap, f.src_role); str(ap, f.dst_role);
        big(ap, f.count); ts(ap, f.first_seen); ts(ap, f.last_seen);
        ap.appendList(listValue(f.devices ?? []), LIST(VARCHAR)); ap.appendList(listValue(f.rules ?? []), LIST(VARCHAR));
        str(ap, f.symptom); str(ap, f.purpose); str(ap, f.source); str(ap, JSON.stringify(f.evidence ?? []));
        str(ap, f.product_name); str(ap, f.necessity); str(ap, f.ports); str(ap, f.open);
        if (f.candidates) ap.appendList(listValue(f.candidates), LIST(VARCHAR)); else ap.appendNull();
        ap.endRow();
      }
      ap.closeSync();
    }
    if (matrix.length > 0) {
      const ap = await this.connection.createAppender('matrix');
      for (const m of matrix) {
        str(ap, runId); str(ap, m.product); str(ap, m.requirement); str(ap, m.necessity); str(ap, m.status);
        big(ap, m.allows); big(ap, m.denies); ts(ap, m.first_seen); ts(ap, m.last_seen); str(ap, m.purpose); str(ap, m.source);
        ap.endRow();
      }
      ap.closeSync();
    }
    const stored = [{ n: this.appendedFlows - this.runStart }];
    const runKey = this.dict.lookup(runId);
    await this.releaseFreeMemory(); // (the merge's hash tables come on top of everything the run holds)
    if (runKey !== undefined && stored[0]!.n > 0) await this.connection.run(BLOCKED_GROUPS_MERGE, [runKey]);
    const st = await this.connection.prepare(
      `UPDATE runs SET finished_at = $2, inputs = $3, lines = $4, flows = $5, findings = $6, skipped = $7, stored_flows = $8
       WHERE run_id = $1`);
    st.bind([runId, tsValue(toMs(counts.finishedAt ?? Date.now())), counts.inputs, bigValue(counts.lines), bigValue(counts.flows),
      findings.length, bigValue(counts.skipped ?? 0), bigValue(Number(stored[0]?.n ?? 0))],
    [VARCHAR, TIMESTAMP, INTEGER, BIGINT, BIGINT, INTEGER, BIGINT, BIGINT]);
    await st.run();
    this.closeAppenders(true);
    if (this.inTransaction) {
      await this.connection.run('COMMIT');
      this.inTransaction = false;
    }
    if (this.currentRun === runId) this.currentRun = null;
  }

  /** Rolls back the run in progress (nothing of it stays in the store). Never throws. */
  async abortRun(): Promise<void> {
    this.failure = null;
    // Unwritten rows are dropped with the writer; the rollback discards what was appended. The dictionary is
    // reloaded by the next prepareAppender (keys created in the rolled-back run are gone).
    this.writer = null;
    try { this.closeAppenders(false); } catch { /* the rollback discards it */ }
    this.buffered = 0;
    this.releaseDue = false;
    if (this.inTransaction) {
      this.inTransaction = false;
      try { await this.connection.run('ROLLBACK'); } catch { /* a failed transaction is discarded on close */ }
    }
    this.currentRun = null;
  }

  /** Records what was read of one input (see checkpoints in schema v3). Part of the run's transaction. */
  async addCheckpoint(runId: string, c: CheckpointRow): Promise<void> {
    const st = await this.connection.prepare(
      `INSERT INTO checkpoints (run_id, input_id, path, fingerprint, start_line, end_offset, end_line, prefix_hash, size, compressed, dev, ino, mtime_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`);
    st.bind([runId, c.input_id, c.path, c.fingerprint, bigValue(c.start_line), bigValue(c.end_offset), bigValue(c.end_line),
      c.prefix_hash, bigValue(c.size), c.compressed, c.dev, c.ino, c.mtime_ms],
    [VARCHAR, VARCHAR, VARCHAR, VARCHAR, BIGINT, BIGINT, BIGINT, VARCHAR, BIGINT, BOOLEAN, VARCHAR, VARCHAR, DOUBLE]);
    await st.run();
  }

  /** Checkpoints of complete runs under any of these fingerprints, longest first. */
  async checkpointsFor(fingerprints: string[]): Promise<CheckpointRow[]> {
    if (fingerprints.length === 0) return [];
    const rows = await this.all(
      `SELECT input_id, path, fingerprint, start_line, end_offset, end_line, prefix_hash, size, compressed, dev, ino, mtime_ms
         FROM checkpoints WHERE list_contains($1::VARCHAR[], fingerprint) AND run_id IN (SELECT run_id FROM runs WHERE finished_at IS NOT NULL)
        ORDER BY end_offset DESC`, [listValue(fingerprints)]);
    return rows.map((r) => ({
      input_id: strOrNullValue(r.input_id), path: String(r.path ?? ''), fingerprint: String(r.fingerprint),
      start_line: Number(r.start_line ?? 0), end_offset: Number(r.end_offset), end_line: Number(r.end_line),
      prefix_hash: String(r.prefix_hash), size: Number(r.size ?? 0), compressed: !!r.compressed,
      dev: strOrNullValue(r.dev), ino: strOrNullValue(r.ino), mtime_ms: r.mtime_ms === null ? null : Number(r.mtime_ms),
    }));
  }

  /** Checkpoint lengths under the fingerprint size in use (small inputs). */
  async shortCheckpointLengths(limit: number): Promise<number[]> {
    const rows = await this.all(`SELECT DISTINCT end_offset AS n FROM checkpoints WHERE end_offset < $1 ORDER BY n`, [limit]);
    return rows.map((r) => Number(r.n));
  }

  /** Log time span per device seen in one input of this run. */
  async addDeviceCoverage(runId: string, inputId: string, rows: Array<{ device: string; first: number | null; last: number | null; flows: number }>): Promise<void> {
    if (rows.length === 0) return;
    const ap = await this.connection.createAppender('device_coverage');
    for (const r of rows) {
      str(ap, runId); str(ap, inputId); str(ap, r.device);
      if (r.first === null) ap.appendNull(); else ap.appendValue(tsValue(r.first), TIMESTAMP);
      if (r.last === null) ap.appendNull(); else ap.appendValue(tsValue(r.last), TIMESTAMP);
      big(ap, r.flows);
      ap.endRow();
    }
    ap.closeSync();
  }

  /**
   * Writes the flows table as Parquet partitioned by UTC day (`DIR/day=YYYY-MM-DD/*.parquet`; flows without a
   * timestamp go to `day=NULL`). COPY cannot bind its target, so the path is quoted (see sqlStringLiteral).
   * Returns the number of flows written.
   */
  async exportParquet(dir: string, opts: { overwrite?: boolean } = {}): Promise<number> {
    this.flushFlows();
    const target = sqlStringLiteral(dir);
    const options = ['FORMAT parquet', 'PARTITION_BY (day)', 'COMPRESSION zstd'];
    if (opts.overwrite) options.push('OVERWRITE_OR_IGNORE true');
    await this.connection.run(
      `COPY (SELECT *, strftime(ts, '%Y-%m-%d') AS day FROM flows ORDER BY ts) TO ${target} (${options.join(', ')})`);
    const [n] = await this.all(`SELECT count(*) AS n FROM flows`);
    return Number(n?.n ?? 0);
  }

  async close(): Promise<void> {
    if (this.inTransaction) await this.abortRun();
    if (this.flowAppender) {
      this.writeChunk();
      this.closeAppenders(true);
    }
    this.connection.closeSync();
    this.instance.closeSync();
    removeTempDir(this.tempDir);
  }
}

/**
 * A DuckDB string literal for places that cannot take a bound parameter (COPY targets, ATTACH paths):
 * single quotes doubled; control characters refused (they have no business in a path and hide tricks).
 */
export function sqlStringLiteral(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new StoreError(`refusing a path with control characters: ${JSON.stringify(text)}`, text);
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Opens a store that must already exist (report, query, export). Read-only by default; a store written by an
 * older fwaudit is migrated first (that needs one read-write open).
 */
export async function openExistingStore(path: string, opts: { readOnly?: boolean; waitSeconds?: number; query?: boolean } = {}): Promise<Store> {
  const { existsSync } = await import('node:fs');
  if (path !== ':memory:' && !existsSync(path)) throw new StoreError('no such store (create one with `fwaudit analyze --db FILE` or `fwaudit ingest`)', path);
  const readOnly = opts.readOnly ?? true;
  if (!readOnly) return Store.open(path, { waitSeconds: opts.waitSeconds });
  try {
    return await Store.open(path, { readOnly: true, waitSeconds: opts.waitSeconds, query: opts.query });
  } catch (e) {
    if (!(e instanceof OlderSchemaError)) throw e;
    await (await Store.open(path, { waitSeconds: opts.waitSeconds })).close();
    return Store.open(path, { readOnly: true, waitSeconds: opts.waitSeconds, query: opts.query });
  }
}

/** A store with an older schema opened read-only: one read-write open migrates it. */
export class OlderSchemaError extends StoreError {}

function str(ap: DuckDBAppender, v: string | null | undefined): void {
  if (v === null || v === undefined) ap.appendNull(); else ap.appendVarchar(v);
}
function int(ap: DuckDBAppender, v: number | null | undefined): void {
  if (v === null || v === undefined || !Number.isFinite(v)) ap.appendNull(); else ap.appendInteger(Math.trunc(v));
}
function big(ap: DuckDBAppender, v: number | null | undefined): void {
  if (v === null || v === undefined || !Number.isFinite(v)) ap.appendNull(); else ap.appendBigInt(BigInt(Math.trunc(v)));
}
function ts(ap: DuckDBAppender, v: string | null | undefined): void {
  const ms = toMs(v);
  if (ms === null) ap.appendNull(); else ap.appendValue(tsValue(ms), TIMESTAMP);
}

async function migrate(c: DuckDBConnection, path: string, readOnly: boolean): Promise<{ version: number; from: number | null }> {
  const tables = (await c.runAndReadAll(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()`))
    .getRowObjectsJS().map((r) => String(r.table_name));
  let current = 0;
  if (tables.includes('schema_version')) {
    const r = (await c.runAndReadAll(`SELECT max(version) AS v FROM schema_version`)).getRowObjectsJS();
    current = Number(r[0]?.v ?? 0);
  } else if (tables.length > 0) {
    throw new StoreError(`not a fwaudit store (tables ${tables.slice(0, 5).join(', ')} but no schema_version)`, path);
  }
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      `store schema version ${current} is newer than this fwaudit supports (${SCHEMA_VERSION}); upgrade fwaudit to read it`, path);
  }
  if (current === SCHEMA_VERSION) return { version: current, from: null };
  if (readOnly) {
    throw new OlderSchemaError(`store schema version ${current} is older than ${SCHEMA_VERSION}; open it read-write once to migrate`, path);
  }
  const from = current === 0 ? null : current;
  // A migration rewrites whole tables once: it runs with a larger DuckDB budget than the writer's (a small budget
  // made the v4 conversion fail now and then with "Out of Memory" even on a tiny store), then the budget is restored.
  const budget = (await c.runAndReadAll(`SELECT current_setting('memory_limit') AS m`)).getRowObjectsJS()[0]?.m;
  if (from !== null && process.env['FWAUDIT_DUCKDB_MEMORY'] === undefined) await c.run(`SET memory_limit = '1GB'`);
  try {
    await runMigrations(c, path, current);
  } finally {
    if (typeof budget === 'string' && /^[0-9. A-Za-z]+$/.test(budget)) await c.run(`SET memory_limit = '${budget}'`);
  }
  return { version: SCHEMA_VERSION, from };
}

async function runMigrations(c: DuckDBConnection, path: string, current: number): Promise<void> {
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await c.run('BEGIN TRANSACTION');
    let step = '';
    try {
      for (const s of m.statements) {
        step = s.replace(/\s+/g, ' ').slice(0, 60);
        await c.run(s);
      }
      await c.run(`INSERT INTO schema_version VALUES ($1, now()::TIMESTAMP, $2)`, [m.version, m.description]);
      await c.run('COMMIT');
    } catch (e) {
      await c.run('ROLLBACK');
      throw new StoreError(`migration to schema version ${m.version} failed (at "${step}…"): ${(e as Error).message}`, path);
    }
  }
}
