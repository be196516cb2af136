/**
 * The HTML report in a real browser (headless Chromium, Debian package `chromium`; .ci/run installs it):
 * it renders, log strings stay text, and the page makes no network request.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { HAVE_CHROMIUM, render } from './helpers/chromium.js';
import { missing } from './helpers/prereqs.js';

describe('HTML report in headless Chromium', () => {
  it.skipIf(missing(HAVE_CHROMIUM))('the request check sees a page request when there is one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-cr-'));
    const page = join(dir, 'leaky.html');
    writeFileSync(page, '<!doctype html><title>x</title><img src="http://127.0.0.1:9/pixel.png"><p>x</p>');
    expect(render(page).pageRequests).toEqual(['http://127.0.0.1:9/pixel.png']);
  });

  it.skipIf(missing(HAVE_CHROMIUM))('renders the two-day history report: no request, no script, log text escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-cr-'));
    const db = join(dir, 'h.duckdb');
    for (const day of ['day1', 'day2']) {
      const r = runCli(['ingest', `fixtures/history/${day}`, '--inventory', 'fixtures/demo/inventory.yaml', '--db', db, '--tz', 'UTC', '--year', '2026']);
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
});
