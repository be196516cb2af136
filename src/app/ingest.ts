/**
 * Ingest use case: reads inputs into the DuckDB store as one run (shared by `ingest`, `analyze --db` and `run`).
 *
 * - A run is one transaction: a crash, a full disk or any store error leaves the store as it was before it.
 * - Per input file a checkpoint decision (src/store/checkpoints.ts): skip what was read before (also a renamed
 *   or gzip-rotated copy), read only the lines after the checkpoint of a log that grew, read a replaced file
 *   anew. Lines outside the decided range are neither matched nor stored.
 * - Every flow of the range goes through the matcher; the `keep` filter decides which flows are stored
 *   (default: denied flows plus flows that matched a requirement, labelled in `flows.matched`).
 * - Per input the log time span of each device that logged (device_coverage) is stored.
 * - An input that could not be read at all is recorded for coverage with no checkpoint, so it is retried.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BugError, FwauditError, StoreError } from '../model/errors.js';
import type { Flow } from '../model/flow.js';
import type { Ruleset } from '../model/ruleset.js';
import type { Inventory } from '../inventory/load.js';
import { loadContext } from './context.js';
import { Matcher, type MatchResult } from '../matcher/matcher.js';
import { expandInputsDetailed } from '../pipeline/inputs.js';
import { BATCH_TEXT, FlowBatchView, NUM, STR } from '../pipeline/flow-batch.js';
import { intToIpv4 } from '../model/ip.js';
import { IntMap } from '../store/int-map.js';
import { emptySummary, readFlows, type InputSummary, type Progress, type ReadOptions } from '../pipeline/run.js';
import { localSide } from '../store/flow-table.js';
import { flowFilter, keepRule, Store, type InputIdentity, type Keep } from '../store/store.js';
import { anewWhole, candidateFingerprints, decide, fileFacts, FINGERPRINT_BYTES, readHead, type ContentScan, type Decision } from '../store/checkpoints.js';
import { VERSION } from '../version.js';

export interface IngestContext {
  rulesets: Ruleset[];
  inventory: Inventory | null;
  read: ReadOptions;
  keep?: Keep;
  onProgress?: (p: Progress) => void;
  /** stdin for the input `-` (copied to a temporary file first). */
  stdin?: NodeJS.ReadableStream;
  /** Clock for the settle rule of a last line without newline (tests). */
  now?: number;
}

export interface InputOutcome {
  file: string;
  decision: 'anew' | 'resume' | 'skip' | 'unreadable';
  /** Lines of the input before this run's part, and the last line read (both 0 when nothing read). */
  startLine: number;
  endLine: number;
}

export interface IngestResult {
  runId: string;
  result: MatchResult;
  /** Summaries of the inputs read in this run (archives give one per member). */
  summaries: InputSummary[];
  /** Input files skipped because their content is already in the store. */
  alreadyIngested: string[];
  /** What was decided per input file. */
  outcomes: InputOutcome[];
  /** Flows written to the store in this run. */
  stored: number;
  /** Lines and flows in the part read (lines before a checkpoint are not counted). */
  lines: number;
  flows: number;
}

/** The device that logged a flow: its device, else for host firewall logs the local address. */
export function logDevice(f: Flow): string | null {
  if (f.device) return f.device;
  const side = localSide(f.format, f.direction);
  return side === 'dst' ? f.dst_ip : side === 'src' ? f.src_ip : null;
}

interface DeviceSpan { device: string; first: number | null; last: number | null; flows: number }

/**
 * The log time span per device (as logDevice and `take`) of a worker's batch rows: the device text when not empty, else
 * for host firewall logs (winfw, wfp) the local address, else '(unknown device)'. Each text of a batch is resolved
 * once, IPv4 local addresses by their integer; counts and times are kept in typed arrays (a double stored per row
 * into an object field would allocate) and added to the input's `devices` by `finish`.
 */
export class BatchCoverage {
  private v: FlowBatchView | null = null;
  /** Per string id of the batch: its device index + 1 (0: not looked up). */
  private byId = new Int32Array(256);
  /** Per string id: 0 not computed, 1 a host firewall format (else 2); direction: 0 not computed, 1 inbound, 2 outbound, 3 other. */
  private host = new Uint8Array(256);
  private dir = new Uint8Array(256);
  private readonly byIp4 = new IntMap();
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private flows = new Float64Array(64);
  /** NaN: no time yet. */
  private first = new Float64Array(64);
  private last = new Float64Array(64);
  private unknown = -1;

