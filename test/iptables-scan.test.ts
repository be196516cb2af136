/**
 * The iptables parser finds LEN=, PROTO=, SPT= and DPT= in one pass (`scanTail`, TCP/UDP in the usual
 * layout) and falls back to one search per key (`searchTail`) otherwise. Whenever the one pass answers, it
 * must give exactly the positions the per-key searches give: checked on every line of the fixtures and the
 * real-log corpus, and on seeded random lines built from key fragments (duplicated, reordered, empty,
 * cut, quoted ICMP packets, several spaces), from every start position.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { portAt, scanTail, searchTail } from '../parsers/iptables.js';
import { mulberry32 as rng } from './helpers/prng.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Compares the two on b from every start position (only spaces with `spaces`); returns how many times the one pass answered. */
function compareAll(b: Buffer, spaces = false): number {
  const a = new Int32Array(5), s = new Int32Array(5);
  let answered = 0;
  for (let de = 0; de <= b.length; de++) {
    if (spaces && b[de] !== 32) continue;
    if (!scanTail(b, de, b.length, a)) continue;
    answered++;
    const t = searchTail(b, de, b.length, s);
    const got = [a[0], a[1], a[1]! >= 0 ? (a[2] === 1 ? 'tcp' : 'udp') : null, a[3], a[4]];
    const want = [s[0], s[1], t, s[3], s[4]];
    if (got.join() !== want.join()) expect({ line: b.toString('latin1'), de, got }).toEqual({ line: b.toString('latin1'), de, got: want });
  }
  return answered;
}

function lines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.log') && !f.endsWith('.txt')) continue;
    for (const l of readFileSync(join(dir, f), 'latin1').split('\n')) if (l.includes('PROTO=') || l.includes('LEN=')) out.push(l);
  }
  return out;
}


const FRAGMENTS = ['LEN=60', 'LEN=', 'LEN=4x', 'PROTO=TCP', 'PROTO=UDP', 'PROTO=ICMP', 'PROTO=TCPX', 'PROTO=', 'PROTO=17',
  'PROTO=tcp', 'SPT=1', 'SPT=65535', 'SPT=', 'DPT=2', 'DPT=', 'DPT=99999', 'TTL=5', 'DF', '[SRC=1.2.3.4', 'DST=5.6.7.8',
  'SPT=3]', 'DPT=4]', 'XLEN=1', 'XSPT=1', 'XDPT=2', 'LEN', 'SPT', 'DPT', 'PROTO', '=', 'TOS=0x00', 'ID=1', 'WINDOW=5', 'URGP=0'];

describe('scanTail gives the positions of the per-key searches', () => {
  it('on every line of the fixtures and the corpus', () => {
    const all = [...lines(join(ROOT, 'fixtures/iptables')), ...lines(join(ROOT, '../shared/corpus/iptables'))];
    expect(all.length).toBeGreaterThan(50);
    let answered = 0;
    for (const l of all) answered += compareAll(Buffer.from(l, 'latin1'), true);
    expect(answered).toBeGreaterThan(all.length); // the one pass answers on the usual lines
  });

  it('on 20,000 seeded random lines of key fragments', () => {
    const r = rng(14);
    let answered = 0;
    for (let n = 0; n < 20_000; n++) {
      const parts: string[] = [];
      const k = 1 + Math.floor(r() * 12);
      for (let i = 0; i < k; i++) parts.push(FRAGMENTS[Math.floor(r() * FRAGMENTS.length)]!);
      let line = '';
      for (const p of parts) line += (r() < 0.15 ? '  ' : ' ') + p;
      if (r() < 0.2) line = line.slice(0, Math.floor(r() * line.length)); // cut anywhere
      answered += compareAll(Buffer.from(line, 'latin1'));
    }
    expect(answered).toBeGreaterThan(10_000);
  });
});

/** The port rule as first written (uintAt: at most 10 digits; 0-65535; then a space or the end). */
function portRef(t: string): number | null {
  const m = /^(\d+)(.*)$/s.exec(t);
  if (m === null || m[1]!.length > 10) return null;
  const n = Number(m[1]);
  if (n > 65535) return null;
  return m[2] === '' || m[2]!.startsWith(' ') ? n : null;
}

describe('portAt', () => {
  it('follows the port rule on digit strings of every length, leading zeros, every ending', () => {
    const r = rng(7);
    const cases = ['', '0', '65535', '65536', '0000000000', '00000000000', '00000065535', '0000065535', '9999999999', '99999999999',
      '1x', '22 ', '443', '4294967296', '000000000080'];
    for (let n = 0; n < 20_000; n++) {
      let t = '';
      const k = Math.floor(r() * 14);
      for (let i = 0; i < k; i++) t += r() < 0.3 ? '0' : String(Math.floor(r() * 10));
      t += ['', ' ', 'x', ' 5', '.'][Math.floor(r() * 5)]!;
      cases.push(t);
    }
    for (const t of cases) {
      const b = Buffer.from('DPT=' + t, 'latin1');
      expect([t, portAt(b, 4, b.length)]).toEqual([t, portRef(t)]);
    }
  });
});
