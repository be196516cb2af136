/**
 * Suggested openings in the language of the device that denied the flows: PAN-OS set commands (address and
 * service objects from the inventory's CIDRs, the rule moved before the one that blocked), iptables and
 * nftables rules, Windows Firewall (New-NetFirewallRule and netsh). Always a suggestion to review: fwaudit
 * never applies them. Rule and device names come from logs (attacker-controlled): they appear only where
 * they can be quoted safely, otherwise they are described in a comment with unsafe characters replaced.
 */
import type { Finding, Remediation } from '../model/finding.js';
import { intToIpv4 } from '../model/ip.js';

import type { AddrSet } from '../inventory/addr.js';
import type { CompiledRequirement } from '../requirements/index.js';
import { rangeToCidrs } from './group.js';

/** Addresses shown per side before the rest is summarised. */
const MAX_ADDRS = 16;

const SAFE_RULE = /^[A-Za-z0-9 ._-]{1,63}$/;

/** Printable ASCII only, no quotes or backslashes: for comments. */
export function commentSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069"'`\\$;]/g, '?').slice(0, 120);
}

function objName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63);
}

interface Side { v4: string[]; v6: string[]; fqdn: string[]; any: boolean; more: number; ranges?: string[] }

function setCidrs(set: AddrSet): { v4: string[]; v6: string[]; ranges: string[] } {
  const v4: string[] = [];
  const ranges: string[] = [];
  for (const [lo, hi] of set.v4) {
    const c = rangeToCidrs(lo, hi);
    v4.push(...c);
    ranges.push(c.length === 1 ? c[0]! : `${intToIpv4(lo)}-${intToIpv4(hi)}`);
  }
  const v6 = set.text.filter((t) => t.includes(':'));
  return { v4, v6, ranges };
}

function cap(side: Side): Side {
  const total = side.v4.length + side.v6.length;
  if (total <= MAX_ADDRS) return side;
  const v4 = side.v4.slice(0, MAX_ADDRS);
  const v6 = side.v6.slice(0, Math.max(0, MAX_ADDRS - v4.length));
  return { ...side, v4, v6, ...(side.ranges ? { ranges: side.ranges.slice(0, MAX_ADDRS) } : {}), more: total - v4.length - v6.length };
}

function sideOf(f: Finding, e: CompiledRequirement, which: 'src' | 'dst'): Side {
  const role = which === 'src' ? f.src_role : f.dst_role;
  const set = which === 'src' ? e.fromSet : e.toSet;
  const none: Side = { v4: [], v6: [], fqdn: [], any: false, more: 0 };
  if (which === 'dst' && e.hosts) {
    return { ...none, fqdn: e.hosts.filter((h) => !h.includes('*')), any: e.hosts.some((h) => h.includes('*')) };
  }
  const roleName = which === 'src' ? e.req.from : e.req.to;
  if (roleName === 'internet') return { ...none, any: true };
  if (role !== null && set) { const c = setCidrs(set); return cap({ ...none, ...c }); }
  // the endpoint outside the inventory (probable): the hosts seen
  const hosts = f.hosts && f.hosts.side === which ? f.hosts.cidrs : [which === 'src' ? f.src_ip : f.dst_ip];
  return cap({ ...none, v4: hosts.filter((h) => !h.includes(':')), v6: hosts.filter((h) => h.includes(':')) });
}

function portList(e: CompiledRequirement): string[] {
  return e.ports.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
}

function protoNumber(t: string): string {
  const m: Record<string, string> = { gre: '47', esp: '50', ah: '51', icmp: 'icmp', icmpv6: 'ipv6-icmp', sctp: '132' };
  return m[t] ?? t;
}

function blockedBy(f: Finding): string {
  const fmts = f.formats ?? [];
  if (f.rules.length === 0 && fmts.length > 0 && fmts.every((x) => x === 'winfw' || x.startsWith('wfp')) && f.devices.every((d) => d.startsWith('Windows Firewall of '))) {
    const out = (f.directions ?? []).includes('outbound') && !(f.directions ?? []).includes('inbound');
    return `the Windows Firewall of ${out ? f.src_ip : f.dst_ip} itself (its own log, ${out ? 'outbound' : 'inbound'})`;
  }
  const rules = f.rules.length ? `rule${f.rules.length > 1 ? 's' : ''} ${f.rules.map((r) => `"${commentSafe(r)}"`).join(', ')}` : 'an unnamed rule';
  const dev = f.devices.length ? ` on ${f.devices.map(commentSafe).join(', ')}` : '';
  return `${rules}${dev}`;
}

function header(f: Finding, what: string): string {
  return `# Suggestion to review, not applied by fwaudit: ${what}. Blocked by ${blockedBy(f)}; requirement ${f.product}/${f.requirement} (${commentSafe(f.source)}).`;
}