  useBatch(v: FlowBatchView): void {
    this.v = v;
    const k = v.strings.length;
    if (this.byId.length < k) { this.byId = new Int32Array(k * 2); this.host = new Uint8Array(k * 2); this.dir = new Uint8Array(k * 2); }
    else { this.byId.fill(0, 0, k); this.host.fill(0, 0, k); this.dir.fill(0, 0, k); }
  }

  private of(dev: string): number {
    let i = this.index.get(dev);
    if (i === undefined) {
      i = this.names.length;
      this.index.set(dev, i);
      this.names.push(dev);
      if (i === this.flows.length) {
        const grow = (a: Float64Array) => { const b = new Float64Array(a.length * 2); b.set(a); return b; };
        this.flows = grow(this.flows); this.first = grow(this.first); this.last = grow(this.last);
      }
      this.flows[i] = 0; this.first[i] = NaN; this.last[i] = NaN;
    }
    return i;
  }
  private ofId(id: number): number {
    const i = this.byId[id]!;
    if (i > 0) return i - 1;
    const j = this.of(this.v!.strings[id]!);
    this.byId[id] = j + 1;
    return j;
  }

  add(r: number): void {
    const v = this.v!, st = v.str, s = r * STR, o = r * NUM, m = v.mask[r]!;
    const dev = st[s + BATCH_TEXT.device]!;
    let c = -1;
    if (dev >= 0 && v.strings[dev] !== '') c = this.ofId(dev);
    else {
      const f = st[s + BATCH_TEXT.format]!, d = st[s + BATCH_TEXT.direction]!;
      let h = this.host[f]!;
      if (h === 0) { const t = v.strings[f]!; h = this.host[f] = t.startsWith('winfw') || t.startsWith('wfp') ? 1 : 2; }
      let side = 3;
      if (h === 1 && d >= 0) {
        side = this.dir[d]!;
        if (side === 0) { const t = v.strings[d]; side = this.dir[d] = t === 'inbound' ? 1 : t === 'outbound' ? 2 : 3; }
      }
      if (side !== 3) {
        const a4 = side === 1 ? (m & 64 ? v.num[o + 7]! : -1) : (m & 32 ? v.num[o + 6]! : -1);
        if (a4 >= 0) {
          c = this.byIp4.get(a4);
          if (c < 0) { c = this.of(intToIpv4(a4)); this.byIp4.set(a4, c); }
        } else {
          const t = st[s + (side === 1 ? BATCH_TEXT.dst_ip : BATCH_TEXT.src_ip)]!;
          if (t >= 0) c = this.ofId(t);
        }
      }
    }
    if (c < 0) c = this.unknown >= 0 ? this.unknown : (this.unknown = this.of('(unknown device)'));
    this.flows[c] = this.flows[c]! + 1;
    if (!(m & 1)) {
      const ts = v.num[o]!;
      if (Number.isFinite(ts)) {
        const f = this.first[c]!, l = this.last[c]!;
        if (f !== f || ts < f) this.first[c] = ts;
        if (l !== l || ts > l) this.last[c] = ts;
      }
    }
  }

  /** Adds the spans counted so far to `devices` (the input's: flows added, times widened). */
  finish(devices: Map<string, DeviceSpan>): void {
    for (let i = 0; i < this.names.length; i++) {
      const dev = this.names[i]!;
      let c = devices.get(dev);
      if (!c) devices.set(dev, (c = { device: dev, first: null, last: null, flows: 0 }));
      c.flows += this.flows[i]!;
      const f = this.first[i]!, l = this.last[i]!;
      if (f === f && (c.first === null || f < c.first)) c.first = f;
      if (l === l && (c.last === null || l > c.last)) c.last = l;
    }
  }
}

/** A store write or read: DuckDB's own errors (I/O, full disk) become StoreErrors (exit 2). */
async function storeStep<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FwauditError) throw e;
    throw new StoreError(`store write failed: ${(e as Error).message}`, store.path);
  }
}

