/**
 * Output schemas for `fwaudit parse --schema`: native (the flow record's own columns plus
 * `community_id`), ECS 8.17 (Elastic Common Schema, nested objects) and OCSF 1.4.0 Network Activity
 * (class 4001). The ECS and OCSF documents are checked against extracts of the published definitions
 * (fixtures/schemas/, made by scripts/extract-schema-fixtures.mjs) in test/ecs-output.test.ts and
 * test/ocsf-output.test.ts.
 */
import type { Flow } from '../model/flow.js';
import { isoUtc } from '../model/time.js';
import { communityId } from './community-id.js';
import { nativeRecord } from './serialize.js';

export type SchemaName = 'native' | 'ecs' | 'ocsf';

export const ECS_VERSION = '8.17.0';
export const OCSF_VERSION = '1.4.0';

export function toNative(f: Flow): Record<string, unknown> {
  return nativeRecord(f);
}

const prune = (o: Record<string, unknown>): Record<string, unknown> => {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === null || v === undefined) delete o[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      prune(v as Record<string, unknown>);
      if (Object.keys(v as object).length === 0) delete o[k];
    }
  }
  return o;
};

/** IANA protocol numbers of the transport names fwaudit uses. */
const PROTO_NUM: Record<string, number> = { icmp: 1, igmp: 2, ipip: 4, tcp: 6, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51, icmpv6: 58, ospf: 89, pim: 103, vrrp: 112, sctp: 132, udplite: 136 };

function protoNumber(t: string | null): number | null {
  if (!t) return null;
  const n = PROTO_NUM[t];
  if (n !== undefined) return n;
  return /^\d{1,3}$/.test(t) && Number(t) <= 255 ? Number(t) : null;
}

/** ECS `network.transport` is the IANA keyword, lower-case (58 is `ipv6-icmp`); a bare number is not one. */
function ecsTransport(t: string | null): string | null {
  if (!t || /^\d+$/.test(t)) return null;
  return t === 'icmpv6' ? 'ipv6-icmp' : t;
}

/**
 * ECS `network.direction`. Every direction fwaudit reads is seen from the host that logged it (pfirewall
 * RECEIVE/SEND, WFP inbound/outbound, netfilter INPUT/OUTPUT), which ECS writes as ingress/egress.
 * A forwarded packet (netfilter FORWARD: in and out interfaces) crosses the host; which side is the
 * perimeter is not in the log, so it is `unknown` (the flow's own value stays in `fwaudit.direction`).
 */
export function ecsDirection(d: Flow['direction']): string | null {
  return d === 'inbound' ? 'ingress' : d === 'outbound' ? 'egress' : d === 'forward' ? 'unknown' : null;
}

export function toEcs(f: Flow): Record<string, unknown> {
  const wfp = f.format.startsWith('wfp');
  const iana = protoNumber(f.transport);
  return prune({
    '@timestamp': isoUtc(f.ts),
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event', category: ['network'], type: ['connection', f.action === 'deny' ? 'denied' : f.action === 'allow' ? 'allowed' : 'info'],
      action: f.raw_action, outcome: f.action === 'allow' ? 'success' : f.action === 'deny' ? 'failure' : 'unknown',
      reason: f.end_reason,
    },
    source: { ip: f.src_ip, port: f.src_port },
    destination: { ip: f.dst_ip, port: f.dst_port, domain: f.host },
    network: {
      transport: ecsTransport(f.transport), iana_number: iana === null ? null : String(iana), direction: ecsDirection(f.direction),
      application: !wfp && f.app ? f.app.toLowerCase() : null,
      bytes: f.bytes, packets: f.packets, community_id: communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port),
    },
    observer: { hostname: f.device },
    rule: { name: f.rule },
    process: wfp && f.app ? { name: f.app } : null,
    url: f.url ? { original: f.url, domain: f.host } : null,
    log: { file: { path: f.file } },
    // not ECS fields: the line number (log.offset is a byte offset in ECS/Filebeat), the flow's own values
    fwaudit: { format: f.format, action: f.action, direction: f.direction, line: f.line, transport: f.transport },
  });
}

const CAP = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/**
 * OCSF 1.4.0 Network Activity (class_uid 4001): activity Refuse (5) for denies, Traffic (6) otherwise.
 * Profiles: `security_control` (action, disposition, firewall_rule) always, `host` when the logging device
 * is known (device). Every enum id is written with its caption; the vendor's own verdict token, the
 * evidence file/line and the session end reason go to `unmapped`. A flow without a timestamp has no
 * `time` (required by the class): fwaudit does not invent one.
 */
export function toOcsf(f: Flow): Record<string, unknown> {
  const deny = f.action === 'deny', allow = f.action === 'allow';
  const activity = deny ? 5 : 6;
  const activityName = deny ? 'Refuse' : 'Traffic';
  const dirId = f.direction === 'inbound' ? 1 : f.direction === 'outbound' ? 2 : f.direction === 'forward' ? 99 : 0;
  const firewall = f.format.startsWith('panos');
  const profiles = ['security_control', ...(f.device ? ['host'] : [])];
  const o = prune({
    activity_id: activity, activity_name: activityName,
    category_uid: 4, category_name: 'Network Activity',
    class_uid: 4001, class_name: 'Network Activity',
    type_uid: 4001 * 100 + activity, type_name: `Network Activity: ${activityName}`,
    severity_id: 1, severity: 'Informational',
    time: f.ts,
    action_id: deny ? 2 : allow ? 1 : 0, action: deny ? 'Denied' : allow ? 'Allowed' : 'Unknown',
    disposition_id: deny ? 2 : allow ? 1 : 0, disposition: deny ? 'Blocked' : allow ? 'Allowed' : 'Unknown',
    src_endpoint: { ip: f.src_ip, port: f.src_port },
    dst_endpoint: { ip: f.dst_ip, port: f.dst_port, hostname: f.host },
    connection_info: {
      protocol_name: f.transport, protocol_num: protoNumber(f.transport),
      direction_id: dirId, direction: dirId === 99 ? CAP(f.direction!) : ['Unknown', 'Inbound', 'Outbound'][dirId],
      community_uid: communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port),
    },
    traffic: { bytes: f.bytes, packets: f.packets },
    firewall_rule: { name: f.rule },
    app_name: f.app,
    url: f.url ? { url_string: f.url, hostname: f.host } : null,
    device: f.device ? { hostname: f.device, type_id: firewall ? 9 : 0, type: firewall ? 'Firewall' : 'Unknown' } : null,
    metadata: { product: { name: 'fwaudit', vendor_name: 'fwaudit' }, version: OCSF_VERSION, log_name: f.format, profiles },
    unmapped: { file: f.file, line: f.line, raw_action: f.raw_action, end_reason: f.end_reason },
  });
  return o;
}

export function schemaMapper(name: SchemaName): (f: Flow) => Record<string, unknown> {
  return name === 'ecs' ? toEcs : name === 'ocsf' ? toOcsf : toNative;
}
