/**
 * Both cores: `readFlows` hands its inputs to this pool of worker threads when `jobs` > 1 and the input
 * is large enough to pay for the workers' start (several files, or one large file).
 *
 * - Work units: every input is a task (`whole`: read by the ordinary reader inside a worker), except a
 *   large plain UTF-8 file of a line format whose state across lines is known (iptables syslog lines,
 *   pfirewall.log, PAN-OS syslog), which is cut at line boundaries into byte ranges parsed in parallel.
 * - Order and contract: flows reach `onFlow` in exactly the single-threaded order (files in order, lines in
 *   order); summaries are the same (lines, flows, skipped groups with their first `file:line`, notes).
 *   Line numbers of a range are shifted by the lines of the ranges before it.
 * - State across a cut is checked, not assumed: a range starts with the `#Fields:` lines seen before it
 *   (replayed silently) and the year-inference state before it (`--year` and a December → January step).
 *   Where the state a range was started with turns out different from the one the ranges before it end
 *   with, the range is parsed again with the right state before any of its flows is delivered.
 * - Threads: `jobs` counts this thread, which runs `onFlow` (matching, writing), and `jobs - 1` parsing
 *   workers (at least one).
 * - Memory is flat: at most 2 tasks per worker (+1) are in flight, a worker pauses after MAX_UNACKED batches that
 *   the main thread has not consumed yet, and batch buffers go back to their worker for reuse.
 * - Flows cross threads as columnar batches whose buffers are transferred (src/pipeline/flow-batch.ts).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { closeSync, existsSync, openSync, promises as fsp, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Flow } from '../model/flow.js';
import { BugError, FwauditError, isBrokenPipe } from '../model/errors.js';
import { FINGERPRINT_BYTES, fingerprintOf } from './checkpoint.js';
import { escapeText } from '../model/sanitize.js';
import { defaultTimeZone } from '../model/time.js';
import type { Detection } from '../../parsers/types.js';
import { binaryRatio, sniffEncoding } from './decode.js';
import { detectFormat, type InputSummary, type ReadOptions, type SkipGroup } from './run.js';
import { READ_SIZE } from './sources.js';
import { readFlowBatch } from './flow-batch.js';
import type { EarlyWorkerData, FromWorker, PoolWorkerData, RangeResult, ToWorker, WireReadOptions, YearState } from './worker.js';
import { expandInputsDetailed } from './inputs.js';
import type { MatcherPartial, MatcherSeed } from '../matcher/partial.js';

export interface PoolTuning {
  /** Nominal size of a byte range of a split file. */
  rangeBytes: number;
  /** Files at least this large are split (when their format allows). */
  splitMinBytes: number;
  /** Below this total input size the pool is not used (its start costs more than it saves). */
  minTotalBytes: number;
  /** Cut large line files into byte ranges (default on). */
  split?: boolean;
  /**
   * Nominal range size when the workers match (analyze): every task returns its matcher state, merged in
   * this thread (up to maxGroups port-only groups each), so fewer, larger ranges cost less.
   */
  matchRangeBytes?: number;
  /**
   * Nominal range size when the workers render (parse to JSON Lines / CSV): the output of a range must fit in
   * what a worker may have waiting in the main thread (worker.ts MAX_UNACKED_TEXT), or the worker ahead stops.
   */
  encodeRangeBytes?: number;
  /** Old-generation bound of a worker in MB (default 64 + this thread's heap); a worker that exceeds it is replaced by an unbounded one. */
  workerHeapMb?: number;
  /**
   * Cut the inputs so that no worker is idle at the end (guided: a range is a share of every input byte left from its
   * start, (bytes left) / (2 × workers), between minBytes (default 4 MiB) and rangeBytes: large ranges first, smaller and
   * smaller ones toward the end, so the last tasks the workers finish are short); a file's last range is never a sliver
   * (the rest of a file up to 1.25 ranges is one range, up to 2 ranges two halves): each task costs a Matcher and a
   * merge of its state.
   */
  balance?: { workers: number; totalBytes: number; minBytes?: number };
  /** Filled in when given: how the work was cut (for tests and the bench). */
  stats?: PoolStats;
}

export interface PoolStats {
  workers: number; wholeTasks: number; ranges: number; reruns: number; outOfMemory?: number;
  /** Bytes of every task in input order (a whole input: its size). */
  taskBytes?: number[];
}

export const DEFAULT_TUNING: PoolTuning = { rangeBytes: 4 << 20, matchRangeBytes: 32 << 20, encodeRangeBytes: 3 << 19, splitMinBytes: 24 << 20, minTotalBytes: 16 << 20, split: true };

/**
 * Threads by default: FWAUDIT_JOBS when set; else, when the workers do the whole job (analyze: they match;
 * ingest of a plain file new to the store: they match and send each flow with its matched set, this thread only
 * stores; parse to JSON Lines / CSV: they render), one per core; else 1. Where the main thread still takes every flow
 * (diagnose, ingest of a resumed log: flows rebuilt from batches and matched or stored here) the pool measured
 * 0.86-0.92x one thread, so it stays opt-in there (--jobs N). Small inputs stay on one thread whatever this says
 * (DEFAULT_TUNING.minTotalBytes: the workers' start costs more than they save).
 */
