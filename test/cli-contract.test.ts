/**
 * The CLI's contract with users and tools (issues 8 and 13), through `main(argv, io)` in-process:
 * exit codes from typed errors in one place, Unix streams (data on stdout, diagnostics on stderr), `-`
 * as stdout, output formats, help with examples / exit codes / environment, versions, colour, quiet,
 * summary arithmetic and plurals, JSON outputs valid against schemas/, terminal text sanitised.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { jsonLines, runCli } from './helpers/cli.js';
import { schemaErrors } from './helpers/schemas.js';
import { main } from '../src/cli/main.js';
import { sanitizeText } from '../src/model/sanitize.js';
import { compareStatus, isFailing, STATUSES } from '../src/model/status.js';
import { reportFormatOfPath, REPORT_FORMATS } from '../src/reports/formats.js';
import { exitVerdict } from '../src/app/exit-policy.js';
import { formatSummary, progressReporter } from '../src/cli/summary.js';
import { emptySummary, type InputSummary } from '../src/pipeline/run.js';

const DEMO = ['fixtures/demo/logs', '--tz', 'UTC', '--year', '2026'];
const INV = ['--inventory', 'fixtures/demo/inventory.yaml'];
const dir = mkdtempSync(join(tmpdir(), 'fwaudit-contract-'));

/** main() with streams built by the test (to make stdout fail in chosen ways). */
async function mainWith(args: string[], stdout: Writable): Promise<{ code: number; err: string }> {
  let err = '';
  const stderr = new Writable({ write(c, _e, cb) { err += String(c); cb(); } });
  const code = await main(['node', 'fwaudit', ...args], { stdout, stderr, stdin: Readable.from([]), env: { TZ: 'UTC' } });
  return { code, err };
}

