/**
 * Compiles rulesets + inventory into the tables the generated SQL carries inline (VALUES): one entry per
 * active requirement of each deployment (same order and ids as the TypeScript matcher's entries), their
 * port intervals, the inventory's address ranges per role key, hostname patterns, and the addresses the
 * static hosts map resolves them to. Everything here comes from the same loaders and helpers the matcher
 * uses (`paramValues`, `requirementApplies`, `resolvePorts`, the inventory's merged AddrSets).
 */
import type { Inventory } from '../inventory/load.js';
import type { Ruleset } from '../model/ruleset.js';
import { paramValues, requirementApplies } from '../rulesets/load.js';
import { formatIntervals, resolvePorts } from '../rulesets/ports.js';
import { hostMatches } from '../matcher/matcher.js';

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
}

export interface SqlModel {
  entries: SqlEntry[];
  /** IPv4 ranges (uint32) per role key. */
  roles4: Array<{ key: number; lo: number; hi: number }>;
  /** IPv6 ranges as 32-digit lower-case hex per role key. */
  roles6: Array<{ key: number; lo: string; hi: string }>;
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
  const entries: SqlEntry[] = [];
  const roles4: SqlModel['roles4'] = [];
  const roles6: SqlModel['roles6'] = [];
  const hostPatterns: SqlModel['hostPatterns'] = [];
  const staticResolved: SqlModel['staticResolved'] = [];
  const names = new Map<string, string>();
  const rows: SqlModel['rows'] = [];
  const rowSeen = new Set<string>();
  let nextKey = 0;
  inventory.deployments.forEach((d, di) => {
    const keyOf = new Map<string, number>();
    const rs: Ruleset = d.ruleset;
    for (const [role, set] of d.roles) {
      const k = nextKey++;
      keyOf.set(role, k);
      for (const [lo, hi] of set.v4) roles4.push({ key: k, lo, hi });
      for (const [lo, hi] of set.v6) roles6.push({ key: k, lo: hex128(lo), hi: hex128(hi) });
    }
    const keyFor = (role: string | undefined): number =>
      role === undefined ? KEY_ABSENT : keyOf.get(role) ?? (role === 'internet' ? KEY_INTERNET : role === 'any' ? KEY_ANY : KEY_ABSENT);
    const scope = (role: string | undefined): string | null => {
      if (role === undefined) return null;
      const set = d.roles.get(role);
      return set ? set.text.join(', ') : role === 'internet' ? 'the internet' : null;
    };
    const params = paramValues(rs, d.params);
    for (const req of rs.requirements) {
      if (!requirementApplies(req, params) || req.local_only) continue;
      const rowKey = `${d.product}\u0000${req.id}`;
      const source = `${req.source.document} § ${req.source.section}`;
      if (!rowSeen.has(rowKey)) {
        rowSeen.add(rowKey);
        rows.push({ product: rs.id, requirement: req.id, necessity: req.necessity, purpose: req.purpose, source });
      }
      const ports = resolvePorts(req.ports, params);
      const span = ports.length ? ports.reduce((n, [lo, hi]) => n + hi - lo + 1, 0) : 65536;
      const portText = formatIntervals(ports);
      const hosts = req.hosts && req.hosts.length ? req.hosts.map((h) => h.toLowerCase()) : null;
      const eid = entries.length;
      let toScope = scope(req.to);
      if (hosts) {
        const resolved = new Set<string>();
        for (const [name, ips] of inventory.hosts) {
          if (hosts.some((p) => hostMatches(name, p))) for (const ip of ips) { resolved.add(ip); names.set(ip, name); }
        }
        for (const ip of resolved) staticResolved.push({ eid, ip });
        toScope = hosts.join(', ') + (resolved.size ? ` (${[...resolved].join(', ')})` : '');
        for (const p of hosts) hostPatterns.push(p.includes('*') ? { eid, exact: null, like: globToLike(p) } : { eid, exact: p, like: null });
      }
      entries.push({
        eid, dep: di, product: rs.id, productName: rs.product, requirement: req.id, necessity: req.necessity,
        transport: req.transport.toLowerCase(), fromRole: req.from, toRole: req.to ?? null,
        fromKey: keyFor(req.from), toKey: keyFor(req.to), hasHosts: hosts !== null, anyPort: ports.length === 0,
        ports, span, wide: span > WIDE_RANGE, portText,
        symptom: req.symptom ?? null, purpose: req.purpose, source,
        openPrefix: `${req.transport.toUpperCase()}${ports.length ? ` ${portText}` : ''}`,
        fromScope: scope(req.from), toScope,
      });
    }
  });
  return {
    entries, roles4, roles6, hostPatterns, staticResolved,
    staticNames: [...names].map(([ip, name]) => ({ ip, name })),
    rows,
    transports: [...new Set(entries.map((e) => e.transport))].sort(),
  };
}
