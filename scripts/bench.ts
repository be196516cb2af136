/**
 * `npm run bench`: generates deterministic test files (not committed) and measures, in one run and on
 * the same files, `wc -l` (the baseline) against fwaudit parse-only, parse + match, and DuckDB ingest.
 * Options: --lines N (per family, default 1,000,000), --big N (lines of the RSS check file, default
 * 4,000,000), --only family[,family], --skip-big. Numbers drift 20–30 % on a shared VM: compare the
 * columns of one run, not runs.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { packageRoot } from '../src/version.js';

const ROOT = packageRoot();
const DATA = join(ROOT, 'bench-data');
const WORKER = join(ROOT, 'dist/scripts/bench-worker.js');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const LINES = Number(arg('--lines', '1000000'));
const BIG = Number(arg('--big', '4000000'));
const ONLY = arg('--only', 'iptables,winfw,panos,iptables-mix').split(',');
const SKIP_BIG = process.argv.includes('--skip-big');

/** Small deterministic PRNG (mulberry32) so every run generates the same bytes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Bumped whenever a generator changes, so that cached files are made anew. */
const GEN_VERSION = 2;
/** Address plan: 1,000 agents/clients (10.40-43.0.x), 30 servers (10.10.0.x), 1,000 targets (10.20.0-3.x). */
/** Requirement ports mixed into the generated traffic so that matching does real work. */
const PORTS = [22, 53, 80, 135, 139, 443, 445, 1072, 1070, 2021, 3333, 11117, 8080, 3389, 49700, 50001];

type Gen = (i: number, r: () => number) => string;

