/**
 * The syslog envelope pieces shared by every syslog-carried format (iptables/nftables, PAN-OS):
 * RFC 6587 octet counting (several frames on one line), the Wazuh test-file wrapping and `<PRI>`
 * (the header itself: header.ts). Scanning is by index and char code only: linear in the
 * line, no regular expression on log text.
 */
import { latin1 } from '../bytes.js';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * RFC 6587 octet counting on the line's bytes b[p0, end): `LEN <PRI>…` (LEN 1-6 digits, one space,
 * then `<`; LEN counts octets). Calls `frame(a, e)` once per frame found on the line (a frame longer
 * than the rest of the line ends at the line's end) and returns the number of frames; 0 when the line
 * does not start with a frame length. A line that holds k > 1 frames is k units of the input's summary
 * (parsers note `extra-frames` = k - 1).
 */
export function splitOctetFramesB(s: Buffer, p0: number, n: number, frame: (a: number, e: number) => void): number {
  let p = p0;
  let frames = 0;
  const at = (i: number): number => (i < n ? s[i]! : -1);
  for (;;) {
    let q = p, len = 0;
    while (q < n && q - p < 7 && isDigit(s[q]!)) { len = len * 10 + s[q]! - 48; q++; }
    if (q === p || q - p > 6 || at(q) !== 32 || at(q + 1) !== 60) {
      if (frames === 0) return 0;
      frame(p, n);
      return frames + 1;
    }
    const body = q + 1;
    const end = body + len;
    if (end >= n) { frame(body, n); return frames + 1; }
    // Another frame must follow (after optional spaces); otherwise the length was wrong: keep the rest.
    let r = end;
    while (r < n && s[r] === 32) r++;
    let d = r;
    while (d < n && d - r < 7 && isDigit(s[d]!)) d++;
    if (d > r && d - r <= 6 && at(d) === 32 && at(d + 1) === 60) {
      frame(body, end);
      frames++;
      p = r;
      continue;
    }
    frame(body, n);
    return frames + 1;
  }
}

/** splitOctetFramesB over text (formats still read as text): each frame as text. */
export function splitOctetFrames(s: string, frame: (text: string) => void): number {
  if (!isDigit(s.charCodeAt(0))) return 0;
  const b = Buffer.from(s, 'utf8');
  return splitOctetFramesB(b, 0, b.length, (a, e) => frame(b.toString('utf8', a, e)));
}

/** Wazuh ruleset test files: `log N pass = <line>` / `log N fail = <line>` in b[p0, end) → index of <line>, else -1. */
export function wazuhBodyStartB(s: Buffer, p0: number, end: number): number {
  if (!(end - p0 >= 4 && s[p0] === 108 && s[p0 + 1] === 111 && s[p0 + 2] === 103 && s[p0 + 3] === 32)) return -1;
  let p = p0 + 4;
  while (p < end && isDigit(s[p]!)) p++;
  if (p === p0 + 4 || p + 8 > end) return -1;
  const w = latin1(s, p, p + 8);
  return w === ' pass = ' || w === ' fail = ' ? p + 8 : -1;
}

/** wazuhBodyStartB over text: index of <line> (the prefix is ASCII: byte and text indexes agree), else -1. */
export function wazuhBodyStart(s: string): number {
  if (!s.startsWith('log ')) return -1;
  const b = Buffer.from(s, 'utf8');
  return wazuhBodyStartB(b, 0, b.length);
}

/** `<PRI>` at p (1-3 digits, value ≤ 191): index after `>`, else p. */
export function skipPri(s: string, p: number): number {
  if (s.charCodeAt(p) !== 60) return p;
  let q = p + 1, v = 0;
  while (q < p + 4 && isDigit(s.charCodeAt(q))) { v = v * 10 + s.charCodeAt(q) - 48; q++; }
  return q > p + 1 && s.charCodeAt(q) === 62 && v <= 191 ? q + 1 : p;
}

