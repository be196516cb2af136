/** The per-input parse summary printed on stderr, and the progress line for terminals. */
import { sanitizeText } from '../model/sanitize.js';
import type { InputSummary, Progress } from '../pipeline/run.js';
import type { OutStream } from './io.js';

/** "1 flow", "2 flows". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Blank lines, once the pipeline counts them (`InputSummary.blank`). */
function blankOf(s: InputSummary): number | null {
  const b = (s as InputSummary & { blank?: number }).blank;
  return typeof b === 'number' ? b : null;
}

/**
 * One line per input: `file: format (dialect): N lines = F flows + X not-flow + M malformed + B blank`
 * (`N lines + K extra octet-counted frames = …` when syslog lines carry several messages),
 * then one line per kind of skipped line with its first occurrence. Every piece of text is sanitised.
 */
export function formatSummary(summaries: InputSummary[], o: { preview?: boolean } = {}): string {
  const out: string[] = [];
  for (const s of summaries) {
    const file = sanitizeText(s.file);
    if (s.error && s.format === null) {
      out.push(`${file}: ERROR ${sanitizeText(s.error)}`);
      // an unrecognised input's first line, escaped, for a human at a terminal with --verbose only
      if (o.preview && s.preview) out.push(`    first line (escaped): ${s.preview}`);
      continue;
    }
    let notFlow = 0, malformed = 0;
    for (const g of s.skipped) { if (g.kind === 'malformed') malformed += g.count; else notFlow += g.count; }
    const blank = blankOf(s);
    const enc = s.encoding && s.encoding !== 'utf-8' ? `, ${s.encoding}` : '';
    const cont = s.container ? `, ${s.container}` : '';
    const notes = Object.entries(s.notes).filter(([k]) => k !== 'extra-frames').map(([k, v]) => `${sanitizeText(k)} ${v}`).join(', ');
    // octet-counted syslog: a line may carry several messages, each one unit of the sum
    const frames = s.notes['extra-frames'] ?? 0;
    const units = frames ? `${plural(s.lines, 'line')} + ${plural(frames, 'extra octet-counted frame')}` : plural(s.lines, 'line');
    const parts = [plural(s.flows, 'flow'), `${notFlow.toLocaleString('en-US')} not-flow`, `${malformed.toLocaleString('en-US')} malformed`];
    if (blank !== null) parts.push(`${blank.toLocaleString('en-US')} blank`);
    const head = `${file}: ${sanitizeText(s.format ?? 'no data')}${s.dialect ? ` (${sanitizeText(s.dialect)}${enc}${cont})` : ''}`;
    out.push(`${head}: ${units} = ${parts.join(' + ')}${notes ? `; ${notes}` : ''}`);
    for (const g of [...s.skipped].sort((a, b) => b.count - a.count)) {
      out.push(`    ${g.count} × ${sanitizeText(g.reason)} [${g.kind}], first at ${sanitizeText(g.first.file)}:${g.first.line}`);
    }
    if (s.error) out.push(`    ERROR ${sanitizeText(s.error)}`);
    if (s.flows === 0 && !s.error && s.lines > 0) out.push('    warning: no flows in this input');
  }
  return out.join('\n');
}

export function inputErrors(summaries: InputSummary[]): InputSummary[] {
  return summaries.filter((s) => s.error !== null);
}

export interface ProgressReporter { update: (p: Progress) => void; done: () => void }

/**
 * Progress on `stream` when it is a terminal; silent otherwise. One line, cut to the terminal width
 * and redrawn in place (carriage return + clear to end of line), so it never wraps or scrolls.
 */
export function progressReporter(enabled: boolean, stream: OutStream, now: () => number = Date.now): ProgressReporter {
  if (!enabled || !stream.isTTY) return { update: () => {}, done: () => {} };
  const start = now();
  let last = 0, doneBytes = 0, lastFile = -1, lastBytes = 0, shown = false;
  return {
    update(p) {
      if (p.fileIndex !== lastFile) { doneBytes += lastBytes; lastFile = p.fileIndex; }
      lastBytes = p.bytes;
      const t = now();
      if (t - last < 250) return;
      last = t;
      const secs = (t - start) / 1000;
      const mbs = (doneBytes + p.bytes) / 1e6 / Math.max(secs, 0.001);
      const eta = p.totalBytes ? Math.max(0, (p.totalBytes - p.bytes) / 1e6 / Math.max(mbs, 0.001)) : null;
      const text = `[${p.fileIndex + 1}/${p.files} files] ${p.lines.toLocaleString('en-US')} lines, ${mbs.toFixed(1)} MB/s${eta !== null ? `, file ends in ${eta.toFixed(0)} s` : ''}`;
      const width = Math.max(10, (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80) - 1);
      stream.write(`\r\x1b[K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
      shown = true;
    },
    done() { if (shown) { stream.write('\r\x1b[K'); shown = false; } },
  };
}

/** The -v/--verbose closing line: totals over every input and the elapsed time. */
export function totalsLine(summaries: InputSummary[], ms: number): string {
  let lines = 0, flows = 0, bytes = 0;
  for (const s of summaries) { lines += s.lines; flows += s.flows; bytes += s.bytes; }
  const secs = ms / 1000;
  return `${plural(summaries.length, 'input')}, ${plural(lines, 'line')}, ${plural(flows, 'flow')}, ${(bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(2)} s`
    + (secs > 0 ? ` (${(bytes / 1e6 / secs).toFixed(1)} MB/s)` : '');
}

/**
 * With -q/--quiet the summaries are not printed, but an input that could not be read is still named on
 * stderr (one line each): quiet means no chatter, never a silent failure.
 */
export function quietErrors(summaries: InputSummary[], o: { quiet?: boolean }, stderr: OutStream): void {
  if (!o.quiet) return;
  for (const s of inputErrors(summaries)) stderr.write(`${sanitizeText(s.file)}: ERROR ${sanitizeText(s.error ?? '')}\n`);
}
