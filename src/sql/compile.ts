/**
 * Compiles rulesets + inventory into the tables the generated SQL carries inline (VALUES): one entry per
 * active requirement of each deployment (same order and ids as the TypeScript matcher's entries), their
 * port intervals, the inventory's address ranges per role key, hostname patterns, and the addresses the
 * static hosts map resolves them to. Everything here comes from the same loaders and helpers the matcher
 * uses (`paramValues`, `requirementApplies`, `resolvePorts`, the inventory's merged AddrSets).
 */
import type { Inventory } from '../inventory/load.js';
import { compileRequirements, hostMatches, WELL_KNOWN_PORTS, type CompiledRequirement } from '../requirements/index.js';
export { WELL_KNOWN_PORTS };

/** Role key of a requirement's `from`/`to`: ≥ 0 an inventory role, or one of these. */
export const KEY_ABSENT = -1;
export const KEY_INTERNET = -2;
export const KEY_ANY = -3;

/** Requirements spanning more ports than this are grouped per host pair (matcher WIDE_RANGE). */
export const WIDE_RANGE = 64;

export interface SqlEntry {
  eid: number;
  dep: number;
  product: string;
  productName: string;
  requirement: string;
  necessity: string;
  transport: string;
  fromRole: string;
  toRole: string | null;
  fromKey: number;
  toKey: number;
  hasHosts: boolean;
  anyPort: boolean;
  ports: Array<[number, number]>;
  span: number;
  wide: boolean;
  portText: string;
  symptom: string | null;
  purpose: string;
  source: string;
  /** "TCP 1072" (transport upper-case, the ports when there are any) for the `open` advice. */
  openPrefix: string;
  fromScope: string | null;
  toScope: string | null;
  /** Switched on by its `when` (else it only gives conditional findings). */
  active: boolean;
  /** Conditional findings: the requirement's condition, the `when` parameter, and the note's fixed parts. */
  condition: string | null;
  paramName: string | null;
  /** The parameter's value in the deployment as JSON text (number, string, boolean or null). */
  paramValue: string | null;
  suggestion: string | null;
  mismatch: string | null;
  /** note = notePre + who + noteMid + port + notePost (+ the alternatives' text), as the matcher writes it. */
  notePre: string;
  noteMid: string;
  notePost: string;
}

/** Another switched-off requirement of the same deployment and role pair (a conditional finding's alternatives). */
export interface SqlAlternative {
  eid: number;
  ord: number;
  /** Port interval of the alternative; [-1, -1] for a portless alternative of a portless requirement. */
  lo: number;
  hi: number;
  /** `{"requirement":…,"condition":…,"parameter":…,"suggestion":…}` exactly as analyze --json writes it. */
  json: string;
  /** "<suggestion> for <requirement>" (the note's "(or …)" part). */
  text: string;
}

export interface SqlModel {
  entries: SqlEntry[];
  /** IPv4 ranges (uint32) per role key, split at /16 boundaries: `b` is the /16 (first two octets as a number). */
  roles4: Array<{ key: number; b: number; lo: number; hi: number }>;
  /** IPv6 ranges as 32-digit lower-case hex per role key, split at /16 boundaries: `b` is the first 4 hex digits. */
  roles6: Array<{ key: number; b: string; lo: string; hi: string }>;
  alternatives: SqlAlternative[];
  /** Hostname patterns per entry: exact names, or LIKE patterns for `*` wildcards. */
  hostPatterns: Array<{ eid: number; exact: string | null; like: string | null }>;
  /** Addresses the static hosts map (inventory `hosts`, `--hosts`) resolves an entry's names to. */
  staticResolved: Array<{ eid: number; ip: string }>;
  /** Address → host name known before any log is read (what the matcher's hostOfIp starts with). */
  staticNames: Array<{ ip: string; name: string }>;
  /** Matrix rows in the matcher's insertion order. */
  rows: Array<{ product: string; requirement: string; necessity: string; purpose: string; source: string }>;
  transports: string[];
}

export function hex128(n: bigint): string {
  return n.toString(16).padStart(32, '0');
}

/** LIKE pattern (escape `!`) for a hostname glob: `*` is one or more characters. */
export function globToLike(pattern: string): string {
  return pattern.split('*').map((p) => p.replace(/[!%_]/g, (c) => `!${c}`)).join('_%');
}

