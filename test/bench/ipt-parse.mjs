// Parse-only bench of the iptables byte parser (LineFramer → parser.bytes → guard), no matching.
// usage: node test/bench/ipt-parse.mjs FILE [DIST_ROOT=dist] [REPEAT=1] [speed|sum]
// Prints CPU ms, lines, flows, skips and a checksum of every flow's fields (to compare builds).
import { openSync, readSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const [file, distArg = 'dist', rep = '1', mode = 'speed'] = process.argv.slice(2);
const SUM = mode === 'sum';
const dist = pathToFileURL(resolve(distArg)).href;
const { iptables } = await import(`${dist}/parsers/iptables.js`);
const { LineFramer } = await import(`${dist}/src/pipeline/framing.js`);
const { ZoneConverter, YearInferrer } = await import(`${dist}/src/model/time.js`);
function strHash(h, s) {
  if (s === null || s === undefined) return Math.imul(h ^ 7, 16777619);
  s = String(s);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return Math.imul(h ^ 0xff, 16777619);
}
for (let r = 0; r < +rep; r++) {
  let flows = 0, skips = 0, notes = 0, h = 2166136261 | 0;
  const sink = {
    flow(f) { flows++; if (SUM) for (const k of ['ts', 'action', 'raw_action', 'transport', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'direction', 'device', 'rule', 'bytes', 'packets', 'line', 'format', 'file']) h = strHash(h, f[k]); },
    skip(reason, line) { skips++; h = strHash(strHash(h, reason), line); },
    note(name, n) { notes += n; h = strHash(strHash(h, name), n); },
  };
  const det = { format: 'iptables', dialect: 'bsd', framing: 'lines', confidence: 1 };
  const p = iptables.create(det, { file: 'f', zone: new ZoneConverter('UTC'), years: new YearInferrer(2026, 0), actionMap: new Map() }, sink);
  const fr = new LineFramer(() => { throw new Error('text'); }, sink, 1 << 20, (b, s, e, n) => p.bytes(b, s, e, n));
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  const t0 = process.cpuUsage();
  for (;;) { const n = readSync(fd, buf, 0, buf.length); if (n <= 0) break; fr.pushBytes(buf.subarray(0, n)); }
  fr.end(); p.flush?.(); p.end?.();
  const c = process.cpuUsage(t0);
  closeSync(fd);
  console.log(JSON.stringify({ dist: distArg, cpu_ms: Math.round((c.user + c.system) / 1000), lines: fr.count, flows, skips, notes, sum: (h >>> 0).toString(16) }));
}
