import { describe, expect, it } from 'vitest';
import { AddrIndex } from '../src/requirements/lookup.js';
import { emptyAddrSet, normalizeSet, type AddrSet } from '../src/inventory/addr.js';

/** A small deterministic generator (the cases are the same on every run). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

/** The keys an address holds, by brute force: in the order of the first set (in input order) that covers it. */
function expected(sets: Array<{ set: AddrSet; key: number }>, n: number): number[] {
  const out: number[] = [];
  for (const { set, key } of sets) if (set.v4.some(([lo, hi]) => lo <= n && n <= hi) && !out.includes(key)) out.push(key);
  return out;
}

function randomSets(r: () => number, nSets: number, nIvs: number, span: number, normalize: boolean): Array<{ set: AddrSet; key: number }> {
  const sets: Array<{ set: AddrSet; key: number }> = [];
  for (let s = 0; s < nSets; s++) {
    const set = emptyAddrSet();
    for (let i = 0; i < nIvs; i++) {
      const lo = Math.floor(r() * span);
      const hi = Math.min(0xffffffff, lo + Math.floor(r() * r() * 40));
      set.v4.push([lo, hi]);
    }
    if (r() < 0.3) set.v4.push([0, Math.floor(r() * 3)]);
    if (r() < 0.3) set.v4.push([0xffffffff - Math.floor(r() * 3), 0xffffffff]);
    // keys repeat across sets now and then (two sets of one key)
    sets.push({ set: normalize ? normalizeSet(set) : set, key: r() < 0.2 && s > 0 ? sets[0]!.key : 100 + s });
  }
  return sets;
}

describe('AddrIndex (IPv4 segments by a sweep, shared key lists)', () => {
  for (const [seed, nSets, nIvs, span, normalize] of [
    [1, 3, 50, 2000, true], [2, 8, 200, 5000, true], [3, 12, 100, 3000, false], [4, 1, 500, 0x100000000, true], [5, 20, 30, 0x100000000, false],
  ] as const) {
    it(`gives every address the keys brute force gives (seed ${seed}, ${nSets} sets, ${normalize ? 'normalized' : 'raw'})`, () => {
      const r = rng(seed);
      const sets = randomSets(r, nSets, nIvs, span, normalize);
      const idx = new AddrIndex(sets);
      const probes = new Set<number>([0, 1, 2, 3, 0xffffffff, 0xfffffffe, 0xfffffffd]);
      for (const { set } of sets) for (const [lo, hi] of set.v4) for (const p of [lo - 1, lo, lo + 1, hi - 1, hi, hi + 1]) if (p >= 0 && p <= 0xffffffff) probes.add(p);
      for (let i = 0; i < 2000; i++) probes.add(Math.floor(r() * Math.min(span, 0x100000000)));
      let nonEmpty = 0;
      for (const p of probes) {
        const want = expected(sets, p);
        expect([...idx.lookup4(p)], `address ${p}`).toEqual(want);
        if (want.length) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(10);
    });
  }

  it('shares one array per distinct key list (100,000 disjoint entries of one role: one list)', () => {
    const set = emptyAddrSet();
    for (let i = 0; i < 100_000; i++) set.v4.push([0x0a000000 + i * 4, 0x0a000000 + i * 4 + 1]);
    const idx = new AddrIndex([{ set: normalizeSet(set), key: 7 }]);
    expect(idx.lookup4(0x0a000000)).toEqual([7]);
    expect(idx.lookup4(0x0a000001 + 4 * 99_999)).toEqual([7]);
    expect(idx.lookup4(0x0a000002)).toEqual([]);
    expect(idx.lookup4(0x0a000000 + 4 * 100_000)).toEqual([]);
    expect(idx.lookup4(0x0a000000 + 4 * 500)).toBe(idx.lookup4(0x0a000000 + 4 * 90_000));
    expect(Object.isFrozen(idx.lookup4(0x0a000000))).toBe(true);
  });

  it('answers the same from its wire form (typed arrays on shared memory, lists and IPv6 cloned)', () => {
    const r = rng(9);
    const sets = randomSets(r, 6, 100, 4000, true);
    sets[0]!.set.v6.push([1n, 5n], [2n ** 127n, 2n ** 128n - 1n]);
    sets[1]!.set.v6.push([3n, 9n]);
    const idx = new AddrIndex(sets);
    const w = structuredClone(idx.wire());
    expect(w.v4starts.buffer).toBeInstanceOf(SharedArrayBuffer);
    const copy = new AddrIndex(null, w);
    for (let p = 0; p < 4100; p++) expect(copy.lookup4(p)).toEqual(idx.lookup4(p));
    for (const b of [0n, 1n, 4n, 5n, 6n, 9n, 10n, 2n ** 127n, 2n ** 128n - 1n]) expect(copy.lookup6(b)).toEqual(idx.lookup6(b));
    expect(copy.lookup6(4n)).toEqual([...new Set([sets[0]!.key, sets[1]!.key])]);
  });
});