function panos(f: Finding, e: CompiledRequirement): Remediation {
  const base = objName(`fwaudit-${f.product}-${f.requirement}`);
  const lines = [header(f, `allow ${e.req.transport.toUpperCase()} ${e.portText || 'any'} on PAN-OS, placed before the blocking rule`)];
  const objects = (side: Side, role: string): string => {
    if (side.any && side.v4.length + side.v6.length + side.fqdn.length === 0) return 'any';
    const names: string[] = [];
    const pre = objName(`fwaudit-${f.product}-${role}`);
    [...(side.ranges ?? side.v4), ...side.v6].forEach((c, i) => {
      const n = objName(`${pre}-${i + 1}`);
      lines.push(`set address ${n} ${c.includes('-') ? 'ip-range' : 'ip-netmask'} ${c}`);
      names.push(n);
    });
    side.fqdn.forEach((h, i) => {
      const n = objName(`${pre}-fqdn-${i + 1}`);
      lines.push(`set address ${n} fqdn ${h}`);
      names.push(n);
    });
    if (side.more) lines.push(`# ${side.more} more address ranges of ${role} are not listed: add them to the group`);
    if (side.any) lines.push(`# the requirement names wildcard hosts (${(e.hosts ?? []).filter((h) => h.includes('*')).join(', ')}): use a URL category or custom URL filtering for them`);
    if (names.length === 1) return names[0]!;
    const g = objName(`${pre}-group`);
    lines.push(`set address-group ${g} static [ ${names.join(' ')} ]`);
    return g;
  };
  const src = objects(sideOf(f, e, 'src'), f.src_role ?? 'sources');
  const dst = objects(sideOf(f, e, 'dst'), f.dst_role ?? 'destinations');
  let service = 'any';
  const t = e.req.transport.toLowerCase();
  if ((t === 'tcp' || t === 'udp' || t === 'sctp') && e.ports.length) {
    service = objName(`${base}-svc`);
    lines.push(`set service ${service} protocol ${t} port ${portList(e).join(',')}`);
  }
  const app = t === 'tcp' || t === 'udp' || t === 'sctp' ? 'any' : t === 'gre' ? 'gre' : t === 'icmp' ? 'icmp' : 'any';
  lines.push(`set rulebase security rules ${base} from any to any source ${src} destination ${dst} application ${app} service ${service} action allow`);
  const rule = f.rules.find((r) => SAFE_RULE.test(r));
  if (rule) lines.push(`move rulebase security rules ${base} before "${rule}"`);
  else if (f.rules.length) lines.push(`# move ${base} above the blocking rule (its name contains characters that are not quoted here)`);
  return { dialect: 'panos', device: `PAN-OS ${f.devices.map(commentSafe).join(', ') || 'firewall'}`, text: lines.join('\n') };
}

function chainOf(f: Finding): string {
  const d = f.directions ?? [];
  return d.includes('forward') ? 'FORWARD' : d.includes('inbound') ? 'INPUT' : d.includes('outbound') ? 'OUTPUT' : 'FORWARD';
}

