/**
 * Escaping of attacker-controlled text (file and member names, excerpts of unrecognised input) before
 * it reaches a message: C0 and C1 controls, DEL, bidi overrides and isolates, line/paragraph
 * separators and lone surrogates become visible escapes (`\x1b`, `\u202e`); backslashes are doubled
 * so that an escape cannot be forged. Linear, no regular expression on the text.
 */
export function escapeText(s: string): string {
  let out: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c === 92) rep = '\\\\';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) rep = `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x2028 || c === 0x2029 || c === 0x200e || c === 0x200f || c === 0x061c || c === 0xfeff) {
      rep = `\\u${c.toString(16).padStart(4, '0')}`;
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

/** A short escaped preview of text: at most `max` characters of input, escaped. */
export function previewText(s: string, max = 80): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  return escapeText(cut) + (s.length > max ? '…' : '');
}
