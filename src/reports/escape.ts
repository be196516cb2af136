/**
 * Escaping shared by every renderer. Log text and config text are attacker-controlled:
 * HTML/XML output escapes it, CSV output neutralises spreadsheet formulas.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG element content and quoted attribute values. Null/undefined become ''. */
export function escapeHtml(v: unknown): string {
  if (v === null || v === undefined) return '';
  return stripControl(String(v)).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** XML 1.0 text/attribute escaping (JUnit); characters XML 1.0 cannot carry are replaced with U+FFFD. */
export function escapeXml(v: unknown): string {
  return escapeHtml(v);
}

/** Removes C0 control characters other than tab/LF/CR (not allowed in XML 1.0, confusing in HTML). */
function stripControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
}

/**
 * Neutralises a spreadsheet formula: a cell beginning with `=`, `+`, `-`, `@`, tab or CR
 * gets a leading `'` so Excel/LibreOffice/Sheets show it as text (OWASP CSV injection).
 */
export function neutraliseFormula(s: string): string {
  if (s.length === 0) return s;
  const c = s.charCodeAt(0);
  // = + - @ TAB CR
  if (c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13) return `'${s}`;
  return s;
}

/** One CSV cell (RFC 4180 quoting) with formula neutralisation. Numbers are written as they are. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = neutraliseFormula(typeof v === 'string' ? v : JSON.stringify(v));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/**
 * Markdown text or table cell, escaped for Markdown (CommonMark backslash escapes, not HTML entities): the
 * characters that start emphasis, code, links, images, raw HTML, entities, strikethrough and table cells are
 * backslash-escaped, so `<script>` shows as text and `a|b` stays in its cell; line breaks fold into spaces.
 */
export function escapeMarkdownCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return stripControl(String(v))
    .replace(/[\\`*_[\]<>|&~!#]/g, (c) => `\\${c}`)
    .replace(/\r?\n|\r/g, ' ');
}

/** Markdown code span: content shown literally (no HTML, no entities); fenced with enough backticks. */
export function markdownCode(v: unknown): string {
  const s = stripControl(String(v ?? '')).replace(/\r?\n|\r/g, ' ');
  let fence = '`';
  while (s.includes(fence)) fence += '`';
  const pad = s.startsWith('`') || s.endsWith('`') || s === '' ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}
