import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFormat, reportText } from '../src/cli/commands/report.js';
import { queryText, formatTable } from '../src/cli/commands/query.js';
import { exportParquet } from '../src/app/export.js';
import { csvCell, escapeHtml, escapeMarkdownCell, markdownCode, neutraliseFormula } from '../src/reports/escape.js';
import { REPORT_CSV_COLUMNS } from '../src/reports/csv.js';
import { StoreError } from '../src/store/store.js';
import { buildHistoryStore, EVIL_RULE, FORMULA_RULE, SQL_RULE } from '../fixtures/store/history.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-report-'));
const db = join(dir, 'history.duckdb');
const NOW = new Date('2026-03-11T00:00:00Z');
beforeAll(async () => { await (await buildHistoryStore(db)).close(); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Minimal XML well-formedness check: balanced tags, quoted attributes, no raw `<`/`&` in text. */
function checkXml(xml: string): { counts: Map<string, number> } {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const counts = new Map<string, number>();
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body)) !== null) {
    consumed = re.lastIndex;
    if (m[5] !== undefined) {
      expect(m[5]).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
      if (stack.length === 0) expect(m[5].trim()).toBe('');
      continue;
    }
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop()).toBe(name);
    else {
      counts.set(name!, (counts.get(name!) ?? 0) + 1);
      if (!selfClose) stack.push(name!);
    }
  }
  expect(consumed).toBe(body.length);
  expect(stack).toEqual([]);
  return { counts };
}

describe('renderers', () => {
  it('HTML is self-contained, escapes log text and draws the three charts', async () => {
    const { text: html } = await reportText({ db, format: 'html' }, NOW);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // The hostile rule name is shown as text.
    expect(html).toContain(escapeHtml(EVIL_RULE));
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain(EVIL_RULE);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(escapeHtml(SQL_RULE));
    // No external resources of any kind.
    expect(html).not.toMatch(/\b(src|href|xlink:href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|base)\b/i);
    // http:// only ever appears as escaped text (inside the formula rule name), never as an attribute.
    for (const hit of html.matchAll(/https?:\/\//g)) expect(html.slice(hit.index! - 6, hit.index)).toBe('&quot;');
    // Charts: status matrix, top violated requirements, one per-requirement series chart each.
    expect((html.match(/<svg /g) ?? []).length).toBe(2 + 3);
    expect(html).toContain('aria-label="Status of each requirement per product"');
    expect(html).toContain('aria-label="Top violated requirements by denied flows"');
    expect(html).toContain('>VIOLATED</text>');
    expect(html).toContain('>INTERMITTENT</text>');
    expect(html).toContain('@media print');
    // New and resolved sections carry the right hosts.
    const newSection = html.slice(html.indexOf('New violations since'), html.indexOf('Resolved since'));
    expect(newSection).toContain('10.50.0.5');
    expect(newSection).not.toContain('10.40.0.21');
    const resolvedSection = html.slice(html.indexOf('Resolved since'), html.indexOf('Status per product'));
    expect(resolvedSection).toContain('10.40.0.21');
    expect(resolvedSection).not.toContain('10.50.0.5');
  });

  it('CSV has one row per requirement and neutralises formulas', async () => {
    const { text: csv, model } = await reportText({ db, format: 'csv' }, NOW);
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(REPORT_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + model.requirements.length);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 5).join(','))).toEqual([
      'gfi,GFI,scan-smb,required,violated', 'escan,ESCAN,update-pull,required,violated', 'gfi,GFI,snmp-trap,required,intermittent',
      'gfi,,console-web,required,unobserved', 'escan,,agent-push,required,ok',
    ]);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    // new/resolved tallies: scan-smb has one new key, agent-push one resolved
    expect(lines[1]!.split(',').slice(9, 12)).toEqual(['1', '1', '0']);
    expect(lines[5]!.split(',').slice(9, 12)).toEqual(['0', '0', '1']);
  });

  it('neutralises every formula prefix and quotes per RFC 4180', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(neutraliseFormula(s)).toBe(`'${s}`);
    expect(neutraliseFormula('10.0.0.1')).toBe('10.0.0.1');
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell('=a\nb')).toBe(`"'=a\nb"`);
    expect(csvCell(null)).toBe('');
  });

  it('JUnit has one testcase per requirement: failures for violated and intermittent, skipped for unobserved', async () => {
    const { text: xml } = await reportText({ db, format: 'junit' }, NOW);
    const { counts } = checkXml(xml);
    expect(counts.get('testcase')).toBe(5);
    expect(counts.get('failure')).toBe(3);
    expect(counts.get('skipped')).toBe(1);
    expect(counts.get('testsuite')).toBe(2);
    expect(xml).toMatch(/<testsuites name="fwaudit" tests="5" failures="3" errors="0" skipped="1"/);
    expect(xml).toMatch(/<testcase classname="gfi" name="scan-smb" time="0">\s*<failure type="violated" message="violated: 4 denied flow\(s\) for purpose of scan-smb">/);
    expect(xml).toMatch(/<testcase classname="gfi" name="snmp-trap" time="0">\s*<failure type="intermittent"/);
    expect(xml).toMatch(/<testcase classname="gfi" name="console-web" time="0">\s*<skipped /);
    expect(xml).toContain('<testcase classname="escan" name="agent-push" time="0"></testcase>');
    expect(xml).toContain('evidence: 2026-03-10.log:7');
    expect(xml).toContain(escapeHtml(SQL_RULE));
    expect(xml).not.toContain(EVIL_RULE);
  });

  it('JSON is the model; Markdown lists new/resolved and escapes table cells', async () => {
    const { text: json, model } = await reportText({ db, format: 'json' }, NOW);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(model)));
    expect(JSON.parse(json).summary.new_violations).toBe(1);
    const { text: md } = await reportText({ db }, NOW);
    expect(md.startsWith('# fwaudit report')).toBe(true);
    const newPart = md.slice(md.indexOf('## New violations'), md.indexOf('## Resolved'));
    expect(newPart).toContain('| gfi | scan-smb | 10.50.0.5 | 10.60.0.6 | tcp/445 | 4 |');
    const resolvedPart = md.slice(md.indexOf('## Resolved'), md.indexOf('## Failing'));
    expect(resolvedPart).toContain('| escan | agent-push | 10.40.0.21 | 10.10.0.11 | tcp/2222 | 6 |');
    expect(md).not.toContain('<script>');
    expect(md).toContain('### GFI / scan-smb: VIOLATED');
    expect(md).toContain("- Rules: `x'); DROP TABLE flows; --`");
    expect(markdownCode(EVIL_RULE)).toBe('`<script>alert(1)</script>`');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(escapeMarkdownCell(`${EVIL_RULE}|x\n*y*`)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;\\|x \\*y\\*');
  });

  it('chooses the format from --out and validates the period', async () => {
    expect(reportFormat({ out: 'r.html' })).toBe('html');
    expect(reportFormat({ out: 'r.xml' })).toBe('junit');
    expect(reportFormat({ out: 'r.CSV' })).toBe('csv');
    expect(reportFormat({})).toBe('md');
    expect(reportFormat({ format: 'json', out: 'r.html' })).toBe('json');
    await expect(reportText({ db, since: 'last tuesday' })).rejects.toThrow(/not a date/);
    await expect(reportText({ db: join(dir, 'missing.duckdb') })).rejects.toThrow(StoreError);
    const { model } = await reportText({ db, since: '2026-03-10', until: '2026-03-10T23:59:59Z' }, NOW);
    expect(model.summary.denied_flows).toBe(7);
  });
});