const gens: Record<string, { gen: Gen; header?: string; ext: string }> = {
  /**
   * A gateway's day as it usually looks: 90 % internet noise (public sources, random ports) and 10 % traffic
   * of the deployed products among a fixed set of 50 agents and 5 servers, mostly allowed, a few denied.
   * Matching cost is measured on it beside the worst case above.
   */
  'iptables-mix': {
    ext: 'log',
    gen: (i, r) => {
      const s = Math.floor(i / 20);
      const t = `${MON[2]} ${String(1 + ((s / 86400) | 0) % 28).padStart(2, ' ')} ${pad(((s / 3600) | 0) % 24)}:${pad(((s / 60) | 0) % 60)}:${pad(s % 60)}`;
      let src: string, dst: string, dpt: number, pfx: string;
      if (r() < 0.9) {
        src = `${[198, 203, 45, 185][(r() * 4) | 0]}.${(r() * 256) | 0}.${(r() * 256) | 0}.${1 + ((r() * 250) | 0)}`;
        dst = `10.10.0.${1 + ((r() * 30) | 0)}`;
        dpt = 1 + ((r() * 65000) | 0);
        pfx = '[UFW BLOCK]';
      } else {
        src = `10.40.0.${1 + ((r() * 50) | 0)}`;
        dst = ['10.10.0.5', '10.10.0.6', '10.10.0.11', '10.10.0.12', '10.10.0.20'][(r() * 5) | 0]!;
        dpt = PORTS[(r() * PORTS.length) | 0]!;
        pfx = r() < 0.9 ? '[UFW ALLOW]' : '[UFW BLOCK]';
      }
      return `${t} gw01 kernel: ${pfx} IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=${src} DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=${(r() * 65535) | 0} DF PROTO=TCP SPT=${1024 + ((r() * 60000) | 0)} DPT=${dpt} WINDOW=64240 RES=0x00 SYN URGP=0`;
    },
  },
  iptables: {
    ext: 'log',
    gen: (i, r) => {
      const s = Math.floor(i / 20);
      const t = `${MON[2]} ${String(1 + ((s / 86400) | 0) % 28).padStart(2, ' ')} ${pad(((s / 3600) | 0) % 24)}:${pad(((s / 60) | 0) % 60)}:${pad(s % 60)}`;
      const src = `10.${40 + ((r() * 4) | 0)}.0.${1 + ((r() * 250) | 0)}`;
      const dst = `10.10.0.${1 + ((r() * 30) | 0)}`;
      const dpt = r() < 0.5 ? PORTS[(r() * PORTS.length) | 0]! : 1024 + ((r() * 60000) | 0);
      const pfx = r() < 0.8 ? '[UFW BLOCK]' : '[UFW ALLOW]';
      const proto = r() < 0.85 ? `PROTO=TCP SPT=${1024 + ((r() * 60000) | 0)} DPT=${dpt} WINDOW=64240 RES=0x00 SYN URGP=0` : `PROTO=UDP SPT=${1024 + ((r() * 60000) | 0)} DPT=${dpt} LEN=40`;
      return `${t} gw01 kernel: ${pfx} IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=${src} DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=${(r() * 65535) | 0} DF ${proto}`;
    },
  },
  winfw: {
    ext: 'log',
    header: '#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid\n\n',
    gen: (i, r) => {
      const s = Math.floor(i / 20);
      const t = `2026-03-${pad(1 + ((s / 86400) | 0) % 28)} ${pad(((s / 3600) | 0) % 24)}:${pad(((s / 60) | 0) % 60)}:${pad(s % 60)}`;
      const drop = r() < 0.7;
      const dpt = r() < 0.5 ? PORTS[(r() * PORTS.length) | 0]! : 1024 + ((r() * 60000) | 0);
      return `${t} ${drop ? 'DROP' : 'ALLOW'} TCP 10.10.0.${1 + ((r() * 30) | 0)} 10.20.${(r() * 4) | 0}.${1 + ((r() * 250) | 0)} ${1024 + ((r() * 60000) | 0)} ${dpt} ${drop ? 52 : 0} ${drop ? 'S' : '-'} - - - - - - RECEIVE ${drop ? '-' : 4}`;
    },
  },
  panos: {
    ext: 'log',
    gen: (i, r) => {
      const s = Math.floor(i / 20);
      const d = `2026/03/${pad(1 + ((s / 86400) | 0) % 28)} ${pad(((s / 3600) | 0) % 24)}:${pad(((s / 60) | 0) % 60)}:${pad(s % 60)}`;
      const allow = r() < 0.3;
      const src = `10.${40 + ((r() * 4) | 0)}.0.${1 + ((r() * 250) | 0)}`;
      const dst = r() < 0.8 ? `10.10.0.${1 + ((r() * 30) | 0)}` : `203.0.113.${1 + ((r() * 250) | 0)}`;
      const dpt = r() < 0.5 ? PORTS[(r() * PORTS.length) | 0]! : 1024 + ((r() * 60000) | 0);
      const act = allow ? 'allow' : r() < 0.5 ? 'deny' : 'drop';
      return `<14>Mar  9 14:02:11 PA-3220 1,${d},013201000111,TRAFFIC,${allow ? 'end' : 'drop'},2561,${d},${src},${dst},0.0.0.0,0.0.0.0,${allow ? 'allow-internal' : 'block-default'},corp\\jdoe,,${allow ? 'ssl' : 'not-applicable'},vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-siem,${d},${884211 + i},1,${1024 + ((r() * 60000) | 0)},${dpt},0,0,0x400053,tcp,${act},5830,1210,4620,24,${d},30,computer-and-internet-info,0,7300000000000421,0x0,10.0.0.0-10.255.255.255,United States,0,12,12,${allow ? 'tcp-fin' : 'policy-deny'},0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0,5d7e1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b,0,0,,,,,,,,0.0.0.0,,,,,,,,,,,,,,,,,,,,,,,,,,0,2026-03-${pad(1 + ((s / 86400) | 0) % 28)}T${pad(((s / 3600) | 0) % 24)}:${pad(((s / 60) | 0) % 60)}:${pad(s % 60)}.000-05:00,,,networking,browser-based,client-server,1,"used-by-malware,able-to-transfer-file",,${allow ? 'ssl' : 'not-applicable'},no,no,0`;
    },
  },
};

