/**
 * Headless Chromium (Debian's `chromium`) for report checks: the rendered DOM, a screenshot, and the
 * requests the PAGE made (from Chromium's net log; the browser's own background requests carry the
 * initiator "not an origin" and are not the page's).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'];

export interface Rendered { dom: string; pageRequests: string[]; screenshot: string; screenshotBytes: number }

export function render(htmlFile: string, size: { width: number; height: number } = { width: 1280, height: 2400 }): Rendered {
  const dir = mkdtempSync(join(tmpdir(), 'fwaudit-chromium-'));
  const url = `file://${htmlFile}`;
  const net = join(dir, 'net.json');
  const dump = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${join(dir, 'p1')}`, `--log-net-log=${net}`, '--virtual-time-budget=3000', '--dump-dom', url],
    { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  if (dump.status !== 0) throw new Error(`chromium --dump-dom failed: ${dump.stderr}`);
  const shot = join(dir, 'report.png');
  const s = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${join(dir, 'p2')}`, `--screenshot=${shot}`, `--window-size=${size.width},${size.height}`, url],
    { encoding: 'utf8', timeout: 120_000 });
  if (s.status !== 0) throw new Error(`chromium --screenshot failed: ${s.stderr}`);
  return { dom: dump.stdout, pageRequests: pageRequests(net), screenshot: shot, screenshotBytes: existsSync(shot) ? statSync(shot).size : 0 };
}

/** URLs of requests started on behalf of a page (any initiator but the browser itself). */
export function pageRequests(netLogFile: string): string[] {
  const log = JSON.parse(readFileSync(netLogFile, 'utf8')) as {
    constants: { logEventTypes: Record<string, number> };
    events: Array<{ type: number; params?: { url?: string; initiator?: string } }>;
  };
  const start = log.constants.logEventTypes['URL_REQUEST_START_JOB'];
  return log.events
    .filter((e) => e.type === start && e.params?.url && e.params.initiator !== 'not an origin')
    .map((e) => e.params!.url!);
}
