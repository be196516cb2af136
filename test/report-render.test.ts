import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFormat, reportText } from '../src/cli/commands/report.js';
import { queryText, formatTable } from '../src/cli/commands/query.js';
import { exportParquet } from '../src/app/export.js';
import { csvCell, escapeHtml, escapeMarkdownCell, markdownCode, neutraliseFormula } from '../src/reports/escape.js';
import { REPORT_CSV_COLUMNS } from '../src/reports/csv.js';
import { Store, StoreError } from '../src/store/store.js';
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
  it('HTML is self-contained, escapes log text, draws the timeline grid and the charts, failing first', async () => {
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
    // Charts: the status timeline grid, one denies-per-day chart per failing requirement (3), device coverage (none here).
    expect((html.match(/<svg /g) ?? []).length).toBe(1 + 3);
    expect(html).toContain('aria-label="Status per requirement and day"');
    expect(html).toContain('aria-label="Denied flows per bucket for ESCAN / update-pull"');
    expect(html).toContain('@media print');
    // Changes: new and resolved at requirement level, with their hosts.
    const changes = html.slice(html.indexOf('Changes since the previous run'), html.indexOf('Failing now'));
    const newPart = changes.slice(changes.indexOf('New (2)'), changes.indexOf('Resolved (1)'));
    expect(newPart).toContain('GFI / scan-smb');
    expect(newPart).toContain('10.50.0.5');
    expect(newPart).not.toContain('10.40.0.21');
    const resolvedPart = changes.slice(changes.indexOf('Resolved (1)'));
    expect(resolvedPart).toContain('ESCAN / agent-push');
    expect(resolvedPart).toContain('10.40.0.21');
    // Failing now: failing first, with Device, Rule and Open columns.
    const failing = html.slice(html.indexOf('<h2>Failing now'), html.indexOf('<h2>Status per'));
    expect(failing).toContain('<th>Device</th><th>Rule</th><th>Open</th>');
    expect((failing.match(/<tr><td><span class="badge"/g) ?? []).length).toBe(3);
    expect(failing).toContain('<span class="nw">445</span> <span class="nw">from</span> <span class="nw">10.50.0.5</span>');
    // Unobserved collapsed per product.
    expect(html).toContain('<details><summary>GFI: 1 unobserved</summary>');
    // Addresses and rule names do not wrap inside a token.
    expect(html).toMatch(/code, \.mono \{[^}]*white-space: nowrap/);
  });

  it('CSV has one row per requirement and neutralises formulas', async () => {
    const { text: csv, model } = await reportText({ db, format: 'csv' }, NOW);
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(REPORT_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + model.requirements.length);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 7).join(','))).toEqual([
      'escan,ESCAN,update-pull,required,violated,2026-03-10,', 'gfi,GFI,scan-smb,required,violated,2026-03-10,new',
      'gfi,GFI,snmp-trap,required,intermittent,2026-03-10,new', 'gfi,GFI,console-web,required,unobserved,,', 'escan,ESCAN,agent-push,required,ok,2026-03-10,resolved',
    ]);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    expect(csv).toContain(",x'); DROP TABLE flows; --,");
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
    expect(xml).toContain('outage: 2026-03-10T10:15:00.000Z .. 2026-03-10T13:15:00.000Z (ongoing)');
    expect(xml).toMatch(/<testcase classname="gfi" name="snmp-trap" time="0">\s*<failure type="intermittent"/);
    expect(xml).toMatch(/<testcase classname="gfi" name="console-web" time="0">\s*<skipped /);
    expect(xml).toContain('<testcase classname="escan" name="agent-push" time="0"></testcase>');
    expect(xml).toContain(escapeHtml(SQL_RULE));
    expect(xml).not.toContain(EVIL_RULE);
  });

  it('JSON is the model; Markdown lists the changes and escapes Markdown, not HTML', async () => {
    const { text: json, model } = await reportText({ db, format: 'json' }, NOW);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(model)));
    expect(JSON.parse(json).schema_version).toBe(2);
    expect(JSON.parse(json).summary.new).toBe(2);
    const { text: md } = await reportText({ db }, NOW);
    expect(md.startsWith('# fwaudit report')).toBe(true);
    const changes = md.slice(md.indexOf('## Changes'), md.indexOf('## Failing'));
    expect(changes).toContain('- **gfi / scan-smb**: violated (was ok), failing since 2026-03-10T10:15:00.000Z; 10.50.0.5 → 10.60.0.6 tcp/445 ×4');
    expect(changes).toContain('- **escan / agent-push**: ok (was violated), allowed again since 2026-03-10T14:15:00.000Z; 10.40.0.21 → 10.10.0.11 tcp/2222 ×4');
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('&lt;');
    expect(md).toContain('| 10.40.0.21 | 10.10.0.11 | tcp/2222 | 6 | 2026-03-09T13:15:00.000Z | \\<script\\>alert(1)\\</script\\> |');
    expect(md).toContain('### GFI / scan-smb: VIOLATED (new)');
    expect(md).toContain("- Rules: `x'); DROP TABLE flows; --`");
    expect(md).toContain('| escan / update-pull | ✗ 3/0 | ✗ 2/0 |');
    expect(markdownCode(EVIL_RULE)).toBe('`<script>alert(1)</script>`');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(escapeMarkdownCell(`${EVIL_RULE}|x\n*y* & [l](u) ![i](u) ~~s~~`)).toBe('\\<script\\>alert(1)\\</script\\>\\|x \\*y\\* \\& \\[l\\](u) \\!\\[i\\](u) \\~\\~s\\~\\~');
  });

  it('chooses the format from --out and validates the period', async () => {
    expect(reportFormat({ out: 'r.html' })).toBe('html');
    expect(reportFormat({ out: 'r.xml' })).toBe('junit');
    expect(reportFormat({ out: 'r.CSV' })).toBe('csv');
    expect(reportFormat({})).toBe('md');
    expect(reportFormat({ out: '-' })).toBe('md');
    expect(() => reportFormat({ out: 'r.txt' })).toThrow(/cannot tell the report format from "r.txt".*pass --format/);
    expect(reportFormat({ format: 'md', out: 'r.txt' })).toBe('md');
    await expect(reportText({ db, since: '2026-03-10', until: '2026-03-09' })).rejects.toThrow(/must be before/);
    await expect(reportText({ db, since: '5m' })).rejects.toThrow(/min/);
    expect(reportFormat({ format: 'json', out: 'r.html' })).toBe('json');
    await expect(reportText({ db, since: 'last tuesday' })).rejects.toThrow(/cannot read time/);
    await expect(reportText({ db: join(dir, 'missing.duckdb') })).rejects.toThrow(StoreError);
    const { model } = await reportText({ db, since: '2026-03-10', until: '2026-03-10T23:59:59Z' }, NOW);
    expect(model.summary.denied_flows).toBe(7);
    expect(model.summary.allowed_flows).toBe(7);
  });
});