export function defaultJobs(opts: Pick<ReadOptions, 'match' | 'encode'> = {}): number {
  const env = Number(process.env['FWAUDIT_JOBS']);
  if (Number.isInteger(env) && env >= 1) return env;
  return opts.match || opts.encode ? Math.max(1, availableParallelism()) : 1;
}

/**
 * Formats whose line parser carries no state from one line to the next other than what the pool
 * replays: the year inference (all of them) and the lines starting with `contextPrefix`.
 */
const SPLITTABLE: Record<string, { contextPrefix: string | null; dialects?: (d: string) => boolean }> = {
  iptables: { contextPrefix: null, dialects: (d) => d !== 'journal-export' && d !== 'wazuh-ini' },
  winfw: { contextPrefix: '#Fields:' },
  'panos-syslog': { contextPrefix: null },
};

const HEAD_SIZE = 64 * 1024;

/** This thread's heap above which a full collection runs before the workers start. */
const GC_BEFORE_WORKERS_BYTES = 40 << 20;
let gcFn: (() => void) | null | undefined;
/** A full garbage collection of this thread's heap (V8's `gc`, exposed once; nothing when it cannot be). */
function collectGarbage(): void {
  if (gcFn === undefined) {
    gcFn = null;
    try {
      const g = (globalThis as { gc?: () => void }).gc;
      if (typeof g === 'function') gcFn = g;
      else {
        setFlagsFromString('--expose-gc');
        const f = runInNewContext('gc') as unknown;
        if (typeof f === 'function') gcFn = f as () => void;
      }
    } catch { gcFn = null; }
  }
  gcFn?.();
}

function workerUrl(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return here.replace(/pool\.js$/, 'worker.js');
  // running from TypeScript sources (tests): the worker is the built one
  const built = here.replace(/([/\\])src([/\\])pipeline([/\\])pool\.ts$/, '$1dist$1src$2pipeline$3worker.js');
  if (!existsSync(built)) throw new BugError(`worker thread script not built: ${built} (npm run build)`);
  return built;
}

/**
 * Workers started before the pool knows its work (`startWorkersEarly`): a use case starts them before it loads its
 * rulesets and inventory, so that their start (a thread, an isolate, the parser and matcher modules) runs beside
 * that loading instead of after it. `readFlowsPooled` takes them (`ReadOptions.earlyWorkers`) and sends each its
 * data as its first message (`init`); whoever started them calls `release` once the read is over (every worker not
 * taken is terminated; a taken one is the pool's).
 */
export class EarlyWorkers {
  private readonly idle: Array<{ w: Worker; failed: boolean; onError: (e: Error) => void; onExit: (code: number) => void }> = [];
  constructor(readonly kind: EarlyWorkerData['early'], readonly resourceLimits: ResourceLimits, n: number) {
    const url = workerUrl();
    for (let i = 0; i < n; i++) {
      const w = new Worker(url, { workerData: { early: kind } satisfies EarlyWorkerData, resourceLimits });
      // (a worker that fails before it is taken is not taken: the pool starts one of its own, whose failure it reports)
      const e = { w, failed: false, onError: () => { e.failed = true; }, onExit: () => { e.failed = true; } };
      w.on('error', e.onError);
      w.on('exit', e.onExit);
      this.idle.push(e);
    }
  }

  get size(): number { return this.idle.length; }

  /** A started worker that has not failed (its events are the caller's from now on), else null. */
  take(): Worker | null {
    for (let e = this.idle.shift(); e; e = this.idle.shift()) {
      e.w.off('error', e.onError);
      e.w.off('exit', e.onExit);
      if (!e.failed) return e.w;
      e.w.on('error', () => {}); // (terminated below; nothing more to report)
      void e.w.terminate();
    }
    return null;
  }

  /** Terminates every worker not taken (settles once they are gone). */
  async release(): Promise<void> {
    const left = this.idle.splice(0);
    await Promise.all(left.map((e) => e.w.terminate()));
  }
}

/**
 * Starts the workers `readFlowsPooled` will take for `inputs` read with `opts` (`kind`: what they will do), when it
 * will most likely use its pool: the same tests it makes before planning (threads, no resumed or held input, no
 * stdin, sizes). Else null. Never throws (a bad input is reported by the read itself).
 */
