/**
 * Per vendor document: for every port edge of every active requirement of the built-in rulesets, a denied
 * flow between members of a generated inventory must be flagged confirmed; its neighbours (port lo-1 /
 * hi+1, reversed direction, other transport) must not be flagged for that requirement.
 */
import { describe, expect, it } from 'vitest';
import { Matcher } from '../src/matcher/matcher.js';
import { loadInventory, type Inventory } from '../src/inventory/load.js';
import { loadBuiltinRulesets, paramValues, requirementApplies } from '../src/rulesets/load.js';
import { resolvePorts, portInIntervals } from '../src/rulesets/ports.js';
import { newFlow, type Action, type Flow } from '../src/model/flow.js';
import type { Requirement, Ruleset } from '../src/model/ruleset.js';
import { generatedInventory } from './helpers/vendor-inventory.js';

const rulesets = loadBuiltinRulesets();
const INTERNET_DST = '93.184.216.34';
const INTERNET_SRC = '93.184.216.99';

interface Gen { inv: Inventory; src: (role: string) => string; dst: (role: string) => string; hostIp: (req: Requirement) => string }

/** One /24 per role (10.<ruleset>.<role>.0/24); every hostname a requirement names resolves to a public address. */
function generate(rs: Ruleset, rsIdx: number): Gen {
  const g = generatedInventory(rs, rsIdx);
  return {
    inv: g.inv,
    src: (role) => (role === 'internet' ? INTERNET_SRC : `${g.block(role)}.10`),
    dst: (role) => (role === 'internet' ? INTERNET_DST : `${g.block(role)}.20`),
    hostIp: g.hostIp,
  };
}

let n = 0;
function deny(transport: string, s: string, d: string, port: number | null, action: Action = 'deny'): Flow {
  const f = newFlow('test', 'gen.log', ++n);
  Object.assign(f, { ts: Date.UTC(2026, 2, 10, 9), action, transport, src_ip: s, src_port: 40000, dst_ip: d, dst_port: port });
  return f;
}

function findingsFor(rs: Ruleset, inv: Inventory, f: Flow) {
  const m = new Matcher([rs], inv);
  m.observe(f);
  return m.result();
}

/** Destination class of a requirement: its `to` role, or "outside" for internet / hostname destinations. */
const destClass = (r: Requirement) => (r.hosts || r.to === 'internet' ? 'outside' : r.to!);

it('loads the four built-in rulesets', () => {
  expect(rulesets.map((r) => r.id).sort()).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er']);
});

