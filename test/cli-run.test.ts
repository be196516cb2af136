/**
 * `fwaudit run --config fwaudit.yaml`: the documented example configuration, reports written in one step,
 * `fail_on`, history over two scheduled runs, HTML escaping of log text, and configuration errors with file:line.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'fwaudit-run-'));
}

/** The example configuration, its demo paths made absolute and its outputs moved into `dir`. */
function exampleConfig(dir: string): string {
  const text = readFileSync(join(ROOT, 'fixtures/config/fwaudit.yaml'), 'utf8')
    .replaceAll('../demo/', `${join(ROOT, 'fixtures/demo')}/`)
    .replaceAll('/tmp/fwaudit-demo/', `${dir}/`);
  const file = join(dir, 'fwaudit.yaml');
  writeFileSync(file, text);
  return file;
}

describe('run with the example configuration', () => {
  const dir = tmp();
  const r = runCli(['run', '--config', exampleConfig(dir)]);

  it('ingests, analyzes, writes every report and exits 1 (fail_on: violated)', () => {
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Run [0-9a-f-]{36} → .*fwaudit\.duckdb: 3 new input\(s\), 0 resumed, 0 already ingested; 151 lines, 145 flows, 145 stored; findings 4 confirmed/m);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('Report '))).toEqual([
      `Report html → ${dir}/reports/fwaudit.html (3 violated, 1 intermittent, 4 new, 0 resolved)`,
      `Report md → ${dir}/reports/fwaudit.md (3 violated, 1 intermittent, 4 new, 0 resolved)`,
      `Report junit → ${dir}/reports/fwaudit-junit.xml (3 violated, 1 intermittent, 4 new, 0 resolved)`,
      `Report json → ${dir}/reports/fwaudit.json (3 violated, 1 intermittent, 4 new, 0 resolved)`,
    ]);
    expect(r.stderr).toContain('fail_on violated: reached; failing now in the store: escan/client-update-check, finjan-vsos/policy-updates, gfi-languard/server-to-target-rpc-dynamic, groundlabs-er/node-agent-to-master');
  });

  it('the reports hold the analysis', () => {
    const junit = readFileSync(join(dir, 'reports/fwaudit-junit.xml'), 'utf8');
    expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="fwaudit" tests="95" failures="4" errors="0" skipped="86"/);
    expect(junit).toContain('<testcase classname="groundlabs-er" name="node-agent-to-master" time="0">\n      <failure type="intermittent"');
    const md = readFileSync(join(dir, 'reports/fwaudit.md'), 'utf8');
    expect(md).toContain('**3 violated**, 1 intermittent, 5 ok, 86 unobserved · 4 new, 0 resolved · 112 denied flows in the period');
    const html = readFileSync(join(dir, 'reports/fwaudit.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>') || html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    const json = JSON.parse(readFileSync(join(dir, 'reports/fwaudit.json'), 'utf8')) as { summary: Record<string, number> };
    expect(json.summary).toMatchObject({ violated: 3, intermittent: 1, ok: 5, unobserved: 86, denied_flows: 112, allowed_flows: 33 });
    // The default keep: denied flows and flows that matched a requirement (the allowed ones turn a requirement ok).
    const q = runCli(['query', '--db', join(dir, 'fwaudit.duckdb'), '--json', "SELECT count(*) AS n, count(*) FILTER (WHERE action <> 'deny') AS other FROM flows"]);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 145, other: 33 }]);
  });

  it('a second run with nothing new says so, keeps the status and exits 1 while violations remain', () => {
    const again = runCli(['run', '--config', join(dir, 'fwaudit.yaml')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Run [0-9a-f-]{36} → .*: nothing new \(3 input\(s\) already ingested\)$/m);
    expect(again.stderr).toContain(`Report md → ${dir}/reports/fwaudit.md (3 violated, 1 intermittent, 4 new, 0 resolved)`);
    expect(again.stderr).toContain('fail_on violated: reached; failing now in the store: ');
    const json = JSON.parse(readFileSync(join(dir, 'reports/fwaudit.json'), 'utf8')) as { summary: Record<string, number> };
    expect(json.summary).toMatchObject({ violated: 3, intermittent: 1, new: 4, resolved: 0 });
  });
});

