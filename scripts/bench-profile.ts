/**
 * `npm run bench -- --profile`: where the time of `analyze` goes, per thread and per pipeline stage.
 *
 * Runs `analyze` once on one thread and once on the pool (one thread per core) under `node --cpu-prof` (one profile
 * per thread: the main thread and each worker), and prints the self time of every thread grouped by the stage of the
 * design its code belongs to (start-up, read/framing, parsers, time, addresses and validation, matching, output,
 * garbage collection, Node runtime), in µs per line, beside the family's one-core scanner's own time per line. It
 * also prints the heaviest functions of the one-thread run. This is the profile that says why a target is missed:
 * what one line costs in each stage, and what the threads add (per-thread start-up, GC, idle waiting).
 *
 * The profiles stay in bench-data/profiles/<family>-<threads>/ (open them in Chrome DevTools' Performance panel).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export const STAGES = ['start-up', 'read/framing', 'parsers', 'time', 'addresses+validation', 'matching', 'output', 'GC', 'runtime', 'other'] as const;
export type Stage = typeof STAGES[number];

/** The stage of a profile frame, from its script (the design's folders) or V8's pseudo-frames. */
export function stageOf(fn: string, url: string): Stage | 'idle' | null {
  if (fn === '(idle)') return 'idle';
  if (fn === '(root)') return null;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'runtime';
  if (/node:internal\/modules|compileSourceTextModule|compileForInternalLoader|wrapSafe|cjs-module-lexer|\/esm\/|\/cjs\//.test(url + ' ' + fn)) return 'start-up';
  if (/\/(rulesets|config|inventory|cli)\/|\/yaml\/|\/zod\/|\/commander\/|\/ip-num\//.test(url)) return 'start-up';
  if (/\/parsers\/validate\.|\/model\/(ip|flow)\./.test(url)) return 'addresses+validation';
  if (/\/model\/time\./.test(url)) return 'time';
  if (/\/parsers\//.test(url)) return 'parsers';
  if (/\/(requirements|matcher)\//.test(url)) return 'matching';
  if (/\/pipeline\//.test(url)) return 'read/framing';
  if (/\/(sinks|reports|app)\//.test(url)) return 'output';
  if (url.startsWith('node:') || url === '') return 'runtime';
  return 'other';
}

export interface ThreadProfile { thread: string; stages: Map<Stage | 'idle', number>; functions: Map<string, number>; totalMs: number }

export function summarise(file: string, thread: string): ThreadProfile {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) { byId.set(n.id, n); for (const c of n.children ?? []) parent.set(c, n.id); }
  /** Node's runtime and native code (reads, buffers, module resolution) counts for the stage of the code that called it. */
  const stageAt = new Map<number, Stage | 'idle' | null>();
  const resolveStage = (id: number): Stage | 'idle' | null => {
    const have = stageAt.get(id);
    if (have !== undefined) return have;
    const n = byId.get(id)!;
    let s = stageOf(n.callFrame.functionName, n.callFrame.url);
    if (s === 'runtime' && !n.callFrame.functionName.startsWith('(')) {
      const up = parent.get(id);
      const ps = up === undefined ? null : resolveStage(up);
      if (ps !== null && ps !== 'idle') s = ps;
    }
    stageAt.set(id, s);
    return s;
  };
  const stages = new Map<Stage | 'idle', number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!);
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const s = resolveStage(n.id);
    if (s === null) continue;
    stages.set(s, (stages.get(s) ?? 0) + ms);
    total += ms;
    if (s !== 'idle') {
      const k = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
      functions.set(k, (functions.get(k) ?? 0) + ms);
    }
  }
  return { thread, stages, functions, totalMs: total };
}

/** The profiles written into `dir` by one `node --cpu-prof` run, main thread first (file name: …pid.threadId.seq). */
export function readProfiles(dir: string): ThreadProfile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const tid = (f: string) => Number(f.split('.').slice(-3, -2)[0]);
  files.sort((a, b) => tid(a) - tid(b));
  return files.map((f) => summarise(join(dir, f), tid(f) === 0 ? 'main' : `worker ${tid(f)}`));
}

export interface ProfileDeps {
  data: string; cli: string; lines: number;
  families: Array<{ id: string; file: string; scannerSeconds: number }>;
  args: (file: string) => string[];
  run: (args: string[], env: Record<string, string>) => { ok: boolean; err: string; wall: number };
  jobs: string;
}

export function runProfiles(d: ProfileDeps): void {
  console.log('\nProfiles of analyze (node --cpu-prof, self time per stage in µs per line; "scanner" = the one-core scanner\'s whole time per line)');
  for (const fam of d.families) {
    const cols: ThreadProfile[][] = [];
    const labels: string[] = [];
    for (const jobs of ['1', d.jobs]) {
      const dir = join(d.data, 'profiles', `${fam.id}-${jobs}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const r = d.run(['--cpu-prof', `--cpu-prof-dir=${dir}`, d.cli, ...d.args(fam.file)], { FWAUDIT_JOBS: jobs });
      if (!r.ok) { console.log(`  ${fam.id}: profiled analyze failed: ${r.err.split('\n')[0]}`); continue; }
      cols.push(readProfiles(dir));
      labels.push(`${jobs} thread${jobs === '1' ? '' : 's'} (wall ${r.wall.toFixed(2)} s)`);
    }
    if (cols.length === 0) continue;
    const us = (ms: number) => ((ms * 1000) / d.lines).toFixed(3);
    const header = ['stage'];
    for (let c = 0; c < cols.length; c++) for (const t of cols[c]!) header.push(`${cols[c]!.length > 1 ? labels[c]!.split(' (')[0] + ': ' : ''}${t.thread}`);
    const rows: string[][] = [header];
    const all: Array<Stage | 'idle'> = [...STAGES, 'idle'];
    for (const s of all) {
      const row: string[] = [s];
      for (const col of cols) for (const t of col) row.push(us(t.stages.get(s) ?? 0));
      rows.push(row);
    }
    const busy = ['busy (all but idle)'];
    for (const col of cols) for (const t of col) busy.push(us(t.totalMs - (t.stages.get('idle') ?? 0)));
    rows.push(busy);
    console.log(`\n${fam.id}: ${labels.join(', ')}; scanner ${us(fam.scannerSeconds * 1000)} µs per line`);
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
    const one = cols[0]![0]!;
    const top = [...one.functions].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`  heaviest functions, one thread (µs per line): ${top.map(([k, ms]) => `${k} ${us(ms)}`).join('; ')}`);
  }
}
