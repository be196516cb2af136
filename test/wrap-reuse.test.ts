/**
 * The wrap joiner holds the last line by reference (no copy per line), relying on the LineFramer to keep a
 * line's bytes valid until the next line's call returns. Here the reader reuses one buffer and scribbles
 * over it after every chunk (as the worker's double buffer may): wrapped records across every chunk
 * boundary must give exactly what one whole read gives.
 */
import { describe, expect, it } from 'vitest';
import { iptables } from '../parsers/iptables.js';
import type { ParserModule, SkipKind } from '../parsers/types.js';
import type { Flow } from '../src/model/flow.js';
import { LineFramer } from '../src/pipeline/framing.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';

const REC = 'Mar 10 09:00:05 gw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=203.0.113.77 DST=192.0.2.10 LEN=52 TOS=0x00 PREC=0x00 TTL=49 ID=7001 DF PROTO=TCP SPT=60001 DPT=22 WINDOW=65535 RES=0x00 SYN URGP=0';
const NEXT = 'Mar 10 09:00:06 gw01 kernel: [UFW ALLOW] IN= OUT=eth0 SRC=192.0.2.10 DST=198.51.100.53 LEN=73 PROTO=UDP SPT=40112 DPT=53 LEN=53';

function run(mod: ParserModule, data: Buffer, chunk: number): string[] {
  const out: string[] = [];
  const sink = {
    flow: (f: Flow) => out.push(`flow ${f.line} ${f.src_ip} ${f.src_port} ${f.dst_ip} ${f.dst_port} ${f.bytes} ${f.raw_action}`),
    skip: (reason: string, line: number, kind: SkipKind) => out.push(`skip ${line} ${kind} ${reason}`),
    note: (name: string, n: number) => out.push(`note ${name} ${n}`),
  };
  const det = mod.detect(data.toString('utf8', 0, Math.min(data.length, 65536)), 't.log')!;
  const p = mod.create(det, { file: 't.log', zone: new ZoneConverter('UTC'), years: new YearInferrer(2026, 0), actionMap: new Map() }, sink);
  const framer = new LineFramer(() => { throw new Error('text path'); }, sink, undefined, (b, s, e, n) => p.bytes!(b, s, e, n));
  const reused = Buffer.alloc(chunk);
  for (let i = 0; i < data.length; i += chunk) {
    const n = data.copy(reused, 0, i, i + chunk);
    framer.pushBytes(reused.subarray(0, n));
    reused.fill(0x58); // the reader's next read lands here
  }
  framer.end();
  p.end?.();
  return out;
}

describe('wrapped records with a reused read buffer', () => {
  it('give what one whole read gives, at every chunk size from 7 to 400 bytes', () => {
    const w = Math.floor(REC.length / 3);
    const parts = [
      REC.slice(0, REC.indexOf('SRC=203.0.1') + 11), REC.slice(REC.indexOf('SRC=203.0.1') + 11), // terminal break
      NEXT,
      REC.slice(0, REC.indexOf(' SRC=')), REC.slice(REC.indexOf(' SRC=') + 1), // mail client break
      REC.slice(0, w), REC.slice(w, 2 * w), REC.slice(2 * w, 3 * w), REC.slice(3 * w), // hard wrap rows
      REC, NEXT, 'garbage without a header', REC.slice(0, REC.indexOf('DPT=2') + 5), '2 WINDOW=1', NEXT,
    ];
    const data = Buffer.from(parts.join('\n') + '\n', 'utf8');
    const want = run(iptables, data, data.length);
    expect(want.filter((l) => l.startsWith('flow')).length).toBeGreaterThanOrEqual(6);
    expect(want.some((l) => l.includes('continuation'))).toBe(true);
    for (let chunk = 7; chunk <= 400; chunk++) expect(run(iptables, data, chunk)).toEqual(want);
  });
});