rulesets.forEach((rs, rsIdx) => {
  describe(`${rs.id} (${rs.requirements[0]!.source.document})`, () => {
    const gen = generate(rs, rsIdx);
    const params = paramValues(rs);
    const active = rs.requirements.filter((r) => !r.local_only && requirementApplies(r, params));
    const portsOf = new Map(active.map((r) => [r.id, resolvePorts(r.ports, params)] as const));
    const span = (r: Requirement) => portsOf.get(r.id)!.reduce((s, [a, b]) => s + b - a + 1, 0) || 65536;
    const samePair = (a: Requirement, b: Requirement) => a.from === b.from && destClass(a) === destClass(b);
    const covers = (r: Requirement, transport: string, port: number | null) =>
      r.transport === transport && (portsOf.get(r.id)!.length === 0 || (port !== null && portInIntervals(port, portsOf.get(r.id)!)));

    for (const req of active) {
      const ivs = portsOf.get(req.id)!;
      const edges: Array<number | null> = ivs.length ? [...new Set(ivs.flatMap(([lo, hi]) => [lo, hi]))] : [null];
      const s = gen.src(req.from);
      const d = req.hosts ? gen.hostIp(req) : gen.dst(req.to!);

      it(`${req.id}: ${req.transport} ${ivs.length ? ivs.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',') : '(no ports)'} is flagged at every edge`, () => {
        for (const port of edges) {
          const r = findingsFor(rs, gen.inv, deny(req.transport, s, d, port));
          // One owner per port within a role pair: the narrowest, then the first declared (1072 rather than
          // 1072-1170; Finjan's setup console 443 belongs to the console row declared before it).
          const owner = active
            .filter((o) => samePair(o, req) && covers(o, req.transport, port) && (o.hosts ? gen.hostIp(o) === d : true))
            .sort((a, b) => span(a) - span(b))[0]!;
          const f = r.findings.find((x) => x.requirement === owner.id);
          expect(f, `${req.id} port ${port}`).toBeDefined();
          expect(f!.confidence).toBe('confirmed');
          expect(f!.dst_port).toBe(port);
          // the owner's matrix row records the deny, and no other row of the pair does
          expect(r.requirements.find((x) => x.requirement === owner.id)!.denies, `${req.id} port ${port}`).toBe(1);
          expect(r.requirements.find((x) => x.requirement === owner.id)!.status).toBe('violated');
          if (owner !== req) expect(r.requirements.find((x) => x.requirement === req.id)!.denies, `${req.id} port ${port}`).toBe(0);
        }
      });

      it(`${req.id}: neighbours are not flagged for it`, () => {
        const probes: Array<{ what: string; flow: Flow }> = [];
        for (const [lo, hi] of ivs) {
          if (lo > 0 && !portInIntervals(lo - 1, ivs)) probes.push({ what: `port ${lo - 1}`, flow: deny(req.transport, s, d, lo - 1) });
          if (hi < 65535 && !portInIntervals(hi + 1, ivs)) probes.push({ what: `port ${hi + 1}`, flow: deny(req.transport, s, d, hi + 1) });
        }
        const rev = deny(req.transport, d, s, edges[0]!);
        if (req.from !== req.to) probes.push({ what: 'reversed', flow: rev });
        const other = req.transport === 'tcp' ? 'udp' : 'tcp';
        probes.push({ what: `over ${other}`, flow: deny(other, s, d, edges[0] ?? 1) });
        for (const p of probes) {
          const r = findingsFor(rs, gen.inv, p.flow);
          expect(r.findings.filter((x) => x.requirement === req.id), `${req.id} ${p.what}`).toEqual([]);
          const coveredBySibling = active.some((o) => o !== req && samePair(o, req) && covers(o, p.flow.transport!, p.flow.dst_port));
          if (p.what.startsWith('port') && !coveredBySibling) {
            expect(r.findings.filter((x) => x.confidence === 'confirmed').map((x) => x.requirement), `${req.id} ${p.what}`).toEqual([]);
          }
        }
      });
    }
  });
});

describe('demo inventory scenarios', () => {
  const run = async (flows: Flow[]) => {
    const inv = await loadInventory('fixtures/inventory/demo.yaml', rulesets);
    const m = new Matcher(rulesets, inv);
    for (const f of flows) m.observe(f);
    return m.result();
  };

  it('Enterprise Recon node agent → master 11117 is confirmed; allowed traffic makes the row intermittent', async () => {
    const r = await run([deny('tcp', '10.40.0.7', '10.10.0.11', 11117), deny('tcp', '10.40.0.8', '10.10.0.11', 11117, 'allow')]);
    expect(r.findings.map((f) => [f.product, f.requirement, f.confidence])).toEqual([['groundlabs-er', 'node-agent-to-master', 'confirmed']]);
    expect(r.requirements.find((x) => x.requirement === 'node-agent-to-master')!.status).toBe('intermittent');
    expect(r.findings[0]!.open).toBe('TCP 11117 from 10.40.0.0/24 to 10.10.0.11');
  });

  it('Finjan policy server → update mirror resolves through hosts; another public address on 443 is not the mirror', async () => {
    const r = await run([deny('tcp', '10.10.0.20', '203.0.113.10', 443), deny('tcp', '10.10.0.20', '198.51.100.77', 443)]);
    const upd = r.findings.filter((f) => f.requirement === 'policy-updates');
    expect(upd.map((f) => [f.confidence, f.dst_ip])).toEqual([['confirmed', '203.0.113.10']]);
  });

  it('LanGuard agent port follows the version parameter (12 → 1072; 1070 is not flagged)', async () => {
    const r = await run([deny('tcp', '10.20.0.7', '10.10.0.5', 1072), deny('tcp', '10.20.0.7', '10.10.0.5', 1070)]);
    expect(r.findings.filter((f) => f.confidence === 'confirmed').map((f) => [f.requirement, f.dst_port])).toEqual([['agent-to-server', 1072]]);
  });
});