/** One summary for the inputs table from the summaries of one input file (several for an archive). */
function mergeSummaries(path: string, list: InputSummary[]): InputSummary {
  if (list.length === 1) return list[0]!;
  const uniq = (xs: Array<string | null>) => [...new Set(xs.filter((x): x is string => x !== null))].join(',') || null;
  const notes: Record<string, number> = {};
  for (const s of list) for (const [k, v] of Object.entries(s.notes)) notes[k] = (notes[k] ?? 0) + v;
  return {
    ...emptySummary(path, null), blank: list.reduce((n, s) => n + s.blank, 0), compressed: list.some((s) => s.compressed),
    file: path, format: uniq(list.map((s) => s.format)), dialect: uniq(list.map((s) => s.dialect)),
    encoding: uniq(list.map((s) => s.encoding)), container: uniq(list.map((s) => s.container)),
    lines: list.reduce((n, s) => n + s.lines, 0), flows: list.reduce((n, s) => n + s.flows, 0),
    bytes: list.reduce((n, s) => n + s.bytes, 0), skipped: list.flatMap((s) => s.skipped), notes,
    error: list.map((s) => s.error && `${s.file}: ${s.error}`).filter(Boolean).join('; ') || null,
  };
}

/** Copies stdin to a temporary file so that it gets a checkpoint like any file. */
async function spoolStdin(stdin: NodeJS.ReadableStream): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fwaudit-stdin-'));
  const path = join(dir, 'stdin');
  await pipeline(stdin, createWriteStream(path));
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

interface Decided {
  decision: Decision; facts: Awaited<ReturnType<typeof fileFacts>>; head: Buffer;
  /** A plain file read anew to its end: its scan (anewWhole), to run beside the read; `decision.scan` is then a placeholder. */
  later: (() => Promise<ContentScan>) | null;
}

async function decideFor(store: Store, path: string, now: number, early: boolean): Promise<Decided | null> {
  let facts;
  try { facts = await fileFacts(path); } catch { return null; /* the reader reports why */ }
  let head: Buffer;
  try { head = await readHead(path, facts.container); } catch { return null; /* corrupt gzip: the reader reports it */ }
  const fps = candidateFingerprints(head, facts.container, await storeStep(store, () => store.shortCheckpointLengths(FINGERPRINT_BYTES)));
  const candidates = await storeStep(store, () => store.checkpointsFor(fps));
  try {
    const whole = early ? await anewWhole(path, facts, head, candidates, now) : null;
    if (whole) return { decision: { kind: 'anew', scan: { fingerprint: '', endOffset: facts.size, endLine: Infinity, prefixHash: '', contentLength: facts.size, at: new Map() } }, facts, head, later: whole.scan };
    return { decision: await decide(path, facts, head, candidates, now), facts, head, later: null };
  } catch {
    return null;
  }
}

/**
 * Ingests `inputs` into `store` as one run. Never throws for bad input (see the summaries); throws StoreError
 * (and anything else) after rolling the run back.
 */
export async function ingestInto(store: Store, inputs: string[], ctx: IngestContext): Promise<IngestResult> {
  const rulesetVersions = Object.fromEntries(ctx.rulesets.map((r) => [r.id, r.version ?? '']));
  const runId = await storeStep(store, () => store.beginRun({ fwauditVersion: VERSION, rulesetVersions }));
  try {
    return await ingestRun(store, runId, inputs, ctx);
  } catch (e) {
    await store.abortRun();
    throw e;
  }
}