describe('query and export', () => {
  it('prints a table, JSON or CSV; values from logs are shown safely', async () => {
    const sql = `SELECT rule, count(*) AS n FROM flows GROUP BY rule ORDER BY n DESC, rule`;
    const json = JSON.parse(await queryText(sql, { db, json: true }));
    expect(json).toEqual([{ rule: EVIL_RULE, n: 6 }, { rule: FORMULA_RULE, n: 5 }, { rule: SQL_RULE, n: 4 }, { rule: null, n: 1 }]);
    const csv = await queryText(sql, { db, csv: true });
    expect(csv.split('\r\n')[2]).toBe(`"'=HYPERLINK(""http://x"",""y"")",5`);
    const table = await queryText(sql, { db });
    expect(table.split('\n')[0]).toMatch(/^rule\s+│\s+n$/);
    expect(table).toContain('(4 rows)');
    expect(formatTable(['a'], [['\u001b[31mred']])).toContain('\\x1b[31mred');
    await expect(queryText('SELECT * FROM flows', { db, json: true, csv: true })).rejects.toThrow(/exclude/);
    // The store is opened read-only: a query cannot change it.
    await expect(queryText('DELETE FROM flows', { db })).rejects.toThrow();
    expect(JSON.parse(await queryText('SELECT count(*) AS n FROM flows', { db, json: true }))).toEqual([{ n: 16 }]);
  });

  it('exports flows as Parquet partitioned by day, to a path with a quote in it', async () => {
    const out = join(dir, "it's parquet");
    expect((await exportParquet({ db, parquet: out })).flows).toBe(16);
    expect(readdirSync(out).sort()).toEqual(['day=2026-03-09', 'day=2026-03-10']);
    expect(existsSync(join(out, 'day=2026-03-09'))).toBe(true);
    const back = JSON.parse(await queryText(
      `SELECT CAST(day AS VARCHAR) AS day, count(*) AS n FROM read_parquet('${out.replace(/'/g, "''")}/*/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY day`,
      { db, json: true }));
    expect(back).toEqual([{ day: '2026-03-09', n: 9 }, { day: '2026-03-10', n: 7 }]);
    await expect(exportParquet({ db, parquet: join(dir, 'bad\nname') })).rejects.toThrow(/control characters/);
    // A second export into the same directory needs --overwrite.
    await expect(exportParquet({ db, parquet: out })).rejects.toThrow();
    expect((await exportParquet({ db, parquet: out, overwrite: true })).flows).toBe(16);
  });
});
