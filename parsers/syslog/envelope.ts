/**
 * The syslog envelope pieces shared by every syslog-carried format (iptables/nftables, PAN-OS):
 * RFC 6587 octet counting (several frames on one line), the Wazuh test-file wrapping and `<PRI>`
 * (the header itself: header.ts). Scanning is by index and char code only: linear in the
 * line, no regular expression on log text.
 */
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * RFC 6587 octet counting: `LEN <PRI>…` (LEN 1-6 digits, one space, then `<`). Calls `frame(text)` once
 * per frame found on the line (a frame longer than the rest of the line ends at the line's end) and
 * returns the number of frames; 0 when the line does not start with a frame length. A line that holds
 * k > 1 frames is k units of the input's summary (parsers note `extra-frames` = k - 1).
 */
export function splitOctetFrames(s: string, frame: (text: string) => void): number {
  let p = 0;
  const n = s.length;
  let frames = 0;
  for (;;) {
    let q = p, len = 0;
    while (q < n && q - p < 7 && isDigit(s.charCodeAt(q))) { len = len * 10 + s.charCodeAt(q) - 48; q++; }
    if (q === p || q - p > 6 || s.charCodeAt(q) !== 32 || s.charCodeAt(q + 1) !== 60) {
      if (frames === 0) return 0;
      frame(s.slice(p));
      return frames + 1;
    }
    const body = q + 1;
    const end = body + len;
    if (end >= n) { frame(s.slice(body)); return frames + 1; }
    // Another frame must follow (after optional spaces); otherwise the length was wrong: keep the rest.
    let r = end;
    while (r < n && s.charCodeAt(r) === 32) r++;
    let d = r;
    while (d < n && d - r < 7 && isDigit(s.charCodeAt(d))) d++;
    if (d > r && d - r <= 6 && s.charCodeAt(d) === 32 && s.charCodeAt(d + 1) === 60) {
      frame(s.slice(body, end));
      frames++;
      p = r;
      continue;
    }
    frame(s.slice(body));
    return frames + 1;
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