function iptablesPorts(e: CompiledRequirement): string {
  const t = e.req.transport.toLowerCase();
  if (!e.ports.length || (t !== 'tcp' && t !== 'udp' && t !== 'sctp')) return '';
  const list = e.ports.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`));
  if (list.length === 1) return ` --dport ${list[0]}`;
  return ` -m multiport --dports ${list.join(',')}`;
}

function iptables(f: Finding, e: CompiledRequirement): Remediation[] {
  const chain = chainOf(f);
  const src = sideOf(f, e, 'src'), dst = sideOf(f, e, 'dst');
  const t = e.req.transport.toLowerCase();
  const comment = `fwaudit ${objName(f.product)}/${objName(f.requirement)}`;
  const out: Remediation[] = [];
  const fam = (v6: boolean): { s: string[]; d: string[] } => ({ s: v6 ? src.v6 : src.v4, d: v6 ? dst.v6 : dst.v4 });
  const ipt: string[] = [header(f, `iptables rule inserted at the top of ${chain}`)];
  const nft: string[] = [header(f, `nftables rule inserted at the top of the ${chain.toLowerCase()} chain of table inet filter (adapt table and chain names)`)];
  for (const v6 of [false, true]) {
    const { s, d } = fam(v6);
    const needS = !src.any, needD = !dst.any && dst.fqdn.length === 0;
    if ((needS && s.length === 0) || (needD && d.length === 0)) continue;
    const proto = t === 'icmpv6' || t === 'icmp' ? (v6 ? 'ipv6-icmp' : 'icmp') : protoNumber(t);
    ipt.push(`${v6 ? 'ip6tables' : 'iptables'} -I ${chain} -p ${proto}${needS ? ` -s ${s.join(',')}` : ''}${needD ? ` -d ${d.join(',')}` : ''}${iptablesPorts(e)} -m comment --comment "${comment}" -j ACCEPT`);
    const fa = v6 ? 'ip6' : 'ip';
    const l4 = t === 'tcp' || t === 'udp' || t === 'sctp';
    const ports = l4 && e.ports.length ? ` ${t} dport ${e.ports.length === 1 ? (e.ports[0]![0] === e.ports[0]![1] ? e.ports[0]![0] : `${e.ports[0]![0]}-${e.ports[0]![1]}`) : `{ ${portList(e).join(', ')} }`}` : '';
    const protoMatch = l4 && e.ports.length ? '' : ` meta l4proto ${t === 'icmp' && v6 ? 'ipv6-icmp' : t === 'icmpv6' ? 'ipv6-icmp' : t}`;
    nft.push(`nft insert rule inet filter ${chain.toLowerCase()}${needS ? ` ${fa} saddr { ${s.join(', ')} }` : ''}${needD ? ` ${fa} daddr { ${d.join(', ')} }` : ''}${protoMatch}${ports} accept comment "${comment}"`);
  }
  if (dst.fqdn.length) { ipt.push(`# destination by name: ${dst.fqdn.join(', ')} (resolve to addresses, or use an ipset updated by DNS)`); nft.push(`# destination by name: ${dst.fqdn.join(', ')} (use a named set filled from DNS)`); }
  if (src.more || dst.more) { const m = `# ${src.more + dst.more} more address ranges of the roles are not listed`; ipt.push(m); nft.push(m); }
  const dev = `${f.devices.map(commentSafe).join(', ') || 'the Linux firewall'}`;
  out.push({ dialect: 'iptables', device: dev, text: ipt.join('\n') }, { dialect: 'nftables', device: dev, text: nft.join('\n') });
  return out;
}

function windows(f: Finding, e: CompiledRequirement): Remediation[] {
  const outbound = (f.directions ?? []).includes('outbound') && !(f.directions ?? []).includes('inbound');
  const hostIp = outbound ? f.src_ip : f.dst_ip;
  const remote = sideOf(f, e, outbound ? 'dst' : 'src');
  const t = e.req.transport.toLowerCase();
  const name = `fwaudit ${objName(f.product)} ${objName(f.requirement)}`;
  const remoteList = remote.any ? 'Any' : [...remote.v4, ...remote.v6].join(',');
  const l4 = t === 'tcp' || t === 'udp';
  const ports = portList(e).join(',');
  const proto = l4 ? t.toUpperCase() : protoNumber(t) === 'icmp' ? 'ICMPv4' : protoNumber(t) === 'ipv6-icmp' ? 'ICMPv6' : protoNumber(t);
  const device = `the Windows Firewall of ${hostIp} (its own log)`;
  const what = `${outbound ? 'outbound' : 'inbound'} allow rule on ${hostIp}`;
  const ps = [
    header(f, what),
    `New-NetFirewallRule -DisplayName '${name}' -Direction ${outbound ? 'Outbound' : 'Inbound'} -Action Allow -Protocol ${proto}${l4 && ports ? ` -${outbound ? 'RemotePort' : 'LocalPort'} ${ports}` : ''} -RemoteAddress ${remoteList || 'Any'} -Profile Any`,
  ];
  const ns = [
    header(f, what).replace(/^#/, 'REM'),
    `netsh advfirewall firewall add rule name="${name}" dir=${outbound ? 'out' : 'in'} action=allow protocol=${l4 ? t.toUpperCase() : protoNumber(t)}${l4 && ports ? ` ${outbound ? 'remoteport' : 'localport'}=${ports}` : ''} remoteip=${remote.any ? 'any' : remoteList || 'any'}`,
  ];
  if (remote.more) { ps.push(`# ${remote.more} more address ranges are not listed`); ns.push(`REM ${remote.more} more address ranges are not listed`); }
  return [{ dialect: 'powershell', device, text: ps.join('\n') }, { dialect: 'netsh', device, text: ns.join('\n') }];
}

/** Remediation snippets for the log formats the finding's flows came from. */
export function remediationFor(f: Finding, e: CompiledRequirement): Remediation[] {
  const formats = f.formats ?? [];
  const out: Remediation[] = [];
  if (formats.some((x) => x.startsWith('panos'))) out.push(panos(f, e));
  if (formats.some((x) => x.startsWith('iptables'))) out.push(...iptables(f, e));
  if (formats.some((x) => x === 'winfw' || x.startsWith('wfp'))) out.push(...windows(f, e));
  return out;
}


