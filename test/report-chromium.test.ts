/**
 * The HTML report in a real browser (headless Chromium, Debian package `chromium`; .ci/run installs it):
 * it renders, log strings stay text, and the page makes no network request. The fixture week's report is
 * rendered at 1400 px wide and its screenshot kept (FWAUDIT_SCREENSHOT_DIR) so that a person can look at it.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { HAVE_CHROMIUM, render } from './helpers/chromium.js';
import { missing } from './helpers/prereqs.js';

const INV = ['--inventory', 'fixtures/demo/inventory.yaml', '--tz', 'UTC', '--year', '2026', '--no-progress'];

describe.skipIf(missing(HAVE_CHROMIUM))('HTML report in headless Chromium', () => {
  it('the request check sees a page request when there is one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-cr-'));
    const page = join(dir, 'leaky.html');
    writeFileSync(page, '<!doctype html><title>x</title><img src="http://127.0.0.1:9/pixel.png"><p>x</p>');
    expect(render(page).pageRequests).toEqual(['http://127.0.0.1:9/pixel.png']);
  });

  it('renders the two-day history report: no request, no script, log text escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-cr-'));
    const db = join(dir, 'h.duckdb');
    for (const day of ['day1', 'day2']) {
      const r = runCli(['ingest', `fixtures/history/${day}`, '--db', db, ...INV]);
      expect(r.code, r.stderr).toBe(0);
    }
    const html = join(dir, 'report.html');
    expect(runCli(['report', '--db', db, '--format', 'html', '--out', html]).code).toBe(0);
    const out = render(html);
    expect(out.pageRequests).toEqual([]);
    expect(out.dom).not.toMatch(/<script/i);
    expect(out.dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out.dom).toContain('<svg');
    expect(out.screenshotBytes).toBeGreaterThan(10_000);
  });

  it('renders the fixture week at 1400 px: changes, failing now with device/rule/open, the status grid, coverage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-cr-'));
    const db = join(dir, 'week.duckdb');
    for (let n = 1; n <= 7; n++) {
      const r = runCli(['ingest', `fixtures/history/week/day${n}`, '--db', db, ...INV]);
      expect(r.code, `ingest of day ${n}: ${r.stderr}`).toBe(0); // (stderr in the message: a failure says why)
    }
    const html = join(dir, 'week.html');
    expect(runCli(['report', '--db', db, '--out', html]).code).toBe(0);
    const out = render(html, { width: 1400, height: 1400 });
    expect(out.pageRequests).toEqual([]);
    const dom = out.dom;
    // What is failing, where, since when and what to open come before any long list.
    const order = ['Changes since the previous run', 'Failing now', 'Status per day', 'Denied flows per day', 'Outages', 'Log coverage per device', 'Top blocked flows'];
    const at = order.map((t) => dom.indexOf(`<h2>${t}`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const failing = dom.slice(at[1]!, at[2]!);
    expect(failing).toContain('silent since last evidence');
    expect(failing).toContain('<span class="nw">10.41.0.1-10.41.0.99</span>');
    expect(dom).toContain('10.20.0.33 (silent)');
    expect(out.screenshotBytes).toBeGreaterThan(50_000);
    if (process.env['FWAUDIT_SCREENSHOT_DIR']) copyFileSync(out.screenshot, join(process.env['FWAUDIT_SCREENSHOT_DIR'], 'fixture-week-1400.png'));
  }, 300_000);
});