describe('query and export', () => {
  it('prints a table, JSON or CSV; values from logs are shown safely', async () => {
    const sql = `SELECT rule, count(*) AS n FROM flows GROUP BY rule ORDER BY n DESC, rule`;
    const json = JSON.parse(await queryText(sql, { db, json: true }));
    expect(json).toEqual([{ rule: null, n: 13 }, { rule: EVIL_RULE, n: 6 }, { rule: FORMULA_RULE, n: 5 }, { rule: SQL_RULE, n: 4 }]);
    const csv = await queryText(sql, { db, csv: true });
    expect(csv.split('\r\n')[3]).toBe(`"'=HYPERLINK(""http://x"",""y"")",5`);
    const table = await queryText(sql, { db });
    expect(table.split('\n')[0]).toMatch(/^rule\s+│\s+n$/);
    expect(table).toContain('(4 rows)');
    expect(formatTable(['a'], [['\u001b[31mred']])).toContain('\\x1b[31mred');
    await expect(queryText('SELECT * FROM flows', { db, json: true, csv: true })).rejects.toThrow(/exclude/);
    // The store is opened read-only: a query cannot change it.
    await expect(queryText('DELETE FROM flows', { db })).rejects.toThrow();
    expect(JSON.parse(await queryText('SELECT count(*) AS n FROM flows', { db, json: true }))).toEqual([{ n: 28 }]);
  });

  it('exports flows as Parquet partitioned by day, to a path with a quote in it', async () => {
    const out = join(dir, "it's parquet");
    expect((await exportParquet({ db, parquet: out })).flows).toBe(28);
    expect(readdirSync(out).sort()).toEqual(['day=2026-03-09', 'day=2026-03-10']);
    expect(existsSync(join(out, 'day=2026-03-09'))).toBe(true);
    // Read back with a plain DuckDB (query itself cannot read files).
    const reader = await Store.open(':memory:');
    const back = await reader.all(
      `SELECT CAST(day AS VARCHAR) AS day, count(*) AS n FROM read_parquet('${out.replace(/'/g, "''")}/*/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY day`);
    await reader.close();
    expect(back).toEqual([{ day: '2026-03-09', n: 14 }, { day: '2026-03-10', n: 14 }]);
    await expect(exportParquet({ db, parquet: join(dir, 'bad\nname') })).rejects.toThrow(/control characters/);
    // A second export into the same directory needs --overwrite.
    await expect(exportParquet({ db, parquet: out })).rejects.toThrow();
    expect((await exportParquet({ db, parquet: out, overwrite: true })).flows).toBe(28);
  });
});