export function startWorkersEarly(inputs: string[], opts: ReadOptions, kind: 'match' | 'encode', tuning: PoolTuning = opts.poolTuning ?? DEFAULT_TUNING): EarlyWorkers | null {
  try {
    const jobs = Math.max(1, Math.floor(opts.jobs ?? defaultJobs(kind === 'match' ? { match: {} as NonNullable<ReadOptions['match']> } : { encode: {} as NonNullable<ReadOptions['encode']> })));
    if (jobs < 2 || opts.startOffsets?.size || opts.holdPartialLastLine || opts.parsers) return null;
    const expanded = expandInputsDetailed(inputs, { followSymlinks: opts.followSymlinks === true });
    const files = expanded.files;
    if (expanded.refused.length || files.length === 0 || files.includes('-')) return null;
    let total = 0, largest = 0, tasks = 0;
    for (const f of files) {
      let size = 0;
      try { size = statSync(f).size; } catch { /* reported by the reader */ }
      total += size; largest = Math.max(largest, size);
      tasks += tuning.split && size >= tuning.splitMinBytes ? jobs : 1; // (a large file: cut into ranges, at least one per worker)
    }
    if (total < tuning.minTotalBytes || (files.length < 2 && (!tuning.split || largest < tuning.splitMinBytes))) return null;
    return new EarlyWorkers(kind, workerLimits(tuning), Math.min(jobs, tasks));
  } catch {
    return null;
  }
}

/**
 * Bounded memory: a small young generation and an old generation sized to what this thread holds (the compiled rulesets
 * and inventory each worker also holds) plus room for a task's state; without a bound V8 lets every worker's heap grow to
 * ~80 MB of garbage (measured: 3 M lines, 2 workers, 403 → 228 MB).
 */
function workerLimits(tuning: PoolTuning): ResourceLimits {
  return { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: tuning.workerHeapMb ?? 64 + Math.ceil(process.memoryUsage().heapUsed / (1 << 20)) };
}

interface SplitPlan {
  kind: 'split'; path: string; size: number; mtimeMs: number; det: Detection; encoding: string; cuts: number[];
  fingerprint: { fingerprint: string; fingerprintBytes: number }; device: number; inode: number;
  contextPrefix: string | null; headContext: Array<{ at: number; line: string }>;
}
type Plan = { kind: 'whole'; path: string } | SplitPlan;

async function findNewline(fh: fsp.FileHandle, from: number, size: number): Promise<number> {
  const b = Buffer.allocUnsafe(64 * 1024);
  for (let at = from; at < size; ) {
    const { bytesRead } = await fh.read(b, 0, Math.min(b.length, size - at), at);
    if (bytesRead === 0) return -1;
    const i = b.subarray(0, bytesRead).indexOf(10);
    if (i >= 0) return at + i;
    at += bytesRead;
  }
  return -1;
}

/** Offset of the first line at or after `from` (a line start) that starts a record (within 64 lines), else -1. */
async function recordStart(fh: fsp.FileHandle, from: number, size: number, starts: (b: Buffer, s: number, e: number) => boolean): Promise<number> {
  const b = Buffer.allocUnsafe(64 * 1024);
  for (let k = 0; k < 64 && from < size; k++) {
    const { bytesRead } = await fh.read(b, 0, Math.min(b.length, size - from), from);
    if (bytesRead === 0) return -1;
    const nl = b.subarray(0, bytesRead).indexOf(10);
    let e = nl < 0 ? bytesRead : nl;
    if (e > 0 && b[e - 1] === 13) e--;
    if (starts(b, 0, e)) return from;
    if (nl < 0) return -1;
    from += nl + 1;
  }
  return -1;
}

