/**
 * The one sanitizer for attacker-controlled text that reaches a terminal or a message. Log text,
 * ruleset text, file and ZIP member names are attacker-controlled: a control character could move the
 * cursor, recolour or retitle the terminal (ESC/CSI/OSC sequences, C1 controls such as U+009B CSI) and a
 * bidi override could make `evil.exe‮gpj.` read as something else. Every such character is shown as a
 * visible escape (`\x1b`, `\x9b`, `\u202e`), so the sequence is inert and the reader still sees that it
 * was there. Linear time, no regular expression on the text.
 */

export interface SanitizeOptions {
  /** Keep line feeds (multi-line text such as ruleset descriptions). Default: escaped. */
  newlines?: boolean;
  /** Keep tabs (with `newlines`). Default: escaped. */
  tabs?: boolean;
  /** Double backslashes so that an escape in the input cannot be forged (names and previews). Default: off. */
  backslashes?: boolean;
}

/** Bidi embeddings/overrides/isolates and marks, line/paragraph separators, BOM. */
function isInvisibleFormat(c: number): boolean {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x2028 || c === 0x2029 ||
    c === 0x200e || c === 0x200f || c === 0x061c || c === 0xfeff;
}

function hex(c: number): string {
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/** Text safe to print on a terminal: every C0/C1 control, DEL, bidi control and lone surrogate shown as an escape. */
export function sanitizeText(s: string, o: SanitizeOptions = {}): string {
  let out: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c === 92) {
      if (o.backslashes) rep = '\\\\';
    } else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      if (!((c === 10 && o.newlines) || (c === 9 && o.newlines && o.tabs))) rep = hex(c);
    } else if (isInvisibleFormat(c)) {
      rep = hex(c);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (pair) { if (out !== null) out += s[i]! + s[i + 1]!; i++; continue; }
      rep = `\\u${c.toString(16)}`;
    }
    if (rep !== null) {
      if (out === null) out = s.slice(0, i);
      out += rep;
    } else if (out !== null) out += s[i]!;
  }
  return out ?? s;
}

/** Names and excerpts in messages: sanitised with backslashes doubled, so an escape cannot be forged. */
export function escapeText(s: string): string {
  return sanitizeText(s, { backslashes: true });
}

/** A short escaped preview of text: at most `max` characters of input, escaped. */
export function previewText(s: string, max = 80): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  return escapeText(cut) + (s.length > max ? '…' : '');
}

/** True when `s` holds a character `sanitizeText` would escape. */
export function hasUnsafeText(s: string): boolean {
  return sanitizeText(s) !== s;
}
