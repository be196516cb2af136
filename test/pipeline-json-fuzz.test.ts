/**
 * The JSON record framer under one-byte corruption (deterministic seed): it never throws, and once
 * the first record has shown the layout, a corrupt byte costs at most the record it hits and one
 * neighbour, alters at most one record (a byte that changed a value), and never reads a record twice.
 * A corruption inside the first record (or a wrapper's header) may cost more: nothing is known yet.
 */
import { describe, expect, it } from 'vitest';
import { JsonStreamFramer } from '../src/pipeline/framing.js';
import type { ParseSink } from '../parsers/types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const N = 40;
const records = Array.from({ length: N }, (_, i) => ({ Id: 5157, n: i, Message: `msg "${i}" \\ {x} [y]`, Props: [{ Value: i }, { Value: `v${i}` }] }));
const LAYOUTS: Record<string, string> = {
  pretty: JSON.stringify(records, null, 4),
  compact: JSON.stringify(records),
  wrapped: JSON.stringify({ count: N, records }, null, 2),
  lines: records.map((r) => JSON.stringify(r)).join('\n'),
};
/** Where the second record begins: corruption before it hits the first record or the header. */
const firstEnd: Record<string, number> = Object.fromEntries(Object.entries(LAYOUTS).map(([k, t]) => [k, t.search(/"n": *1,/)]));
const ORIGINAL = new Set(records.map((r) => JSON.stringify(r)));
const ALPHABET = ['"', '{', '}', '[', ']', ',', ':', '\\', '\n', 'x', ' ', '0'];

describe('JsonStreamFramer under corruption', () => {
  for (const [layout, text] of Object.entries(LAYOUTS)) {
    it(`${layout}: 1,500 one-byte mutations`, () => {
      const rand = rng(layout.length * 7919);
      const buf = Buffer.from(text);
      let early = 0;
      for (let trial = 0; trial < 1500; trial++) {
        const b = Buffer.from(buf);
        const at = Math.floor(rand() * b.length);
        const op = rand();
        let input: Buffer;
        if (op < 0.4) { b[at] = ALPHABET[Math.floor(rand() * ALPHABET.length)]!.charCodeAt(0); input = b; }
        else if (op < 0.7) input = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else input = Buffer.concat([b.subarray(0, at), Buffer.from(ALPHABET[Math.floor(rand() * ALPHABET.length)]!), b.subarray(at)]);
        const got: unknown[] = [];
        const sink: ParseSink = { flow: () => {}, skip: () => {}, note: () => {} };
        const f = new JsonStreamFramer({ record: (v) => got.push(v) }, sink);
        const split = Math.floor(rand() * input.length);
        f.pushBytes(input.subarray(0, split));
        f.pushBytes(input.subarray(split));
        f.end();
        const ctx = `${layout} trial ${trial} at ${at} op ${op.toFixed(2)}`;
        if (at <= firstEnd[layout]!) { early++; continue; }
        const exact = got.filter((v) => ORIGINAL.has(JSON.stringify(v))).length;
        expect(exact, ctx).toBeGreaterThanOrEqual(N - 2); // at most the corrupted record and one neighbour lost
        expect(got.length - exact, ctx).toBeLessThanOrEqual(1); // at most one altered record (the byte changed a value)
        expect(new Set(got.map((v) => JSON.stringify(v))).size, ctx).toBeGreaterThanOrEqual(got.length - 1); // no record read twice
      }
      expect(early).toBeLessThan(300); // most trials hit a later record
    });
  }
});