/** What readSource would detect for this file (same head: its first read), and where to cut it (`before`: bytes of the inputs before it, for balancing). */
async function plan(path: string, opts: ReadOptions, t: PoolTuning, before = 0): Promise<Plan> {
  const whole: Plan = { kind: 'whole', path };
  let st;
  try { st = statSync(path); } catch { return whole; }
  if (!t.split || !st.isFile() || st.size < t.splitMinBytes) return whole;
  const fh = await fsp.open(path, 'r').catch(() => null);
  if (!fh) return whole;
  try {
    const head = Buffer.allocUnsafe(Math.min(st.size, READ_SIZE));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < head.length) return whole;
    if ((head[0] === 0x1f && head[1] === 0x8b) || (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)) return whole;
    const enc = sniffEncoding(head);
    if (enc.encoding !== 'utf-8') return whole;
    const all = head.subarray(enc.bomLength);
    const text = all.toString('utf8');
    const nl = text.lastIndexOf('\n');
    const probe = nl > 0 && text.length >= HEAD_SIZE ? text.slice(0, nl + 1) : text;
    const clean = probe.replace(/\0/g, '');
    if (binaryRatio(clean) > 0.1) return whole;
    let picked;
    try { picked = detectFormat(clean, path, opts.format); } catch { return whole; }
    if (!picked || picked.det.framing !== 'lines') return whole;
    const rule = SPLITTABLE[picked.det.format];
    if (!rule || (rule.dialects && !rule.dialects(picked.det.dialect))) return whole;
    const cuts = [enc.bomLength];
    const { mod, det } = picked;
    const bal = t.balance;
    /** Size of the range starting at `start` (balancing: guided, and no sliver at the end of a file). */
    const rangeAt = (start: number): number => {
      if (!bal) return t.rangeBytes;
      const want = Math.min(t.rangeBytes, Math.max(bal.minBytes ?? 4 << 20, Math.ceil((bal.totalBytes - before - start) / (2 * bal.workers))));
      const left = st.size - start;
      return left <= want * 1.25 ? left : left < 2 * want ? Math.ceil(left / 2) : want;
    };
    for (let nominal = enc.bomLength + rangeAt(enc.bomLength); nominal < st.size; ) {
      const nl = await findNewline(fh, nominal - 1, st.size);
      // a range starts at a line that starts a record (no line before it continues onto it: parsers/wrap.ts)
      const at = nl < 0 ? -1 : mod.startsRecord ? await recordStart(fh, nl + 1, st.size, (b, s, e) => mod.startsRecord!(det, b, s, e)) - 1 : nl;
      if (at < 0 || at + 1 >= st.size) break;
      if (at + 1 > cuts[cuts.length - 1]!) cuts.push(at + 1);
      nominal = at + 1 + rangeAt(at + 1);
    }
    cuts.push(st.size);
    if (cuts.length < 3) return whole;
    const headContext: Array<{ at: number; line: string }> = [];
    if (rule.contextPrefix !== null) {
      const p = Buffer.from(rule.contextPrefix);
      for (let pos = 0; pos < all.length; ) {
        const e = all.indexOf(10, pos);
        if (e < 0) break;
        if (all.subarray(pos, pos + p.length).equals(p) || all.subarray(pos, e).includes(0)) {
          let line = all.toString('utf8', pos, e > pos && all[e - 1] === 13 ? e - 1 : e);
          if (line.indexOf('\0') >= 0) line = line.replace(/\0+/g, '');
          if (line.startsWith(rule.contextPrefix)) {
            headContext.push({ at: enc.bomLength + pos, line });
            // a context line wrapped by copy/paste (its next row starts no record: parsers/wrap.ts) is
            // not replayed across ranges: such a paste is read whole
            const qe = all.indexOf(10, e + 1);
            const ce = qe > e + 1 && all[qe - 1] === 13 ? qe - 1 : qe;
            if (qe > e + 1 && ce > e + 1 && mod.startsRecord && !mod.startsRecord(det, all, e + 1, ce)) return whole;
          }
        }
        pos = e + 1;
      }
    }
    return {
      kind: 'split', path, size: st.size, mtimeMs: st.mtimeMs, det: picked.det, encoding: enc.encoding + (enc.bomLength ? ' (BOM)' : ''),
      fingerprint: fingerprintOf(head.subarray(0, FINGERPRINT_BYTES)), device: st.dev, inode: st.ino,
      cuts, contextPrefix: rule.contextPrefix, headContext,
    };
  } finally {
    await fh.close();
  }
}

interface Unit {
  index: number; plan: Plan; summary: InputSummary | null; linesSoFar: number; bytesSoFar: number;
  context: string[]; year: YearState | null; failed: boolean; skips: Map<string, SkipGroup>;
}

interface Task {
  id: number; pos: number; unit: Unit; range: number; // range index for split units, -1 for whole
  msg: ToWorker & { type: 'whole' | 'range' };
  slot: Slot | null; queue: Array<Extract<FromWorker, { type: 'batch' | 'text' }>>;
  done: Extract<FromWorker, { type: 'done-whole' | 'done-range' }> | null;
  cancelled: boolean; checked: boolean; yearOk: boolean; skipFlows: number;
  /** Ingest (match.flows): whether the hostnames learned before this task were checked before its first flow went out. */
  learnedChecked?: boolean;
}

