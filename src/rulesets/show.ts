/** Text rendering of rulesets for `fwaudit rulesets list|show`. */
import path from 'node:path';
import type { Requirement, Ruleset } from '../model/ruleset.js';
import { formatIntervals, resolvePorts } from './ports.js';
import { paramValues } from './load.js';
import { sanitizeText } from '../model/sanitize.js';

/** Ruleset text is user-controlled: terminal control characters are shown as escapes. */
function clean(s: string): string {
  return sanitizeText(s, { newlines: true, tabs: true });
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Word-wraps `text` to `width` columns (long words are cut). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of clean(text).split('\n')) {
    let line = '';
    for (let word of para.split(/\s+/).filter(Boolean)) {
      while (word.length > width) {
        if (line) { out.push(line); line = ''; }
        out.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (!line) line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else { out.push(line); line = word; }
    }
    out.push(line);
  }
  return out.length ? out : [''];
}

/** A plain-text table; cells wrap at the column's maximum width. Rows with wrapped cells are spaced apart. */
export function renderTable(headers: string[], rows: string[][], maxWidths: number[] = []): string {
  const wrapped = rows.map((r) => r.map((c, i) => wrap(c, maxWidths[i] ?? 1000)));
  const widths = headers.map((h, i) => Math.max(h.length, ...wrapped.map((r) => Math.max(...r[i]!.map((l) => l.length)))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(headers), line(widths.map((w) => '-'.repeat(w)))];
  const multi = wrapped.some((r) => r.some((c) => c.length > 1));
  wrapped.forEach((r, ri) => {
    const h = Math.max(...r.map((c) => c.length));
    for (let k = 0; k < h; k++) out.push(line(r.map((c) => c[k] ?? '')));
    if (multi && ri < wrapped.length - 1) out.push('');
  });
  return out.join('\n');
}

export function formatRulesetList(rulesets: Ruleset[]): string {
  return renderTable(
    ['ID', 'PRODUCT', 'REQUIREMENTS', 'ROLES', 'FILE'],
    rulesets.map((r) => [r.id, r.product, String(r.requirements.length), String(Object.keys(r.roles).length), displayPath(r.file)]),
  );
}

/** Ports of a requirement with parameters resolved to their values: `1072 (agent_port)`, `80, 443`, `-` (GRE). */
export function describePorts(req: Requirement, params: Record<string, number | string | boolean>): string {
  if (req.ports === null) return '-';
  const atoms = Array.isArray(req.ports) ? req.ports : [req.ports];
  return atoms
    .map((a) => {
      const ref = typeof a === 'string' ? /^\s*\$\{([^}]+)\}\s*$/.exec(a) : null;
      let resolved: string;
      try {
        resolved = formatIntervals(resolvePorts(a, params));
      } catch (e) {
        resolved = `? (${(e as Error).message})`;
      }
      return ref ? `${resolved} (${ref[1]})` : resolved;
    })
    .join(', ');
}

export function describeFlow(req: Requirement): string {
  const dest = req.hosts ? `${req.to && req.to !== 'internet' ? `${req.to}: ` : ''}${req.hosts.join(', ')}` : (req.to ?? '?');
  return `${req.from} → ${dest}`;
}

export function describeNecessity(req: Requirement): string {
  const parts: string[] = [req.necessity + (req.condition ? `: ${req.condition}` : '')];
  if (req.local_only) parts.push('local only (no firewall opening needed)');
  if (req.window) parts.push(`window ${req.window}`);
  return parts.join('; ');
}

export function describeSource(req: Requirement): string {
  return `${req.source.document} § ${req.source.section}`;
}

export function formatRuleset(rs: Ruleset): string {
  const params = paramValues(rs);
  const out: string[] = [];
  out.push(`${clean(rs.product)}${rs.version ? ` ${clean(rs.version)}` : ''}  [${rs.id}]`);
  out.push(`file: ${displayPath(rs.file)}`);
  for (const d of rs.documents ?? []) out.push(`document: ${clean(d.file)} - ${clean(d.title)}`);
  if (rs.description) out.push('', ...wrap(rs.description, 100));
  out.push('', 'ROLES', renderTable(['ROLE', 'DESCRIPTION'], [...Object.entries(rs.roles), ['internet', 'built-in: any public address']], [24, 90]));
  if (rs.parameters.length) {
    out.push('', 'PARAMETERS (defaults; override them per deployment)');
    out.push(renderTable(['PARAMETER', 'DEFAULT', 'DESCRIPTION'], rs.parameters.map((p) => [p.id, String(p.default), p.description]), [24, 20, 80]));
  }
  out.push('', `REQUIREMENTS (${rs.requirements.length})`);
  out.push(
    renderTable(
      ['ID', 'FLOW', 'TRANSPORT', 'PORTS', 'NECESSITY', 'PURPOSE', 'SOURCE'],
      rs.requirements.map((r) => [r.id, describeFlow(r), r.transport, describePorts(r, params), describeNecessity(r), r.purpose, describeSource(r)]),
      [34, 60, 9, 32, 30, 42, 38],
    ),
  );
  const amb = rs.requirements.filter((r) => r.ambiguity);
  if (amb.length) {
    out.push('', 'READINGS OF AMBIGUOUS PASSAGES');
    out.push(renderTable(['ID', 'NOTE'], amb.map((r) => [r.id, r.ambiguity!]), [36, 100]));
  }
  if (rs.symptoms?.length) {
    out.push('', 'SYMPTOMS (fwaudit diagnose --symptom ID)');
    out.push(renderTable(['SYMPTOM', 'TEXT', 'REQUIREMENTS'], rs.symptoms.map((s) => [s.id, s.text, s.requirements.join(', ')]), [28, 50, 60]));
  }
  return out.join('\n');
}

/** JSON form of a ruleset: the data plus each requirement's ports resolved with the defaults. */
export function rulesetToJson(rs: Ruleset): unknown {
  const params = paramValues(rs);
  return {
    ...rs,
    requirements: rs.requirements.map((r) => {
      let resolved: string | null;
      try {
        resolved = r.ports === null ? null : formatIntervals(resolvePorts(r.ports, params));
      } catch {
        resolved = null;
      }
      return { ...r, resolved_ports: resolved };
    }),
  };
}
