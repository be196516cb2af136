/**
 * The one sanitizer for text that reaches a terminal. Log text, ruleset text and file names are
 * attacker-controlled: a control character could move the cursor, recolour or retitle the terminal
 * (ESC/CSI/OSC sequences, C1 controls such as U+009B CSI) and a bidi override could make
 * `evil.exe‮gpj.` read as something else. Every such character is shown as a visible escape
 * (`\x1b`, `\x9b`, `\u202e`), so the sequence is inert and the reader still sees that it was there.
 */

/** C0 controls (but tab/newline handled by options), DEL, C1 controls, bidi embeddings/overrides/isolates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_KEEP_NL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_KEEP_NL_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

export interface SanitizeOptions {
  /** Keep line feeds (multi-line text such as ruleset descriptions). Default: escaped. */
  newlines?: boolean;
  /** Keep tabs (with `newlines`). Default: escaped. */
  tabs?: boolean;
}

/** Text safe to print on a terminal: every control, C1 and bidi-control character shown as an escape. */
export function sanitizeText(s: string, o: SanitizeOptions = {}): string {
  const re = o.newlines ? (o.tabs ? UNSAFE_KEEP_NL_TAB : UNSAFE_KEEP_NL) : UNSAFE;
  re.lastIndex = 0;
  return re.test(s) ? s.replace(re, escapeChar) : s;
}

/** True when `s` holds a character `sanitizeText` would escape. */
export function hasUnsafeText(s: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(s);
}