async function generate(family: string, lines: number, suffix = ''): Promise<string> {
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, `${family}${suffix}-${lines}-g${GEN_VERSION}.${gens[family]!.ext}`);
  if (existsSync(file)) return file; // deterministic: same name, same bytes
  const g = gens[family]!;
  const out = createWriteStream(file + '.tmp', { highWaterMark: 4 << 20 });
  const r = rng(42);
  if (g.header) out.write(g.header);
  let buf: string[] = [];
  for (let i = 0; i < lines; i++) {
    buf.push(g.gen(i, r));
    if (buf.length === 20000) { if (!out.write(buf.join('\n') + '\n')) await once(out, 'drain'); buf = []; }
  }
  if (buf.length) out.write(buf.join('\n') + '\n');
  out.end();
  await once(out, 'finish');
  const { renameSync } = await import('node:fs');
  renameSync(file + '.tmp', file);
  return file;
}

function timeWc(file: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wc failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

interface WorkerResult { lines: number; flows: number; seconds: number; bytes: number; maxRssMB: number; errors: string[]; findings: number | null }

function runWorker(args: string[]): WorkerResult {
  const r = spawnSync(process.execPath, [WORKER, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`bench worker failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as WorkerResult;
}

const fmt = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;

async function main(): Promise<void> {
  console.log(`fwaudit bench — node ${process.version}, ${LINES.toLocaleString('en-US')} lines per family; best of 3 runs; files in ${DATA}`);
  const targets: Record<string, number> = { iptables: 1_000_000, winfw: 1_000_000, panos: 500_000, 'iptables-mix': 1_000_000 };
  const rows: string[][] = [['family', 'lines', 'MB', 'wc -l lines/s', 'parse lines/s', 'parse MB/s', 'wc/parse', 'peak RSS', 'target', 'match lines/s', 'match cost']];
  const { hasMatchBench, writeBenchInventory } = await import('./bench-match.js');
  const inventory = hasMatchBench() ? writeBenchInventory(DATA) : null;
  for (const fam of ONLY) {
    const file = await generate(fam, LINES);
    const mb = statSync(file).size / 1e6;
    const wc = Math.min(timeWc(file), timeWc(file), timeWc(file));
    const runs = [0, 1, 2].map(() => runWorker(['parse', file]));
    const best = runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
    if (best.errors.length) console.log(`  ${fam}: errors ${best.errors.join('; ')}`);
    let matchCol = ['-', '-'];
    if (inventory) {
      const m = [0, 1, 2].map(() => runWorker(['match', file, inventory])).reduce((a, b) => (a.seconds <= b.seconds ? a : b));
      const pct = ((m.seconds - best.seconds) / best.seconds) * 100;
      matchCol = [fmt(m.lines / m.seconds), `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(0)} %${pct < 0 ? ' (noise)' : ''} (${m.findings} findings)`];
    }
    const lps = best.lines / best.seconds;
    rows.push([fam, fmt(best.lines), mb.toFixed(0), fmt(best.lines / wc), fmt(lps), (mb / best.seconds).toFixed(0),
      `${(best.seconds / wc).toFixed(1)}×`, `${best.maxRssMB.toFixed(0)} MB`, `${fmt(targets[fam]!)} ${lps >= targets[fam]! ? 'met' : 'MISSED'}`, ...matchCol]);
  }
  printTable(rows);
  if (!SKIP_BIG) {
    const big = await generate('iptables', BIG, '-big');
    const r = runWorker(['parse', big]);
    console.log(`\nRSS check: ${fmt(r.lines)} iptables lines (${(r.bytes / 1e6).toFixed(0)} MB) parsed in ${r.seconds.toFixed(1)} s, peak RSS ${r.maxRssMB.toFixed(0)} MB (target < 200 MB: ${r.maxRssMB < 200 ? 'met' : 'MISSED'})`);
  }
  const { runStoreBench } = await import('./bench-store.js');
  await runStoreBench({ data: DATA, lines: LINES, generate, runWorker: (a: string[]) => runWorker(a), fmt });
}

function printTable(rows: string[][]): void {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
}

export { generate };
void writeFileSync;
main().catch((e) => { console.error(e); process.exit(1); });