async function ingestRun(store: Store, runId: string, inputs: string[], ctx: IngestContext): Promise<IngestResult> {
  const matcher = new Matcher(ctx.rulesets, ctx.inventory, { tz: ctx.read.tz });
  const before = store.appendedFlows;
  const summaries: InputSummary[] = [];
  const alreadyIngested: string[] = [];
  const outcomes: InputOutcome[] = [];
  let inputsRead = 0, lines = 0, flows = 0;
  // Symbolic links outside a walked directory are not read (unless --follow-symlinks) and are reported.
  const expanded = expandInputsDetailed(inputs, { followSymlinks: ctx.read.followSymlinks === true });
  const files = expanded.files;
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    let readPath = file;
    let cleanup: (() => Promise<void>) | null = null;
    if (file === '-') ({ path: readPath, cleanup } = await spoolStdin(ctx.stdin ?? process.stdin));
    try {
      // (a plain file new to the store and read whole may be scanned beside the pool's read: not with --jobs 1)
      const d = await decideFor(store, readPath, ctx.now ?? Date.now(), ctx.read.jobs !== 1);
      if (d?.decision.kind === 'skip') {
        alreadyIngested.push(file);
        outcomes.push({ file, decision: 'skip', startLine: d.decision.checkpoint.end_line, endLine: d.decision.checkpoint.end_line });
        continue;
      }
      let scan = d ? d.decision.scan : null;
      const startLine = d?.decision.kind === 'resume' ? d.decision.checkpoint.end_line : 0;
      // Archives are read whole; other inputs up to the scanned end (a line still being written waits).
      let endLine = scan && d!.facts.container !== 'zip' ? scan.endLine : Infinity;
      const idOf = (s: ContentScan | null) => s ? `${s.prefixHash.slice(0, 32)}:${startLine}-${s.endLine}` : `unreadable:${file}#${runId}`;
      let inputId = idOf(scan);
      const ident: InputIdentity = { id: inputId, size: d?.facts.size ?? 0, path: file };
      /**
       * A file new to the store, read whole: its scan (the checkpoint: prefix hash and line count of its `size` bytes)
       * runs beside the read, which delivers no flow before the scan has named the input (`ready`). A scan that fails
       * leaves the input without checkpoint, as an unreadable one (the next run reads it again).
       */
      const ready = d?.later ? d.later().then((s) => { scan = s; }, () => { scan = null; }).then(() => {
        inputId = ident.id = idOf(scan);
        if (scan) endLine = scan.endLine;
        store.trackInput(ident);
      }) : null;
      if (!ready) store.trackInput(ident);
      let matched: string | null = null;
      const keep = flowFilter(ctx.keep, () => matched !== null);
      const keepRow = keepRule(ctx.keep);
      const devices = new Map<string, { device: string; first: number | null; last: number | null; flows: number }>();
      let inRange = 0;
      const onProgress = ctx.onProgress ? (p: Progress) => ctx.onProgress!({ ...p, fileIndex: i, files: files.length }) : undefined;
      let outOfRange = 0;
      const cover = new BatchCoverage();
      const keepAll = ctx.keep === 'all';
      let sel = new Int32Array(0);
      /** A flow of the range with the requirements it matched (matched here, or by a worker thread). */
      const take = (f: Flow, m: string | null) => {
        inRange++;
        if (cleanup) f.file = '-';
        const dev = logDevice(f) ?? '(unknown device)';
        let c = devices.get(dev);
        if (!c) devices.set(dev, (c = { device: dev, first: null, last: null, flows: 0 }));
        c.flows++;
        if (f.ts !== null && Number.isFinite(f.ts)) {
          if (c.first === null || f.ts < c.first) c.first = f.ts;
          if (c.last === null || f.ts > c.last) c.last = f.ts;
        }
        matched = m;
        if (keep(f)) store.appendFlow(f, inputId, m);
      };
      const onFlow = (f: Flow) => {
        if (f.line <= startLine || f.line > endLine) return;
        take(f, matcher.observeMatched(f));
      };
      // Both cores: a plain file read whole from its start, to the end its checkpoint scan saw, is parsed and matched
      // in the worker pool (each flow comes back with its matched set, in input order; their matcher states are
      // merged into `matcher`), this thread stores. Anything else (a resumed log, a held last line, gzip, archives,
      // small files, --jobs 1) is read and matched here, flow by flow.
      const whole = d !== null && d.decision.kind === 'anew' && scan !== null && d.facts.container === 'plain' && scan.endOffset === d.facts.size;
      const match: ReadOptions['match'] = whole ? {
        wire: { rulesets: ctx.rulesets, inventory: ctx.inventory, ...(ctx.read.tz ? { tz: ctx.read.tz } : {}) }, into: matcher,
        flows: {
          size: d.facts.size,
          onBatch: (b, lineOffset, from) => {
            const v = new FlowBatchView(b);
            const file = cleanup ? '-' : null;
            cover.useBatch(v);
            if (sel.length < v.n) sel = new Int32Array(v.n);
            const num = v.num, st = v.str;
            let count = 0;
            for (let r = from; r < v.n; r++) {
              const line = num[r * NUM + 5]! + lineOffset;
              if (line <= startLine || line > endLine) { outOfRange++; continue; }
              inRange++;
              cover.add(r); // as logDevice(f) and take(f): the log time span per device
              if (keepAll || keepRow(v.strings[st[r * STR + BATCH_TEXT.action]!]!, st[r * STR + BATCH_TEXT.matched]! >= 0)) sel[count++] = r;
            }
            if (count > 0) store.appendBatch(v, sel, count, lineOffset, inputId, file);
          },
        },
      } : undefined;
      // (afterChunk: awaited between batches, when no row is being appended: the store hands free memory back there)
      const got = await readFlows([readPath], { ...ctx.read, onProgress, afterChunk: async () => { await store.releaseIfDue(); }, ...(match ? { match } : {}), ...(ready ? { ready } : {}) }, onFlow);
      cover.finish(devices);
      if (ready) await ready; // (settled before the first flow, or the read delivered none)
      // (cannot happen: the pool reads exactly the bytes the scan counted; the worker matched these flows)
      if (outOfRange > 0) throw new BugError(`${outOfRange} flow(s) beyond the checkpoint scan's ${endLine} lines were matched: ${file}`);
      store.throwIfFailed();
      if (cleanup) {
        for (const s of got) {
          s.file = '-';
          for (const g of s.skipped) g.first.file = '-';
        }
      }
      const merged = mergeSummaries(file, got);
      const linesRead = Number.isFinite(endLine) ? Math.max(0, Math.min(merged.lines, endLine) - startLine) : merged.lines;
      const partSummary: InputSummary = { ...merged, lines: linesRead, flows: inRange };
      summaries.push(...(got.length === 1 ? [partSummary] : got));
      inputsRead++;
      lines += linesRead;
      flows += inRange;
      const unreadable = merged.error !== null && merged.flows === 0;
      outcomes.push({ file, decision: unreadable || !scan ? 'unreadable' : d!.decision.kind as 'anew' | 'resume', startLine, endLine: scan ? scan.endLine : 0 });
      // Nothing read and an error: recorded for coverage under a per-run id and no checkpoint, so the next run retries.
      const recordAs = unreadable ? { ...ident, id: `${inputId}#error-${runId}` } : ident;
      await storeStep(store, () => store.addInput(partSummary, recordAs, runId, { start: startLine, end: scan ? scan.endLine : 0 }));
      await storeStep(store, () => store.addDeviceCoverage(runId, recordAs.id, [...devices.values()]));
      const sc: ContentScan | null = scan;
      if (sc && !unreadable) {
        await storeStep(store, () => store.addCheckpoint(runId, {
          input_id: recordAs.id, path: file, fingerprint: sc.fingerprint, start_line: startLine, end_offset: sc.endOffset,
          end_line: sc.endLine, prefix_hash: sc.prefixHash, size: d!.facts.size, compressed: d!.facts.container !== 'plain',
          dev: d!.facts.dev, ino: d!.facts.ino, mtime_ms: d!.facts.mtimeMs,
        }));
      }
    } finally {
      if (cleanup) await cleanup();
    }
  }
  const result = matcher.result();
  const skipped = summaries.reduce((n, s) => n + s.skipped.reduce((m, g) => m + g.count, 0), 0);
  const storedNow = store.appendedFlows - before;
  await store.finishRun(runId, result.findings, result.requirements, { inputs: inputsRead, lines, flows, skipped });
  for (const r of expanded.refused) summaries.push(emptySummary(r.path, r.reason));
  return { runId, result, summaries, alreadyIngested, outcomes, stored: storedNow, lines, flows };
}

/** Rulesets, inventory and hosts from the usual options (ConfigError on bad files): the one context loader. */
export async function loadAnalysisConfig(o: { ruleset?: string[]; inventory?: string; hosts?: string }): Promise<{ rulesets: Ruleset[]; inventory: Inventory | null }> {
  return loadContext(o);
}