export function compileModel(inventory: Inventory): SqlModel {
  // The same compiled index the matcher uses: activity (`when`), local_only, and the ports each requirement
  // owns within its group (one owner per port, rulesets/README.md "precedence").
  const index = compileRequirements([...new Set(inventory.deployments.map((d) => d.ruleset))], inventory);
  const entries: SqlEntry[] = [];
  const roles4: SqlModel['roles4'] = [];
  const roles6: SqlModel['roles6'] = [];
  const hostPatterns: SqlModel['hostPatterns'] = [];
  const staticResolved: SqlModel['staticResolved'] = [];
  const names = new Map<string, string>();
  const rows: SqlModel['rows'] = [];
  const rowSeen = new Set<string>();
  let nextKey = 0;
  inventory.deployments.forEach((d) => {
    for (const [, set] of d.roles) {
      const k = nextKey++;
      // Split at /16 boundaries so an engine joins addresses to ranges on the /16 first (an equi-join),
      // then checks the range: no range join over every (address, range) pair.
      for (const [lo, hi] of set.v4) {
        for (let b = Math.floor(lo / 65536); b <= Math.floor(hi / 65536); b++) {
          roles4.push({ key: k, b, lo: Math.max(lo, b * 65536), hi: Math.min(hi, b * 65536 + 65535) });
        }
      }
      for (const [lo, hi] of set.v6) {
        for (let b = lo >> 112n; b <= hi >> 112n; b++) {
          const blo = b << 112n, bhi = blo + (1n << 112n) - 1n;
          roles6.push({ key: k, b: b.toString(16).padStart(4, '0'), lo: hex128(lo > blo ? lo : blo), hi: hex128(hi < bhi ? hi : bhi) });
        }
      }
    }
  });
  const alternatives: SqlAlternative[] = [];
  for (const c of index.entries) {
    if (c.dep < 0 || c.localOnly) continue;
    const { rs, req } = c;
    const source = `${req.source.document} § ${req.source.section}`;
    if (c.active && !rowSeen.has(c.rowKey)) {
      rowSeen.add(c.rowKey);
      rows.push({ product: rs.id, requirement: req.id, necessity: req.necessity, purpose: req.purpose, source });
    }
    if (c.shadowed || (c.ports.length > 0 && c.owned.length === 0)) continue;
    const eid = c.id;
    if (c.hosts) {
      const resolved = new Set<string>();
      for (const [name, ips] of inventory.hosts) {
        if (c.hosts.some((p) => hostMatches(name, p))) for (const ip of ips) { resolved.add(ip); names.set(ip, name); }
      }
      for (const ip of resolved) staticResolved.push({ eid, ip });
      for (const p of c.hosts) hostPatterns.push(p.includes('*') ? { eid, exact: null, like: globToLike(p) } : { eid, exact: p, like: null });
    }
    entries.push({
      eid, dep: c.dep, product: rs.id, productName: rs.product, requirement: req.id, necessity: req.necessity,
      transport: req.transport.toLowerCase(), fromRole: req.from, toRole: req.to ?? null,
      fromKey: c.fromKey, toKey: c.toKey, hasHosts: c.hosts !== null, anyPort: c.ports.length === 0,
      ports: c.owned.map(([lo, hi]) => [lo, hi] as [number, number]), span: c.span, wide: c.wide, portText: c.portText,
      symptom: req.symptom ?? null, purpose: req.purpose, source,
      openPrefix: `${req.transport.toUpperCase()}${c.ports.length ? ` ${c.portText}` : ''}`,
      fromScope: c.fromScope, toScope: c.toScope,
      active: c.active, ...conditionalTexts(c),
    });
    if (!c.active) {
      // The matcher's alternativesOf: other off requirements of the deployment and role pair whose ports
      // cover one of the finding's ports (both portless: always).
      let ord = 0;
      for (const o of index.entries) {
        if (o === c || o.dep !== c.dep || o.active || o.localOnly || o.req.from !== req.from || (o.req.to ?? '') !== (req.to ?? '') ||
          o.req.transport !== req.transport) continue;
        const json = JSON.stringify({ requirement: o.req.id, condition: o.req.condition ?? null, parameter: o.when?.param ?? null, suggestion: o.when?.suggestion ?? null });
        const text = `${o.when ? o.when.suggestion : 'its condition'} for ${o.req.id}`;
        if (o.ports.length === 0) { if (c.ports.length === 0) alternatives.push({ eid, ord, lo: -1, hi: -1, json, text }); } else {
          for (const [lo, hi] of o.ports) alternatives.push({ eid, ord, lo, hi, json, text });
        }
        ord++;
      }
    }
  }
  return {
    entries, roles4, roles6, alternatives, hostPatterns, staticResolved,
    staticNames: [...names].map(([ip, name]) => ({ ip, name })),
    rows,
    transports: [...new Set(entries.map((e) => e.transport))].sort(),
  };
}

/** The fixed parts of a conditional finding's fields (src/matcher/matcher.ts conditionalFields, `--by host`). */
function conditionalTexts(c: CompiledRequirement): Pick<SqlEntry, 'condition' | 'paramName' | 'paramValue' | 'suggestion' | 'mismatch' | 'notePre' | 'noteMid' | 'notePost'> {
  const w = c.when, req = c.req;
  const what = req.purpose.replace(/\.$/, '');
  const turnOn = w ? `${w.suggestion} for ${c.rs.id} if that is intended` : `the requirement is off (${req.condition ?? 'its condition does not hold'})`;
  const base = { condition: req.condition ?? null, paramName: w?.param ?? null, paramValue: w ? JSON.stringify(w.current) : null, suggestion: w?.suggestion ?? null };
  if (c.mismatch && w) {
    return {
      ...base, mismatch: c.mismatch, notePre: `${c.mismatch}: `, noteMid: ' try ',
      notePost: ` (${req.condition ?? what}) while the deployment has \`${w.param}: ${String(w.current)}\`; agents and server may be on different versions — upgrade them to one version, or ${turnOn}`,
    };
  }
  return { ...base, mismatch: null, notePre: '', noteMid: ` try ${what} on `, notePost: `: ${turnOn}` };
}
