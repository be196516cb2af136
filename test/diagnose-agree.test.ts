/**
 * `diagnose --symptom` and `analyze` read flows through the same compiled requirement index: on the same
 * flows they count the same denies and allows per requirement (issue 8: for a role missing from the
 * inventory the symptom path used to accept public addresses that analyze's `probable` rejects).
 */
import { describe, expect, it } from 'vitest';
import { Matcher } from '../src/matcher/matcher.js';
import { SymptomDiagnosis, findSymptom } from '../src/diagnose/symptom.js';
import { parseInventory, type Inventory } from '../src/inventory/load.js';
import { loadBuiltinRulesets } from '../src/rulesets/load.js';
import { newFlow, type Action, type Flow } from '../src/model/flow.js';

const rulesets = loadBuiltinRulesets();
let n = 0;
function flow(action: Action, s: string, d: string, port: number, transport = 'tcp'): Flow {
  const f = newFlow('winfw', 'pfirewall.log', ++n);
  Object.assign(f, { ts: Date.UTC(2026, 2, 10, 11, 0, n % 60), action, transport, src_ip: s, src_port: 50000, dst_ip: d, dst_port: port, direction: 'inbound' });
  return f;
}

function both(inv: Inventory | null, product: string, symptom: string, flows: Flow[]) {
  const m = new Matcher(rulesets, inv, { by: 'host' });
  const { rs, symptom: sym } = findSymptom(rulesets, product, symptom);
  const d = new SymptomDiagnosis({ rs, symptom: sym, host: null, window: null, inventory: inv });
  for (const f of flows) { m.observe(f); d.observe(f); }
  return { a: m.result(), d: d.result() };
}

// Enterprise Recon without a console role in the inventory; LanGuard without relays.
const INV = parseInventory([
  'deployments:',
  '  - product: escan',
  '    roles:',
  '      server: [10.10.0.6]',
  '      client: [10.60.0.0/24]',
  '  - product: gfi-languard',
  '    roles:',
  '      server: [10.10.0.5]',
  '      agent: [10.20.0.0/24]',
].join('\n'), 'inv.yaml', rulesets);

const FLOWS = () => [
  flow('deny', '10.60.0.4', '10.10.0.6', 3333), flow('allow', '10.60.0.5', '10.10.0.6', 3333),
  flow('deny', '10.60.0.4', '10.10.0.6', 3500), flow('deny', '10.60.0.4', '10.10.0.6', 3389),  // passive FTP; RDP is not
  flow('deny', '10.99.0.4', '10.10.0.6', 2021),                                                 // unlisted internal client: probable
  flow('deny', '93.184.216.9', '10.10.0.6', 2021), flow('deny', '93.184.216.9', '10.10.0.6', 3333), // internet noise: neither
  flow('deny', '10.60.0.4', '10.10.0.6', 2221),                                                 // HTTP mode is off: conditional
  flow('deny', '10.20.0.7', '10.10.0.5', 1072), flow('allow', '10.20.0.8', '10.10.0.5', 1072), flow('deny', '10.20.0.7', '10.10.0.5', 1100),
  flow('deny', '10.20.0.7', '10.10.0.5', 1070),                                                 // version mismatch: conditional
  flow('deny', '93.184.216.9', '10.10.0.5', 1072),                                              // a public source on a missing relay role
  flow('deny', '10.20.0.9', '10.99.0.1', 1072),                                                 // agent to an unlisted server/relay: probable
];

describe('diagnose --symptom agrees with analyze', () => {
  for (const [product, symptom] of [['escan', 'signatures-not-downloading'], ['escan', 'unable-to-contact-server'], ['gfi-languard', 'unable-to-contact-server']] as const) {
    it(`${product} ${symptom}: per requirement, the same denies and allows as analyze's findings and matrix`, () => {
      const { a, d } = both(INV, product, symptom, FLOWS());
      for (const v of d.requirements) {
        const denies = a.findings.filter((f) => f.product === product && f.requirement === v.requirement && f.confidence !== 'conditional').reduce((s, f) => s + f.count, 0);
        const row = a.requirements.find((x) => x.product === product && x.requirement === v.requirement);
        expect([v.requirement, v.denied], 'denies').toEqual([v.requirement, denies]);
        expect([v.requirement, v.denied, v.allowed], 'matrix').toEqual([v.requirement, row?.denies ?? 0, row?.allows ?? 0]);
      }
      for (const v of d.not_applicable) {
        const denies = a.findings.filter((f) => f.product === product && f.requirement === v.requirement && f.confidence === 'conditional').reduce((s, f) => s + f.count, 0);
        expect([v.requirement, v.denied], 'conditional').toEqual([v.requirement, denies]);
      }
    });
  }

  it('the concrete counts: one owner per port, no internet noise, probable for unlisted internal hosts', () => {
    const { d } = both(INV, 'escan', 'signatures-not-downloading', FLOWS());
    const by = Object.fromEntries([...d.requirements, ...d.not_applicable].map((v) => [v.requirement, [v.denied, v.allowed]]));
    expect(by).toMatchObject({
      // 3500 and 3389 between a listed client and the server: both endpoints hold the roles (rule 4 spares confirmed flows)
      'client-update-check': [1, 1], 'client-ftp-passive': [2, 0], 'client-ftp-download': [1, 0], 'update-agent-ftp-download': [1, 0],
      'client-http-download': [1, 0],
    });
    const l = both(INV, 'gfi-languard', 'unable-to-contact-server', FLOWS()).d;
    const lb = Object.fromEntries([...l.requirements, ...l.not_applicable].map((v) => [v.requirement, [v.denied, v.allowed]]));
    // the agent → unlisted 10.99.0.1 deny is probable for agent-to-server and agent-to-relay alike
    expect(lb).toMatchObject({ 'agent-to-server': [2, 1], 'agent-to-server-fallback': [1, 0], 'agent-to-server-v11': [1, 0], 'relay-to-server': [0, 0], 'agent-to-relay': [1, 0] });
  });

  it('without an inventory both match on ports between internal addresses', () => {
    const { a, d } = both(null, 'escan', 'signatures-not-downloading', FLOWS());
    for (const v of d.requirements) {
      if (v.requirement.includes('passive')) continue; // analyze leaves ranges over 1,000 ports out of port-only
      const denies = a.findings.filter((f) => f.candidates?.includes(`escan/${v.requirement}`)).reduce((s, f) => s + f.count, 0);
      expect([v.requirement, v.denied]).toEqual([v.requirement, denies]);
    }
  });
});