describe('exit codes and errors (one mapping, in main)', () => {
  it('fwaudit alone prints the help on stderr and exits 2', () => {
    const r = runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: fwaudit \[options\] \[command\]/);
    expect(r.stderr).toContain('Exit codes:');
  });

  it('unknown commands and options are usage errors (2)', () => {
    expect(runCli(['nosuch']).code).toBe(2);
    const r = runCli(['parse', '--bogus', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('--format with a typo lists the known formats once each', () => {
    const r = runCli(['parse', 'fixtures/demo/logs', '--format', 'iptabels']);
    expect(r.code).toBe(2);
    const known = /known: ([^)]+)\)/.exec(r.stderr)?.[1]?.split(', ') ?? [];
    expect(known).toContain('iptables');
    expect(known).toContain('panos-csv');
    expect(new Set(known).size).toBe(known.length);
  });

  it('an unwritable --out is exit 2 naming the path, before reading anything', () => {
    const r = runCli(['parse', ...DEMO, '--out', '/nonexistent/dir/x.jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fwaudit: cannot write /nonexistent/dir/x.jsonl: ENOENT\n');
  });

  it('an exception thrown while writing output (a sink bug) is exit 70 naming a bug, with its stack', async () => {
    const stdout = new Writable({ write() { throw new TypeError('sink exploded'); } });
    const r = await mainWith(['parse', ...DEMO, '-q'], stdout);
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/^fwaudit: internal error \(a bug in fwaudit/);
    expect(r.err).toContain('TypeError: sink exploded');
    expect(r.err).toMatch(/\n\s+at /); // the stack
  });

  it('a reader that goes away (EPIPE) ends quietly with 141, whatever the command', async () => {
    const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const parse = await mainWith(['parse', ...DEMO, '-q'], new Writable({ write(_c, _e, cb) { cb(epipe()); } }));
    expect(parse).toEqual({ code: 141, err: '' });
    const analyze = await mainWith(['analyze', ...DEMO, ...INV, '-q'], new Writable({ write() { throw epipe(); } }));
    expect(analyze).toEqual({ code: 141, err: '' });
  });

  it('a configuration error names file:line and exits 2', () => {
    const bad = join(dir, 'bad-inv.yaml');
    writeFileSync(bad, 'deployments:\n  - product: nosuch\n');
    const r = runCli(['analyze', ...DEMO, '--inventory', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^fwaudit: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: `));
  });

  it('the exit policy: unreadable input first, then --strict, then --fail-on', () => {
    const ok: InputSummary = { ...emptySummary('', null), file: 'a', format: 'iptables', dialect: null, encoding: null, container: null, lines: 2, flows: 1, bytes: 9, skipped: [{ reason: 'x', kind: 'malformed', count: 1, first: { file: 'a', line: 2 } }], notes: {}, error: null };
    const broken: InputSummary = { ...ok, file: 'b', error: 'cannot read: ENOENT', format: null, skipped: [] };
    const failing = { findings: [{ confidence: 'confirmed' as const }], requirements: [{ status: 'violated' as const }] };
    expect(exitVerdict({ summaries: [ok, broken], strict: true, result: failing, failOn: 'violated' })).toEqual({ code: 2, reason: '1 input could not be read' });
    expect(exitVerdict({ summaries: [ok], strict: true, result: failing, failOn: 'violated' })).toEqual({ code: 2, reason: '--strict: 1 flow line could not be read' });
    expect(exitVerdict({ summaries: [ok], result: failing, failOn: 'violated' })).toEqual({ code: 1, reason: '--fail-on violated: reached' });
    expect(exitVerdict({ summaries: [ok], result: failing, failOn: 'none' })).toEqual({ code: 0, reason: null });
    expect(exitVerdict({ summaries: [ok], result: { findings: [{ confidence: 'probable' }], requirements: [] }, failOn: 'violated' }).code).toBe(0);
    expect(exitVerdict({ summaries: [ok], result: { findings: [{ confidence: 'probable' }], requirements: [] }, failOn: 'probable' }).code).toBe(1);
    expect(exitVerdict({ summaries: [ok], result: { findings: [{ confidence: 'probable' }], requirements: [] }, failOn: 'conditional' }).code).toBe(1);
    expect(exitVerdict({ summaries: [ok], result: { findings: [{ confidence: 'conditional' }], requirements: [] }, failOn: 'probable' }).code).toBe(0);
    expect(exitVerdict({ summaries: [ok], result: { findings: [{ confidence: 'conditional' }], requirements: [] }, failOn: 'conditional' }).code).toBe(1);
  });
});

describe('streams: data on stdout, diagnostics on stderr', () => {
  it('analyze: the report on stdout, the input summary on stderr; -q silences the summary', () => {
    const r = runCli(['analyze', ...DEMO, ...INV]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Requirements: \d+ violated/);
    expect(r.stdout).not.toContain('gw01-kern.log: iptables');
    expect(r.stderr).toContain('fixtures/demo/logs/gw01-kern.log: iptables (bsd): 20 lines = 19 flows + 1 not-flow + 0 malformed');
    const q = runCli(['analyze', ...DEMO, ...INV, '-q']);
    expect(q.stderr).toBe('');
    expect(q.stdout).toBe(r.stdout);
    // quiet is never silent about an input that could not be read: one line per such input, exit 2
    for (const cmd of [['analyze', ...INV], ['parse'], ['ingest', '--db', join(mkdtempSync(join(tmpdir(), 'fwq-')), 's.duckdb')]]) {
      const bad = runCli([cmd[0]!, 'fixtures/demo/logs/gw01-kern.log', '/nonexistent/kern.log', ...cmd.slice(1), '-q']);
      expect(bad.code, cmd[0]).toBe(2);
      expect(bad.stderr, cmd[0]).toMatch(/^\/nonexistent\/kern\.log: ERROR /m);
      expect(bad.stderr, cmd[0]).not.toContain('gw01-kern.log');
    }
    const v = runCli(['analyze', ...DEMO, ...INV, '-v']);
    expect(v.stdout).toBe(r.stdout);
    expect(v.stderr).toMatch(/\n3 inputs, 151 lines, 145 flows, [\d.]+ MB in [\d.]+ s/);
  });

  it('analyze --json: stdout parses as one JSON document valid against schemas/analyze.schema.json', () => {
    const r = runCli(['analyze', ...DEMO, ...INV, '--json']);
    const doc = JSON.parse(r.stdout) as { schema_version: number; findings: unknown[] };
    expect(doc.schema_version).toBe(1);
    expect(doc.findings.length).toBeGreaterThan(0);
    expect(schemaErrors('analyze', doc)).toEqual([]);
    // the schema is not a rubber stamp
    expect(schemaErrors('analyze', { ...doc, findings: [{ ...(doc.findings[0] as object), confidence: 'sure' }] })).not.toEqual([]);
  });

  it('analyze of inputs none of which can be read: no report on stdout, the reason on stderr, exit 2', () => {
    const r = runCli(['analyze', '/nonexistent/kern.log', ...INV]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('/nonexistent/kern.log: ERROR cannot read');
  });

  it('diagnose prints its input summary on stderr and its verdict on stdout', () => {
    const r = runCli(['diagnose', 'rpc', '--json', '--from', '10.10.0.5', '--to', '10.20.0.31', '--tz', 'UTC', 'fixtures/diagnose/target-pfirewall.log']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc['verdict']).toBe('dynamic-ports-blocked');
    expect(schemaErrors('diagnose', doc)).toEqual([]);
    expect(r.stderr).toMatch(/target-pfirewall\.log: winfw .*: \d+ lines = /);
  });

  it('diagnose --symptom --json and --list --json are valid against schemas/diagnose.schema.json', () => {
    const s = runCli(['diagnose', '--json', '--product', 'groundlabs-er', '--symptom', 'agents-not-connecting', '--inventory', 'fixtures/diagnose/inventory.yaml', '--tz', 'UTC', 'fixtures/diagnose/edge-panos.log']);
    expect(s.code).toBe(0);
    expect(schemaErrors('diagnose', JSON.parse(s.stdout))).toEqual([]);
    const l = runCli(['diagnose', '--list', '--json']);
    expect(schemaErrors('diagnose', JSON.parse(l.stdout))).toEqual([]);
  });

  it('parse -o - writes JSON Lines to stdout; --out-format csv to stdout', () => {
    const r = runCli(['parse', ...DEMO, '-o', '-', '-q']);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(145);
    const c = runCli(['parse', ...DEMO, '-o', '-', '--out-format', 'csv', '-q']);
    expect(c.stdout.split('\n')[0]).toMatch(/^ts,action,raw_action,/);
    expect(c.stdout.trimEnd().split('\n')).toHaveLength(146);
  });

  it('parse --out with an unknown extension names the choices', () => {
    const r = runCli(['parse', ...DEMO, '--out', join(dir, 'flows.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot tell the output format from the extension ".txt"');
    expect(r.stderr).toContain('.jsonl');
    expect(r.stderr).toContain('--out-format jsonl|csv|parquet');
  });

  it('parse --out FILE.ndjson writes the file and nothing on stdout', () => {
    const f = join(dir, 'flows.ndjson');
    const r = runCli(['parse', ...DEMO, '--out', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(jsonLines(readFileSync(f, 'utf8'))).toHaveLength(145);
  });
});

describe('summaries add up and read right', () => {
  it('lines = flows + not-flow + malformed (+ blank, once counted), plurals right', () => {
    const one: InputSummary = { ...emptySummary('', null), file: 'x.log', format: 'iptables', dialect: 'bsd', encoding: 'utf-8', container: null, lines: 1, flows: 1, bytes: 10, skipped: [], notes: {}, error: null };
    expect(formatSummary([one])).toBe('x.log: iptables (bsd): 1 line = 1 flow + 0 not-flow + 0 malformed + 0 blank');
    const more = { ...one, lines: 5, flows: 2, blank: 1, skipped: [{ reason: 'r', kind: 'malformed' as const, count: 2, first: { file: 'x.log', line: 3 } }] };
    expect(formatSummary([more]).split('\n')[0]).toBe('x.log: iptables (bsd): 5 lines = 2 flows + 0 not-flow + 2 malformed + 1 blank');
    for (const line of runCli(['parse', ...DEMO]).stderr.split('\n')) {
      const m = /: (\d+) lines? = (\d+) flows? \+ (\d+) not-flow \+ (\d+) malformed(?: \+ (\d+) blank)?/.exec(line);
      if (!m) continue;
      const [, lines, ...parts] = m;
      if (m[5] !== undefined) expect(parts.reduce((a, b) => a + Number(b ?? 0), 0)).toBe(Number(lines));
      else expect(Number(m[2]) + Number(m[3]) + Number(m[4])).toBeLessThanOrEqual(Number(lines));
    }
  });

  it('summary text is sanitised: a file name cannot drive the terminal', () => {
    const evil: InputSummary = { ...emptySummary('', null), file: 'a\x1b]0;pwned\x07\u202eb.log', format: null, dialect: null, encoding: null, container: null, lines: 0, flows: 0, bytes: 0, skipped: [], notes: {}, error: 'cannot read: \x1b[2J' };
    const s = formatSummary([evil]);
    expect(s).not.toMatch(/[\x1b\x07\u202e]/);
    expect(s).toBe('a\\x1b]0;pwned\\x07\\u202eb.log: ERROR cannot read: \\x1b[2J');
  });
});

describe('help, versions, colour', () => {
  it('every command\'s --help has an example, the exit codes and the environment', () => {
    for (const cmd of ['parse', 'analyze', 'diagnose', 'export', 'ingest', 'run', 'report', 'query', 'rulesets', 'sql']) {
      const r = runCli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(/Examples:\n  \$ fwaudit /);
      expect(r.stdout, cmd).toMatch(/Exit codes:\n  0 /);
      expect(r.stdout, cmd).toContain('NO_COLOR');
      expect(r.stdout, cmd).toContain('TZ');
    }
    expect(runCli(['analyze', '--help']).stdout).toContain('FWAUDIT_DUCKDB_MEMORY');
    expect(runCli(['--help']).stdout).toContain('70   a bug in fwaudit');
    expect(runCli(['help', 'parse'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: fwaudit parse') });
    expect(runCli(['rulesets']).code).toBe(2); // a group without its subcommand
  });

  it('--version names fwaudit, DuckDB and every built-in ruleset; --version --json is valid', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const duck = JSON.parse(readFileSync('node_modules/@duckdb/node-api/package.json', 'utf8')) as { version: string };
    const t = runCli(['--version']);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`fwaudit ${pkg.version}\n`);
    expect(t.stdout).toContain(`DuckDB ${duck.version.replace(/-r\.\d+$/, '')}\n`);
    const j = JSON.parse(runCli(['--version', '--json']).stdout) as { rulesets: Array<{ id: string; version: string | null }> };
    expect(schemaErrors('version', j)).toEqual([]);
    expect(j.rulesets.map((r) => r.id)).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er']);
    expect(j.rulesets.find((r) => r.id === 'groundlabs-er')?.version).toBe('2.0.28');
  });

  it('colour: off for pipes and with NO_COLOR, on with --color always', () => {
    const plain = runCli(['analyze', ...DEMO, ...INV, '-q']);
    expect(plain.stdout).not.toContain('\x1b[');
    const forced = runCli(['analyze', ...DEMO, ...INV, '-q', '--color', 'always']);
    expect(forced.stdout).toContain('\x1b[31;1mVIOLATED\x1b[0m');
    expect(forced.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain.stdout);
    const never = runCli(['analyze', ...DEMO, ...INV, '-q', '--color', 'never']);
    expect(never.stdout).toBe(plain.stdout);
    const verdict = runCli(['diagnose', 'rpc', '--color', 'always', '-q', '--from', '10.10.0.5', '--to', '10.20.0.31', '--tz', 'UTC', 'fixtures/diagnose/target-pfirewall.log']);
    expect(verdict.stdout.split('\n')[0]).toBe('Verdict: \x1b[31;1mdynamic-ports-blocked\x1b[0m');
  });

  it('NO_COLOR wins over a terminal in auto mode', async () => {
    let out = '';
    const tty = Object.assign(new Writable({ write(c, _e, cb) { out += String(c); cb(); } }), { isTTY: true, columns: 120 });
    const run = async (env: Record<string, string>) => {
      out = '';
      await main(['node', 'fwaudit', 'analyze', ...DEMO, ...INV, '-q', '--no-progress'], { stdout: tty, stderr: new Writable({ write(_c, _e, cb) { cb(); } }), stdin: Readable.from([]), env });
      return out;
    };
    expect(await run({})).toContain('\x1b[31;1m');
    expect(await run({ NO_COLOR: '1' })).not.toContain('\x1b[');
  });

  it('the progress line fits the terminal width and redraws in place', () => {
    let out = '';
    let t = 0;
    const tty = Object.assign(new Writable({ write(c, _e, cb) { out += String(c); cb(); } }), { isTTY: true, columns: 50 });
    const p = progressReporter(true, tty, () => (t += 1000));
    for (let i = 0; i < 5; i++) p.update({ file: 'f', fileIndex: i % 3, files: 3, bytes: 1e6 * i, totalBytes: 1e7, lines: 123456 * i });
    p.done();
    const frames = out.split('\r\x1b[K').filter(Boolean);
    expect(frames).toHaveLength(5);
    for (const f of frames) { expect(f.length).toBeLessThanOrEqual(49); expect(f).not.toContain('\n'); }
    expect(out.endsWith('\r\x1b[K')).toBe(true);
    const pipe = new Writable({ write(_c, _e, cb) { out += 'X'; cb(); } });
    out = '';
    const silent = progressReporter(true, pipe);
    silent.update({ file: 'f', fileIndex: 0, files: 1, bytes: 1, totalBytes: 2, lines: 1 });
    silent.done();
    expect(out).toBe('');
  });
});

describe('the in-process runner', () => {
  it('gives each call its own environment, also to code that reads process.env', () => {
    const db = join(dir, 'mem.duckdb');
    const bad = runCli(['ingest', ...DEMO, '--db', db], { env: { FWAUDIT_DUCKDB_MEMORY: 'lots' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/mem\.duckdb: cannot open store/); // DuckDB refuses the memory limit "lots"
    expect(runCli(['ingest', ...DEMO, '--db', db]).code).toBe(0);
  });
});

describe('export --overwrite', () => {
  it('a non-empty target needs --overwrite, with the CLI\'s own message', () => {
    const db = join(dir, 'e.duckdb');
    expect(runCli(['ingest', ...DEMO, ...INV, '--db', db]).code).toBe(0);
    const target = join(dir, 'parquet');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'x');
    const r = runCli(['export', '--db', db, '--parquet', target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fwaudit: ${target} already has files; add --overwrite to write into it (existing day partitions may be replaced)\n`);
    // -q: ingest says nothing when all went well
    expect(runCli(['ingest', ...DEMO, ...INV, '--db', join(dir, 'quiet.duckdb'), '-q'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const ok = runCli(['export', '--db', db, '--parquet', target, '--overwrite']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/^exported \d+ flows to /);
  });
});

describe('shared definitions (one module each)', () => {
  it('sanitizeText escapes C0, C1, DEL, ESC sequences and bidi controls, and keeps newlines only when asked', () => {
    expect(sanitizeText('a\x1b[31mb')).toBe('a\\x1b[31mb');
    expect(sanitizeText('\x9b2J\x7f\x00')).toBe('\\x9b2J\\x7f\\x00');
    expect(sanitizeText('x\u202ey\u2066z\u2069')).toBe('x\\u202ey\\u2066z\\u2069');
    expect(sanitizeText('l1\nl2\tt')).toBe('l1\\x0al2\\x09t');
    expect(sanitizeText('l1\nl2\tt', { newlines: true, tabs: true })).toBe('l1\nl2\tt');
    expect(sanitizeText('plain ünïcode ✓')).toBe('plain ünïcode ✓');
  });

  it('one status order and one isFailing', () => {
    expect([...STATUSES].sort(compareStatus)).toEqual(['violated', 'intermittent', 'unobserved', 'ok']);
    expect(STATUSES.filter(isFailing)).toEqual(['violated', 'intermittent']);
  });

  it('one report-format registry', () => {
    expect(REPORT_FORMATS).toEqual(['html', 'md', 'csv', 'json', 'junit']);
    expect(reportFormatOfPath('r.HTM')).toBe('html');
    expect(reportFormatOfPath('r.xml')).toBe('junit');
    expect(reportFormatOfPath('r.txt')).toBeNull();
    expect(reportFormatOfPath('r')).toBeNull();
  });
});
