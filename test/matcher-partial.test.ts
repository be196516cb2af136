/**
 * Matcher partials (src/matcher/partial.ts): the flows cut into parts, each part matched by a Matcher of its
 * own, the parts merged in order (matched again with a seed when `mergeNeeds` says so) give the result of one
 * Matcher that saw every flow — including at the bounds: port-only/probable groups beyond `maxGroups`,
 * hostnames learned from URL logs before a part, evidence line numbers shifted by the part's offset.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Flow } from '../src/model/flow.js';
import { readFlows } from '../src/pipeline/run.js';
import { Matcher, reusableIndex, type MatcherOptions } from '../src/matcher/matcher.js';
import { loadContext } from '../src/app/context.js';
import { packGroups, packPartial, unpackGroups, type GroupState } from '../src/matcher/partial.js';
import { ROOT } from './helpers/cli.js';

const INVENTORY = join(ROOT, 'fixtures/demo/inventory.yaml');

async function flowsOf(files: string[], year = 2026): Promise<Flow[]> {
  const out: Flow[] = [];
  await readFlows(files, { tz: 'UTC', year, jobs: 1 }, (f) => out.push({ ...f }));
  return out;
}

/**
 * Matches `flows` in `parts` parts; each part's line numbers start at 1 (as a byte range's do) and are
 * shifted back at the merge. Returns the merged result and how many parts needed a seed.
 */
async function inParts(flows: Flow[], parts: number, inventory: string | undefined, o: MatcherOptions): Promise<{ json: string; seeds: number; one: string }> {
  const { rulesets, inventory: inv } = await loadContext(inventory ? { inventory } : {});
  const one = new Matcher(rulesets, inv, o);
  for (const f of flows) one.observe(f);
  const into = new Matcher(rulesets, inv, o);
  const idx = reusableIndex(rulesets, inv);
  const size = Math.ceil(flows.length / parts);
  let seeds = 0;
  for (let p = 0; p < parts; p++) {
    const part = flows.slice(p * size, (p + 1) * size);
    const offset = part.length ? part[0]!.line - 1 : 0;
    const run = (seed?: Parameters<Matcher['mergeNeeds']>[0] extends never ? never : ReturnType<Matcher['mergeNeeds']>) => {
      const m = new Matcher(rulesets, inv, { ...o, index: idx.next(), ...(seed ? { seed } : {}) });
      for (const f of part) m.observe({ ...f, line: f.line - offset });
      return m.partial();
    };
    let partial = run();
    const seed = into.mergeNeeds(partial);
    if (seed) { seeds++; partial = run(seed); expect(into.mergeNeeds(partial)).toBeNull(); }
    // every other part as a worker thread sends it: groups packed, then cloned
    into.merge(p % 2 ? structuredClone(packPartial(partial)) : partial, offset);
  }
  return { json: JSON.stringify(into.result()), seeds, one: JSON.stringify(one.result()) };
}

let big: Flow[];
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fwaudit-partial-'));
  const files: string[] = [];
  for (const fam of ['iptables', 'panos']) {
    const f = join(dir, `${fam}.log`);
    writeFileSync(f, execFileSync(process.execPath, [join(ROOT, '../shared/bench/gen.mjs'), fam, '8000', '3'], { maxBuffer: 64 << 20 }));
    files.push(f);
  }
  big = await flowsOf(files);
});

describe('merged partials = one matcher', () => {
  it('port-only, many parts, no bound reached', async () => {
    const r = await inParts(big, 7, undefined, {});
    expect(r.json).toBe(r.one);
    expect(r.seeds).toBe(0);
    expect(JSON.parse(r.one).findings.length).toBeGreaterThan(10);
  });

  it('port-only beyond the group bound: parts that omitted a group admitted before them are matched again', async () => {
    let seeds = 0;
    // the same flows twice: the second half sees again the groups the first half admitted
    const twice = [...big, ...big.map((f) => ({ ...f, line: f.line + big.length }))];
    for (const maxGroups of [3, 40, 200]) {
      const r = await inParts(twice, 5, undefined, { maxGroups });
      expect(r.json, `maxGroups ${maxGroups}`).toBe(r.one);
      const one = JSON.parse(r.one) as { omitted?: { flows: number } };
      expect(one.omitted!.flows).toBeGreaterThan(0);
      seeds += r.seeds;
    }
    expect(seeds).toBeGreaterThan(0);
  });

  it('with an inventory (confirmed, probable, conditional), beyond the bound and not, by requirement and by host', async () => {
    for (const o of [{}, { maxGroups: 2 }, { by: 'host' as const }, { maxGroups: 5, by: 'host' as const }]) {
      const r = await inParts(big, 4, INVENTORY, o);
      expect(r.json, JSON.stringify(o)).toBe(r.one);
    }
  });

  it('hostnames learned from URL logs in an earlier part change how later parts match: those are seeded', async () => {
    let seeds = 0;
    for (const [log, inv] of [['fixtures/diagnose/edge-panos.log', 'fixtures/diagnose/inventory.yaml'], ['fixtures/panos/syslog-bsd-10x.log', 'fixtures/demo/inventory.yaml']] as const) {
      const flows = await flowsOf([join(ROOT, log)]);
      expect(flows.some((f) => f.host !== null)).toBe(true);
      const doubled = [...flows, ...flows.map((f) => ({ ...f, line: f.line + flows.length }))];
      for (const parts of [2, 5, 23]) {
        const r = await inParts(doubled, parts, join(ROOT, inv), {});
        expect(r.json, `${log}: ${parts} parts`).toBe(r.one);
        seeds += r.seeds;
      }
    }
    expect(seeds).toBeGreaterThan(0);
  });
});

describe('packed groups (the trip of a partial to the main thread)', () => {
  it('unpack to the groups packed, nulls, empty lists and shared texts included', () => {
    const groups: GroupState[] = [
      { e: 3, conf: 'port-only', src: '10.0.0.1', dst: 'fe80::1', transport: 'tcp', port: 443, srcRole: null, dstRole: 'gfi-languard:server?', count: 7, first: 1_700_000_000_000, last: 1_700_000_100_000,
        devices: ['fw01', 'gw-edge-1'], rules: ['[UFW BLOCK]'], formats: ['iptables'], directions: ['inbound'], evidence: [{ file: 'a.log', line: 5 }, { file: 'b.log', line: 9 }],
        candidates: ['p/r1', 'p/r2'], ports: [443, 8443] },
      { e: 0, conf: 'confirmed', src: 'fw01', dst: '10.0.0.1', transport: 'gre', port: null, srcRole: 'a:b', dstRole: null, count: 1, first: null, last: null,
        devices: [], rules: [], formats: [], directions: [], evidence: [], candidates: null, ports: null },
      { e: 12, conf: 'probable', src: '10.0.0.1', dst: '10.0.0.2', transport: 'udp', port: 0, srcRole: null, dstRole: null, count: 2, first: 0, last: 0,
        devices: ['fw01'], rules: ['a.log'], formats: ['panos'], directions: ['outbound'], evidence: [{ file: 'a.log', line: 1 }], candidates: [], ports: [] },
    ];
    const packed = structuredClone(packGroups(groups));
    expect(packed.strings.filter((x) => x === 'fw01')).toHaveLength(1);
    expect([...unpackGroups(packed)]).toEqual(groups);
    expect([...unpackGroups(structuredClone(packGroups([])))]).toEqual([]);
  });

  it('refuses a packed form with numbers left over', () => {
    const packed = packGroups([]);
    expect(() => [...unpackGroups({ ...packed, nums: Float64Array.of(1) })]).toThrow(/left over/);
  });
});
