/**
 * The syslog envelope pieces shared by every syslog-carried format (iptables/nftables, PAN-OS):
 * RFC 6587 octet counting (several frames on one line), the Wazuh test-file wrapping, `<PRI>`, kernel
 * uptime stamps and `dmesg -T` / ctime stamps. Scanning is by index and char code only: linear in the
 * line, no regular expression on log text.
 */
import { civilToUtc, MONTHS, type ZoneConverter } from '../../src/model/time.js';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * RFC 6587 octet counting: `LEN <PRI>…` (LEN 1-6 digits, one space, then `<`). Calls `frame(text)` once
 * per frame found on the line (a frame longer than the rest of the line ends at the line's end) and
 * returns true; returns false when the line does not start with a frame length.
 */
export function splitOctetFrames(s: string, frame: (text: string) => void): boolean {
  let p = 0;
  const n = s.length;
  let any = false;
  for (;;) {
    let q = p, len = 0;
    while (q < n && q - p < 7 && isDigit(s.charCodeAt(q))) { len = len * 10 + s.charCodeAt(q) - 48; q++; }
    if (q === p || q - p > 6 || s.charCodeAt(q) !== 32 || s.charCodeAt(q + 1) !== 60) {
      if (!any) return false;
      frame(s.slice(p));
      return true;
    }
    const body = q + 1;
    const end = body + len;
    if (end >= n) { frame(s.slice(body)); return true; }
    // Another frame must follow (after optional spaces); otherwise the length was wrong: keep the rest.
    let r = end;
    while (r < n && s.charCodeAt(r) === 32) r++;
    let d = r;
    while (d < n && d - r < 7 && isDigit(s.charCodeAt(d))) d++;
    if (d > r && d - r <= 6 && s.charCodeAt(d) === 32 && s.charCodeAt(d + 1) === 60) {
      frame(s.slice(body, end));
      any = true;
      p = r;
      continue;
    }
    frame(s.slice(body));
    return true;
  }
}

/** Wazuh ruleset test files: `log N pass = <line>` / `log N fail = <line>` → index of <line>, else -1. */
export function wazuhBodyStart(s: string): number {
  if (!s.startsWith('log ')) return -1;
  let p = 4;
  while (p < s.length && isDigit(s.charCodeAt(p))) p++;
  if (p === 4) return -1;
  if (s.startsWith(' pass = ', p) || s.startsWith(' fail = ', p)) return p + 8;
  return -1;
}

/** `<PRI>` at p (1-3 digits, value ≤ 191): index after `>`, else p. */
export function skipPri(s: string, p: number): number {
  if (s.charCodeAt(p) !== 60) return p;
  let q = p + 1, v = 0;
  while (q < p + 4 && isDigit(s.charCodeAt(q))) { v = v * 10 + s.charCodeAt(q) - 48; q++; }
  return q > p + 1 && s.charCodeAt(q) === 62 && v <= 191 ? q + 1 : p;
}

/** Month number (1-12) of a three-letter English month name at p, else 0. */
export function monthAt(s: string, p: number): number {
  return MONTHS[s.slice(p, p + 3)] ?? 0;
}

const DAY_NAMES = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

/** End index and value of the last `ctimeAt` scan. */
export const ctime = { end: 0, ms: 0 };

/**
 * ctime stamp at p, as `dmesg -T` prints it inside brackets: `[Thu Mar 11 20:05:08 2021]` (p at `[`).
 * Wall-clock in `zone`. Returns 1 and sets `ctime` when valid, 0 when the text is not such a stamp, or
 * a negative TERR_* code when it is one with an invalid field.
 */
export function dmesgTAt(s: string, p: number, zone: ZoneConverter): number {
  if (s.charCodeAt(p) !== 91 || !DAY_NAMES.has(s.slice(p + 1, p + 4)) || s.charCodeAt(p + 4) !== 32) return 0;
  const mo = monthAt(s, p + 5);
  if (mo === 0 || s.charCodeAt(p + 8) !== 32) return 0;
  let q = p + 9;
  if (s.charCodeAt(q) === 32) q++;
  let d = 0, k = q;
  while (k < q + 2 && isDigit(s.charCodeAt(k))) { d = d * 10 + s.charCodeAt(k) - 48; k++; }
  if (k === q || s.charCodeAt(k) !== 32) return 0;
  k++;
  const h = d2(s, k), mi = d2(s, k + 3), se = d2(s, k + 6);
  if (h < 0 || mi < 0 || se < 0 || s.charCodeAt(k + 2) !== 58 || s.charCodeAt(k + 5) !== 58 || s.charCodeAt(k + 8) !== 32) return 0;
  k += 9;
  let y = 0;
  const y0 = k;
  while (k < y0 + 4 && isDigit(s.charCodeAt(k))) { y = y * 10 + s.charCodeAt(k) - 48; k++; }
  if (k - y0 !== 4 || s.charCodeAt(k) !== 93) return 0;
  const v = civilToUtc(zone, y, mo, d, h, mi, se, 0, null);
  if (v < 0) return v;
  ctime.ms = v;
  ctime.end = k + 1;
  return 1;
}

function d2(s: string, p: number): number {
  const a = s.charCodeAt(p) - 48, b = s.charCodeAt(p + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}