describe('scheduled runs over two days', () => {
  const dir = tmp();
  const config = (inputs: string, failOn = 'violated') => {
    const file = join(dir, 'fwaudit.yaml');
    writeFileSync(file, [
      `inputs: [${join(ROOT, 'fixtures/history', inputs)}]`,
      `inventory: ${join(ROOT, 'fixtures/demo/inventory.yaml')}`,
      'store: state/history.duckdb',
      'tz: UTC',
      'year: 2026',
      'reports:',
      '  - { format: html, out: out/report.html }',
      '  - { out: out/report.md }',
      '  - { out: out/junit.xml }',
      `fail_on: ${failOn}`,
      '',
    ].join('\n'));
    return file;
  };
  const day1 = runCli(['run', '--config', config('day1')]);
  const day2 = runCli(['run', '--config', config('day2', 'none')]);

  it('paths are relative to the configuration file; exit codes follow fail_on', () => {
    expect([day1.code, day2.code]).toEqual([1, 0]);
    expect(existsSync(join(dir, 'state/history.duckdb'))).toBe(true);
    expect(day2.stderr).toContain(`Report md → ${join(dir, 'out/report.md')} (1 violated, 0 intermittent, 1 new, 1 resolved)`);
  });

  it('the report of the second run lists A as resolved and B as new', () => {
    const md = readFileSync(join(dir, 'out/report.md'), 'utf8');
    const start = md.indexOf('## Changes since the previous run');
    const lines = md.slice(start, md.indexOf('\n## ', start + 3)).trim().split('\n').slice(2).map((l) => l.replace(/;.*$/, ''));
    expect(lines).toEqual([
      '- **escan / client-update-check**: violated (was ok), failing since 2026-03-11T08:30:00.000Z',
      '- **groundlabs-er / node-agent-to-master**: ok (was violated), allowed again since 2026-03-11T09:00:05.000Z',
    ]);
  });

  it('the HTML report has no script and escapes a rule named <script>alert(1)</script>', () => {
    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('a third run with nothing new records a run and changes no other count', () => {
    const again = runCli(['run', '--config', config('day2', 'none')]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing new (3 input(s) already ingested)');
    const q = runCli(['query', '--db', join(dir, 'state/history.duckdb'), '--json',
      'SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM inputs) AS inputs, (SELECT count(*) FROM flows) AS flows']);
    expect(JSON.parse(q.stdout)).toEqual([{ runs: 3, inputs: 6, flows: 14 }]);
  });
});

describe('configuration errors', () => {
  const bad = (text: string) => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, text);
    return { file, r: runCli(['run', '--config', file]) };
  };

  it('an unknown key: file:line and exit 2', () => {
    const { file, r } = bad('inputs: [logs]\nstore: x.duckdb\ncolour: blue\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fwaudit: ${file}:3: colour: unknown key "colour"\n`);
  });

  it('a bad value: the line of the value', () => {
    const { file, r } = bad('inputs: [logs]\nstore: x.duckdb\nreports:\n  - format: html\n    out: r.html\n  - format: pdf\n    out: r.pdf\nfail_on: violated\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^fwaudit: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: reports\\[1\\]\\.format: `));
  });

  it('fail_on, since and tz are checked', () => {
    expect(bad('inputs: [logs]\nstore: x.duckdb\nfail_on: sometimes\n').r.stderr).toMatch(/bad\.yaml:3: fail_on: /);
    expect(bad('inputs: [logs]\nstore: x.duckdb\nreports:\n  - { out: r.md, since: yesterday }\n').r.stderr)
      .toMatch(/bad\.yaml:4: reports\[0\]\.since: cannot read time "yesterday"/);
    expect(bad('inputs: [logs]\nstore: x.duckdb\ntz: Mars/Olympus\n').r.stderr).toMatch(/bad\.yaml:3: tz: /);
  });

  it('a missing required key and a YAML syntax error', () => {
    const m = bad('inputs: [logs]\n');
    expect(m.r.code).toBe(2);
    expect(m.r.stderr).toMatch(/bad\.yaml:1: store: required field is missing/);
    const s = bad('inputs: [logs]\nstore: x.duckdb\nreports: [ { out: r.md\n');
    expect(s.r.code).toBe(2);
    expect(s.r.stderr).toMatch(/bad\.yaml:\d+: YAML syntax error/);
  });

  it('a missing configuration file', () => {
    const r = runCli(['run', '--config', 'no/such/fwaudit.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fwaudit: no/such/fwaudit.yaml: cannot read configuration (ENOENT)\n');
  });

  it('an input that cannot be read: reports are still written, exit 2', () => {
    const dir = tmp();
    const file = join(dir, 'fwaudit.yaml');
    writeFileSync(file, `inputs: [${join(ROOT, 'fixtures/history/day1')}, missing.log]\ninventory: ${join(ROOT, 'fixtures/demo/inventory.yaml')}\nstore: s.duckdb\ntz: UTC\nyear: 2026\nreports:\n  - { out: r.md }\nfail_on: violated\n`);
    const r = runCli(['run', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'missing.log')}: ERROR cannot read`);
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toContain('(error: cannot read: no such file or directory)');
  });
});
