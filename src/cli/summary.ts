/** The per-input parse summary printed on stderr, and the progress line for terminals. */
import type { InputSummary, Progress } from '../pipeline/run.js';

export function formatSummary(summaries: InputSummary[]): string {
  const out: string[] = [];
  for (const s of summaries) {
    if (s.error && s.format === null) { out.push(`${s.file}: ERROR ${s.error}`); continue; }
    const skipped = s.skipped.reduce((n, g) => n + g.count, 0);
    const enc = s.encoding && s.encoding !== 'utf-8' ? `, ${s.encoding}` : '';
    const cont = s.container ? `, ${s.container}` : '';
    const notes = Object.entries(s.notes).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`${s.file}: ${s.format ?? 'no data'}${s.dialect ? ` (${s.dialect}${enc}${cont})` : ''}: ${s.lines} lines, ${s.flows} flows, ${skipped} skipped${notes ? `; ${notes}` : ''}`);
    for (const g of [...s.skipped].sort((a, b) => b.count - a.count)) {
      out.push(`    ${g.count} × ${g.reason} [${g.kind}], first at ${g.first.file}:${g.first.line}`);
    }
    if (s.error) out.push(`    ERROR ${s.error}`);
    if (s.flows === 0 && !s.error && s.lines > 0) out.push('    warning: no flows in this input');
  }
  return out.join('\n');
}

export function inputErrors(summaries: InputSummary[]): InputSummary[] {
  return summaries.filter((s) => s.error !== null);
}

/** Progress on stderr when it is a terminal; silent otherwise. */
export function progressReporter(enabled: boolean): { update: (p: Progress) => void; done: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, done: () => {} };
  const start = Date.now();
  let last = 0, doneBytes = 0, lastFile = -1, lastBytes = 0;
  return {
    update(p) {
      if (p.fileIndex !== lastFile) { doneBytes += lastBytes; lastFile = p.fileIndex; }
      lastBytes = p.bytes;
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      const secs = (now - start) / 1000;
      const mbs = (doneBytes + p.bytes) / 1e6 / Math.max(secs, 0.001);
      const eta = p.totalBytes ? Math.max(0, (p.totalBytes - p.bytes) / 1e6 / Math.max(mbs, 0.001)) : null;
      process.stderr.write(`\r\x1b[K[${p.fileIndex + 1}/${p.files} files] ${p.lines.toLocaleString('en-US')} lines, ${mbs.toFixed(1)} MB/s${eta !== null ? `, file ends in ${eta.toFixed(0)} s` : ''}`);
    },
    done() { process.stderr.write('\r\x1b[K'); },
  };
}
