/**
 * Grouped findings (the default view): one finding per requirement × destination — × source for outbound
 * requirements (`to: internet` or `hosts`) — with the affected hosts as a count, the first ten in numeric
 * order and their merged CIDRs. `--by host` keeps one finding per host pair (the matcher's own groups).
 */
import type { Finding, FindingHosts } from '../model/finding.js';
import { ipv4ToInt } from '../model/ip.js';
import { isPublicAddress, rangeToCidrs } from '../requirements/index.js';

export type FindingsBy = 'requirement' | 'host';

const FIRST_HOSTS = 10;
const MAX_CIDRS = 16;
const MAX_SET = 10;
const MAX_EVIDENCE = 5;

/** Whether the requirement of a finding points outwards (grouped per source). */
function outward(f: Finding): boolean {
  if (f.confidence === 'port-only') return isPublicAddress(f.dst_ip);
  return f.dst_role === 'internet' || f.dst_host !== undefined && f.dst_host !== null || (f.dst_role === null && isPublicAddress(f.dst_ip) && f.confidence !== 'probable');
}

function cmpIp(a: string, b: string): number {
  const x = ipv4ToInt(a), y = ipv4ToInt(b);
  if (x >= 0 && y >= 0) return x - y;
  if (x >= 0) return -1;
  if (y >= 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Addresses → merged CIDRs (IPv4 merged over ranges; IPv6 listed as written). */
export function summarizeCidrs(ips: Iterable<string>): string[] {
  const v4: number[] = [];
  const other: string[] = [];
  for (const ip of ips) { const n = ipv4ToInt(ip); if (n >= 0) v4.push(n); else other.push(ip); }
  v4.sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const n of v4) {
    const last = ranges[ranges.length - 1];
    if (last && n <= last[1] + 1) last[1] = Math.max(last[1], n); else ranges.push([n, n]);
  }
  const out: string[] = [];
  for (const [lo, hi] of ranges) out.push(...rangeToCidrs(lo, hi));
  return [...out, ...[...new Set(other)].sort()];
}

export { rangeToCidrs };

export function hostsSummary(ips: string[], side: 'src' | 'dst'): FindingHosts {
  const sorted = [...new Set(ips)].sort(cmpIp);
  const cidrs = summarizeCidrs(sorted);
  const h: FindingHosts = { count: sorted.length, first: sorted.slice(0, FIRST_HOSTS), cidrs: cidrs.slice(0, MAX_CIDRS), side };
  if (cidrs.length > MAX_CIDRS) h.more_cidrs = cidrs.length - MAX_CIDRS;
  return h;
}

export function cidrText(h: FindingHosts): string {
  return h.cidrs.join(', ') + (h.more_cidrs ? ` (+${h.more_cidrs} more)` : '') + ` (${h.count} hosts)`;
}

function addCapped(into: string[], from: string[] | undefined, cap = MAX_SET): void {
  if (!from) return;
  for (const x of from) if (into.length < cap && !into.includes(x)) into.push(x);
}

/** Groups host-pair findings (sorted) per requirement × anchor; keeps the input order of first appearance. */
export function groupFindings(findings: Finding[]): Finding[] {
  const groups = new Map<string, { f: Finding; hosts: string[]; side: 'src' | 'dst' }>();
  for (const f of findings) {
    const out = outward(f);
    const side: 'src' | 'dst' = out ? 'dst' : 'src';
    const anchor = out ? f.src_ip : f.dst_ip;
    const portKey = f.dst_ports ? '*' : String(f.dst_port);
    const req = f.confidence === 'port-only' ? (f.candidates ?? []).join(';') : `${f.product}/${f.requirement}`;
    const key = `${f.confidence}|${req}|${f.transport}|${portKey}|${anchor}|${f.src_role}|${f.dst_role}`;
    const other = out ? f.dst_ip : f.src_ip;
    const g = groups.get(key);
    if (!g) {
      const copy: Finding = { ...f, devices: [...f.devices], rules: [...f.rules], evidence: [...f.evidence] };
      if (f.dst_ports) copy.dst_ports = [...f.dst_ports];
      if (f.formats) copy.formats = [...f.formats];
      if (f.directions) copy.directions = [...f.directions];
      groups.set(key, { f: copy, hosts: [other], side });
      continue;
    }
    const m = g.f;
    g.hosts.push(other);
    m.count += f.count;
    if (f.first_seen !== null && (m.first_seen === null || f.first_seen < m.first_seen)) m.first_seen = f.first_seen;
    if (f.last_seen !== null && (m.last_seen === null || f.last_seen > m.last_seen)) m.last_seen = f.last_seen;
    addCapped(m.devices, f.devices); addCapped(m.rules, f.rules);
    if (f.formats) addCapped((m.formats ??= []), f.formats, 4);
    if (f.directions) addCapped((m.directions ??= []), f.directions, 3);
    for (const e of f.evidence) if (m.evidence.length < MAX_EVIDENCE) m.evidence.push(e);
    if (f.dst_ports && m.dst_ports) {
      for (const p of f.dst_ports) if (m.dst_ports.length < MAX_SET && !m.dst_ports.includes(p)) m.dst_ports.push(p);
      m.dst_ports.sort((a, b) => a - b);
      m.dst_port = m.dst_ports[0] ?? m.dst_port;
    }
  }
  const out: Finding[] = [];
  for (const { f, hosts, side } of groups.values()) {
    f.devices.sort(); f.rules.sort();
    f.formats?.sort(); f.directions?.sort();
    f.hosts = hostsSummary(hosts, side);
    const first = f.hosts.first[0]!;
    if (f.hosts.count > 1) {
      // a probable finding's `open` names the one host outside the inventory: name all of them
      if (f.open && side === 'src' && f.src_role === null) f.open = f.open.replace(` from ${f.src_ip} `, ` from ${f.hosts.cidrs.join(', ')}${f.hosts.more_cidrs ? ' …' : ''} `);
      if (f.open && side === 'dst' && f.dst_role === null && !f.dst_host) f.open = f.open.replace(new RegExp(` to ${escapeRe(f.dst_ip)}$`), ` to ${f.hosts.cidrs.join(', ')}${f.hosts.more_cidrs ? ' …' : ''}`);
    }
    if (side === 'src') f.src_ip = first; else f.dst_ip = first;
    out.push(f);
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