interface Slot { w: Worker; task: Task | null }

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The year of a line of month `m` after a range boundary whose state is `s` (YearInferrer's rule). */
function yearAfter(s: YearState, m: number): number {
  return s.year + (s.lastMonth && m < s.lastMonth && s.lastMonth - m >= 6 ? 1 : 0);
}

/**
 * Reads `files` (already expanded) on worker threads. Returns null when the pool would not help
 * (one small input, stdin); the caller then reads them itself.
 */
export async function readFlowsPooled(
  files: string[], opts: ReadOptions, onFlow: (f: Flow) => void, tuning: PoolTuning = opts.poolTuning ?? DEFAULT_TUNING,
): Promise<InputSummary[] | null> {
  try {
    return await readPooled(files, opts, onFlow, tuning);
  } finally {
    // workers started early and not taken (the pool was not used, or used fewer) are not kept while the read goes on
    await opts.earlyWorkers?.release();
  }
}

async function readPooled(files: string[], opts: ReadOptions, onFlow: (f: Flow) => void, tuning: PoolTuning): Promise<InputSummary[] | null> {
  const jobs = Math.max(1, Math.floor(opts.jobs ?? defaultJobs(opts)));
  if (jobs < 2 || files.length === 0 || files.includes('-')) return null;
  let total = 0, largest = 0;
  const sizes = files.map((f) => { try { return statSync(f).size; } catch { return 0; /* reported by the reader */ } });
  for (const s of sizes) { total += s; largest = Math.max(largest, s); }
  if (total < tuning.minTotalBytes || (files.length < 2 && (!tuning.split || largest < tuning.splitMinBytes))) return null;

  const wire: WireReadOptions = {
    ...(opts.format ? { format: opts.format } : {}), tz: opts.tz ?? defaultTimeZone(), ...(opts.year !== undefined ? { year: opts.year } : {}),
    actionMap: [...(opts.actionMap ?? new Map())], ...(opts.strict ? { strict: true } : {}), ...(opts.timeWindow === false ? { timeWindow: false as const } : {}),
    ...(opts.maxRecordBytes !== undefined ? { maxRecordBytes: opts.maxRecordBytes } : {}), ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}),
  };
  const units: Unit[] = [];
  const tasks: Task[] = [];
  let nextId = 1;
  const byId = new Map<number, Task>();
  const match = opts.match ?? null;
  const encode = match ? null : (opts.encode ?? null);
  // ingest (match.flows): one plain file of the size its checkpoint scan read, cut into ranges (else not pooled)
  const matchFlows = match?.flows ?? null;
  if (matchFlows && (files.length !== 1 || sizes[0] !== matchFlows.size)) return null;
  // (not with match.flows: a worker can run ahead of the head task only by MAX_UNACKED batches per task, so
  // ranges stay small enough to be finished while waiting: nominal 4 MiB, ~17,000 iptables lines, 9 batches)
  if (match && !matchFlows && tuning.matchRangeBytes) tuning = { ...tuning, rangeBytes: Math.max(tuning.rangeBytes, tuning.matchRangeBytes), balance: { workers: jobs, totalBytes: total, ...tuning.balance } };
  if (encode && tuning.encodeRangeBytes) tuning = { ...tuning, rangeBytes: tuning.encodeRangeBytes };
  const makeTask = (unit: Unit, range: number, pos: number, ctx: string[] | null, year: YearState | null, skipFlows = 0, seed?: MatcherSeed): Task => {
    const p = unit.plan;
    let msg: Task['msg'];
    const id = nextId++;
    if (p.kind === 'whole') msg = { type: 'whole', task: id, path: p.path, opts: wire, ...(seed ? { seed } : {}) };
    else {
      const start = p.cuts[range]!;
      const context = ctx ?? p.headContext.filter((c) => c.at < start).map((c) => c.line);
      msg = {
        type: 'range', task: id, path: p.path, name: p.path, start, end: p.cuts[range + 1]!, last: range === p.cuts.length - 2,
        det: p.det, mtimeMs: p.mtimeMs, opts: wire, context, contextPrefix: p.contextPrefix, yearStart: year, ...(seed ? { seed } : {}),
      };
      // rendering: a task made again at the head knows its line base; others count it at dispatch
      if (encode) { if (range === 0) msg.lineBase = 0; else if (ctx !== null) msg.lineBase = unit.linesSoFar; if (skipFlows) msg.skip = skipFlows; }
    }
    const exact = range <= 0 || ctx !== null;
    const t: Task = { id, pos, unit, range, msg, slot: null, queue: [], done: null, cancelled: false, checked: exact, yearOk: exact, skipFlows: encode ? 0 : skipFlows };
    byId.set(id, t);
    return t;
  };
  for (let i = 0, before = 0; i < files.length; before += sizes[i]!, i++) {
    const p = await plan(files[i]!, opts, tuning, before);
    const unit: Unit = { index: i, plan: p, summary: null, linesSoFar: 0, bytesSoFar: 0, context: [], year: opts.year !== undefined ? { year: opts.year, lastMonth: 0 } : null, failed: false, skips: new Map() };
    units.push(unit);
    if (p.kind === 'whole') tasks.push(makeTask(unit, -1, tasks.length, null, null));
    else {
      unit.summary = {
        file: p.path, format: p.det.format, dialect: p.det.dialect, encoding: p.encoding, container: null,
        lines: 0, flows: 0, bytes: 0, skipped: [], notes: {}, error: null,
        blank: 0, preview: null, size: p.size, startOffset: 0, endOffset: null, fingerprint: p.fingerprint.fingerprint,
        fingerprintBytes: p.fingerprint.fingerprintBytes, compressed: false, device: p.device, inode: p.inode,
      };
      for (let r = 0; r < p.cuts.length - 1; r++) tasks.push(makeTask(unit, r, tasks.length, null, null));
    }
  }

  if (tasks.length < 2) return null; // one whole input: nothing to share out
  if (matchFlows && (units[0]!.plan.kind !== 'split' || units[0]!.plan.size !== matchFlows.size)) return null;
  // `jobs` threads: when the workers match (analyze), this thread only merges their results: jobs workers;
  // else this one runs onFlow (matching, writing) beside jobs - 1 parsing workers
  const nWorkers = Math.max(1, Math.min(match || encode ? jobs : jobs - 1, tasks.length));
  if (tuning.stats) {
    Object.assign(tuning.stats, {
      workers: nWorkers, wholeTasks: tasks.filter((t) => t.range < 0).length, ranges: tasks.filter((t) => t.range >= 0).length, reruns: 0,
      taskBytes: tasks.map((t) => t.msg.type === 'range' ? t.msg.end - t.msg.start : sizes[t.unit.index]!),
    });
  }
  const url = workerUrl();
  const slots: Slot[] = [];
  let fatal: Error | null = null;
  let notify: (() => void) | null = null;
  const wakeMain = () => { const n = notify; notify = null; n?.(); };
  // What this thread's heap still holds from loading (a large inventory's YAML document: 25-30 MB measured with a
  // 100,000-entry inventory) is garbage before the workers start: collect it first, so the workers' memory adds to
  // this thread's live data, not to its garbage (peak RSS 303-310 -> 280-286 MB in one run), and the workers' bound
  // (workerLimits) is sized on live data. Only for a heap that large: a full collection of a small heap would gain nothing.
  if (process.memoryUsage().heapUsed > GC_BEFORE_WORKERS_BYTES) collectGarbage();
  const resourceLimits = workerLimits(tuning);
  const workerData: PoolWorkerData = { match: match ? { ...(await import('../matcher/partial.js')).workerMatch(match.wire, match.into), ...(matchFlows ? { flows: true } : {}) } : null, encode: encode ? encode.wire : null };
  const startWorker = (slot: Slot, limited: boolean): void => {
    // a worker started early (already loaded: opts.earlyWorkers) gets its data now; a replacement after an
    // out-of-memory error is a new, unbounded one
    const early = limited ? opts.earlyWorkers?.take() ?? null : null;
    const w = early ?? new Worker(url, limited ? { workerData, resourceLimits } : { workerData });
    if (early) w.postMessage({ type: 'init', data: workerData } satisfies ToWorker);
    slot.w = w;
    w.on('message', (m: FromWorker) => {
      if (slot.w !== w) return;
      const t = byId.get(m.task);
      if (!t) return;
      // (a task cancelled while it ran ends with a failure of its own making: not an error)
      if (m.type === 'failed') { if (!t.cancelled) fatal = new BugError(`worker thread failed: ${m.message}\n${m.stack ?? ''}`); }
      else if (m.type === 'batch' || m.type === 'text') { if (!t.cancelled) t.queue.push(m); }
      else if (!t.cancelled) t.done = m;
      if (m.type !== 'batch' && m.type !== 'text') { if (slot.task === t) slot.task = null; t.slot = null; }
      wakeMain();
    });
    w.on('error', (e) => {
      if (slot.w !== w) return;
      // a task that needs more than the bound (a huge inventory, many confirmed groups): again, unbounded
      if (limited && (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') { outOfMemory(slot); return; }
      fatal = e; wakeMain();
    });
    w.on('exit', (code) => { if (slot.w === w && code !== 0 && !finished) { fatal = fatal ?? new BugError(`worker thread exited with code ${code}`); wakeMain(); } });
  };
  const outOfMemory = (slot: Slot): void => {
    if (tuning.stats) tuning.stats.outOfMemory = (tuning.stats.outOfMemory ?? 0) + 1;
    const t = slot.task;
    slot.task = null;
    startWorker(slot, false);
    if (t && !t.cancelled) {
      t.slot = null;
      if (t.pos === head) rerun(t, delivered.get(t.pos) ?? 0, t.msg.seed);
      else {
        cancel(t);
        tasks[t.pos] = makeTask(t.unit, t.range, t.pos, null, null, 0, t.msg.seed);
        pending.push(t.pos);
        pending.sort((a, b) => a - b);
      }
    }
    wakeMain();
  };
  for (let i = 0; i < nWorkers; i++) {
    const slot = { task: null } as unknown as Slot;
    startWorker(slot, true);
    slots.push(slot);
  }
  let finished = false;

  /** Rendering: lines of a split file before range `r` (its newlines: the cuts are just after one), counted as tasks are dispatched. */
  const counted = new Map<Unit, number[]>();
  const linesBefore = (u: Unit, r: number): number => {
    const p = u.plan as SplitPlan;
    let bases = counted.get(u);
    if (!bases) { bases = [0]; counted.set(u, bases); }
    if (bases.length <= r) {
      const fd = openSync(p.path, 'r');
      try {
        const b = Buffer.allocUnsafe(1 << 20);
        while (bases.length <= r) {
          const k = bases.length - 1;
          let lines = bases[k]!;
          for (let at = p.cuts[k]!, end = p.cuts[k + 1]!; at < end;) {
            const n = readSync(fd, b, 0, Math.min(b.length, end - at), at);
            if (n <= 0) break;
            const part = b.subarray(0, n);
            for (let i = part.indexOf(10); i >= 0; i = part.indexOf(10, i + 1)) lines++;
            at += n;
          }
          bases.push(lines);
        }
      } finally { closeSync(fd); }
    }
    return bases[r]!;
  };

  const window = nWorkers * 2 + 1;
  let head = 0;
  const pending: number[] = tasks.map((_, i) => i); // positions not yet dispatched, ascending
  const dispatch = (): void => {
    for (const s of slots) {
      if (s.task || pending.length === 0 || pending[0]! >= head + window) continue;
      const pos = pending.shift()!;
      const t = tasks[pos]!;
      if (t.unit.failed || t.cancelled) continue;
      s.task = t; t.slot = s;
      if (encode && t.msg.type === 'range' && t.msg.lineBase === undefined) t.msg.lineBase = linesBefore(t.unit, t.range);
      s.w.postMessage(t.msg);
    }
  };
  const cancel = (t: Task): void => {
    t.cancelled = true;
    t.queue.length = 0;
    if (t.slot) t.slot.w.postMessage({ type: 'cancel', task: t.id } satisfies ToWorker);
  };
  /** Parses the head range again with the state the ranges before it ended with. */
  const rerun = (t: Task, delivered: number, seed?: MatcherSeed): void => {
    if (tuning.stats) tuning.stats.reruns++;
    cancel(t);
    const u = t.unit;
    const again = makeTask(u, t.range, t.pos, [...u.context], u.year ? { ...u.year } : null, delivered, seed);
    tasks[t.pos] = again;
    pending.unshift(t.pos);
    if (!slots.some((s) => !s.task || s.task.cancelled)) {
      // every worker is busy (maybe paused on tasks further ahead): give one of them back
      const busy = slots.filter((s) => s.task && s.task.pos > head).sort((a, b) => b.task!.pos - a.task!.pos)[0];
      if (busy) {
        const far = busy.task!;
        cancel(far);
        const copy = makeTask(far.unit, far.range, far.pos, null, null);
        tasks[far.pos] = copy;
        pending.push(far.pos);
        pending.sort((a, b) => a - b);
      }
    }
  };

  const summaries: InputSummary[] = [];
  const delivered = new Map<number, number>(); // flows delivered per position (kept across re-runs)
  const onProgress = opts.onProgress;
  const wait = () => new Promise<void>((r) => { notify = r; });
  let gate: Promise<void> | null = opts.ready ?? null;
  try {
    while (head < tasks.length) {
      if (fatal) throw fatal;
      dispatch();
      const t = tasks[head]!;
      const u = t.unit;
      const msg = t.msg;
      if (msg.type === 'range' && !t.checked) {
        // the header context this range was started with must be the one the ranges before it saw
        if (msg.contextPrefix !== null && !sameList(msg.context, u.context)) { rerun(t, 0); continue; }
        t.checked = true;
      }
      /** Whether the year state this range was started with gives its first dated line the right year. */
      const yearOk = (first: number | null): boolean => {
        if (t.yearOk || first === null || msg.type !== 'range' || !u.year) return true;
        const assumed = msg.yearStart ?? { year: opts.year!, lastMonth: 0 };
        t.yearOk = yearAfter(assumed, first) === yearAfter(u.year, first);
        return t.yearOk;
      };
      if (t.queue.length && gate) { await gate; gate = null; continue; } // (opts.ready: nothing delivered before)
      if (t.queue.length && matchFlows && !t.learnedChecked) {
        // ingest: a flow's matched set depends on the hostnames learned (URL logs) before it; a task matched
        // without the ones the tasks before it learned is matched again with them before any of its flows goes out
        // (the other seeded states, the group and inference bounds, change no flow's matched set: see mergePartial)
        t.learnedChecked = true;
        const seed = msg.seed ? null : match!.into.mergeNeeds(NOTHING_MATCHED);
        if (seed) { rerun(t, delivered.get(t.pos) ?? 0, seed); continue; }
      }
      if (t.queue.length) {
        const b = t.queue[0]!;
        if (!yearOk(b.yearFirst)) { rerun(t, delivered.get(t.pos) ?? 0); continue; }
        // rendering: the line base counted at dispatch must be the lines the ranges before this one had
        if (msg.type === 'range' && msg.lineBase !== undefined && msg.lineBase !== u.linesSoFar) { rerun(t, delivered.get(t.pos) ?? 0); continue; }
        t.queue.shift();
        if (b.type === 'text') {
          // acknowledged once written (one message: the credit and, when the destination has let it go, the buffer,
          // back to the worker that filled it; stdout is written synchronously, so at once there)
          const slot = t.slot, w = slot?.w;
          encode!.write(Buffer.from(b.buf, 0, b.length), (reuse) => {
            if (w && slot.w === w && t.slot === slot) {
              if (reuse) w.postMessage({ type: 'ack', task: t.id, buf: b.buf } satisfies ToWorker, [b.buf]);
              else w.postMessage({ type: 'ack', task: t.id } satisfies ToWorker);
            }
          });
          delivered.set(t.pos, (delivered.get(t.pos) ?? 0) + b.flows);
          if (u.summary) u.summary.flows += b.flows;
          if (msg.type === 'range') {
            onProgress?.({ file: msg.name, fileIndex: u.index, files: files.length, bytes: u.bytesSoFar + b.bytes, totalBytes: (u.plan as SplitPlan).size, lines: u.linesSoFar + b.lastLine });
          }
          if (opts.afterChunk) await opts.afterChunk();
          continue;
        }
        const from = Math.min(t.skipFlows, b.batch.n);
        t.skipFlows -= from;
        try { if (matchFlows) matchFlows.onBatch(b.batch, u.linesSoFar, from);
          else readFlowBatch(b.batch, u.linesSoFar, onFlow, from); } catch (e) {
          // as the single-threaded reader: the consumer's typed errors and broken pipes as they are, else a bug
          if (e instanceof FwauditError || isBrokenPipe(e)) throw e;
          throw new BugError(`error while handling the flows of ${escapeText(u.plan.path)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
        delivered.set(t.pos, (delivered.get(t.pos) ?? 0) + b.batch.n - from);
        if (u.summary) u.summary.flows += b.batch.n - from;
        // the buffer goes back to the worker that filled it (no allocation churn, bounded memory)
        if (t.slot) t.slot.w.postMessage({ type: 'ack', task: t.id, buf: b.batch.buf } satisfies ToWorker, [b.batch.buf]);
        if (msg.type === 'range') {
          onProgress?.({ file: msg.name, fileIndex: u.index, files: files.length, bytes: u.bytesSoFar + b.bytes, totalBytes: (u.plan as SplitPlan).size, lines: u.linesSoFar + b.lastLine });
        }
        if (opts.afterChunk) await opts.afterChunk();
        continue;
      }
      if (!t.done) { await wait(); continue; }
      head++;
      /** Matching in the workers: the seed to match this task again with, or null once merged. */
      const mergePartial = (partial: MatcherPartial | undefined, lineOffset: number): MatcherSeed | null => {
        if (!match) return null;
        if (!partial) throw new BugError('worker thread returned no matcher state');
        const seed = match.into.mergeNeeds(partial);
        if (seed) return seed;
        match.into.merge(partial, lineOffset);
        // merged: let it go (tasks stay listed to the end; their states must not)
        if (t.done) delete t.done.partial;
        return null;
      };
      if (t.done.type === 'done-whole') {
        const seed = mergePartial(t.done.partial, 0);
        if (seed) { head--; rerun(t, delivered.get(t.pos) ?? 0, seed); continue; }
        summaries.push(...t.done.summaries);
        const s = t.done.summaries[t.done.summaries.length - 1];
        if (s) onProgress?.({ file: s.file, fileIndex: u.index, files: files.length, bytes: s.bytes, totalBytes: s.bytes, lines: s.lines });
        continue;
      }
      const r: RangeResult = t.done.result;
      if (!yearOk(r.yearFirst)) { head--; rerun(t, delivered.get(t.pos) ?? 0); continue; }
      const seed = mergePartial(t.done.partial, u.linesSoFar);
      // (ingest: the flows already delivered are not delivered again; a seed other than learned hostnames, checked
      // before the first flow, bounds groups and inference only, so they carry the same matched sets)
      if (seed) { head--; rerun(t, delivered.get(t.pos) ?? 0, seed); continue; }
      if (match && !matchFlows) u.summary!.flows += r.flows;
      mergeRange(u, r, msg as Extract<ToWorker, { type: 'range' }>);
      if (match) onProgress?.({ file: u.plan.path, fileIndex: u.index, files: files.length, bytes: u.bytesSoFar, totalBytes: (u.plan as SplitPlan).size, lines: u.linesSoFar });
      const isLast = t.range === (u.plan as SplitPlan).cuts.length - 2;
      if (u.failed || isLast) {
        u.summary!.skipped = [...u.skips.values()];
        summaries.push(u.summary!);
        // after a read error the rest of the file is not read (as the single-threaded reader stops)
        for (; head < tasks.length && tasks[head]!.unit === u; head++) cancel(tasks[head]!);
      }
    }
  } finally {
    finished = true;
    await Promise.all(slots.map((s) => s.w.terminate()));
  }
  return summaries;
}

/** The state of a part with no flows: `mergeNeeds` of it asks for a seed only when hostnames were learned before. */
const NOTHING_MATCHED: MatcherPartial = {
  groups: [], pending: [], rows: [], infer: [], inferDropped: false, notApplicableDenies: [], spanFirst: null, spanLast: null,
  omittedFlows: 0, omitted: [], omittedAll: true, omittedKeys: [], learned: [], hostOfIp: [], seeded: false,
};

function mergeRange(u: Unit, r: RangeResult, m: Extract<ToWorker, { type: 'range' }>): void {
  const s = u.summary!;
  for (const g of r.skipped) {
    const have = u.skips.get(g.reason);
    if (have) have.count += g.count;
    else u.skips.set(g.reason, { reason: g.reason, kind: g.kind, count: g.count, first: { file: g.first.file, line: g.first.line + u.linesSoFar } });
  }
  for (const [k, v] of Object.entries(r.notes)) s.notes[k] = (s.notes[k] ?? 0) + v;
  s.blank += r.blank;
  if (r.error) {
    s.error = `read error after line ${u.linesSoFar + r.lines}: ${r.error}`;
    u.failed = true;
  }
  u.linesSoFar += r.lines;
  s.lines = u.linesSoFar;
  u.bytesSoFar += m.end - m.start;
  s.bytes = r.error ? u.bytesSoFar : m.end;
  if (m.last && !r.error) s.endOffset = m.end;
  u.context.push(...r.context);
  if (u.year && r.yearEnd) u.year = r.yearEnd;
}
