/**
 * Output schemas for `fwaudit parse --schema`: native (the flow record's own columns plus
 * `community_id`), ECS (Elastic Common Schema, nested objects) and OCSF Network Activity (class 4001).
 */
import type { Flow } from '../model/flow.js';
import { isoUtc } from '../model/time.js';
import { communityId } from './community-id.js';
import { FLOW_COLUMNS } from '../model/flow.js';

export type SchemaName = 'native' | 'ecs' | 'ocsf';

export function toNative(f: Flow): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of FLOW_COLUMNS) o[c] = c === 'ts' ? isoUtc(f.ts) : f[c];
  o['community_id'] = communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port);
  return o;
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

export function toEcs(f: Flow): Record<string, unknown> {
  return prune({
    '@timestamp': isoUtc(f.ts),
    event: {
      kind: 'event', category: ['network'], type: ['connection', f.action === 'deny' ? 'denied' : f.action === 'allow' ? 'allowed' : 'info'],
      action: f.raw_action, outcome: f.action === 'allow' ? 'success' : f.action === 'deny' ? 'failure' : 'unknown',
      reason: f.end_reason,
    },
    source: { ip: f.src_ip, port: f.src_port, bytes: null },
    destination: { ip: f.dst_ip, port: f.dst_port, domain: f.host },
    network: { transport: f.transport, direction: f.direction, bytes: f.bytes, packets: f.packets, community_id: communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port) },
    observer: { hostname: f.device },
    rule: { name: f.rule },
    process: f.app ? { name: f.app } : null,
    url: f.url ? { original: f.url, domain: f.host } : null,
    log: { file: { path: f.file }, offset: f.line },
    fwaudit: { format: f.format, action: f.action, line: f.line },
  });
}

const OCSF_PROTO: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, icmpv6: 58 };

/** OCSF 1.x Network Activity (class_uid 4001): activity Refuse (5) for denies, Traffic (6) otherwise. */
export function toOcsf(f: Flow): Record<string, unknown> {
  const deny = f.action === 'deny';
  const activity = deny ? 5 : 6;
  return prune({
    class_uid: 4001, class_name: 'Network Activity', category_uid: 4, category_name: 'Network Activity',
    activity_id: activity, activity_name: deny ? 'Refuse' : 'Traffic', type_uid: 4001 * 100 + activity,
    severity_id: 1, time: f.ts, time_dt: isoUtc(f.ts),
    action_id: deny ? 2 : f.action === 'allow' ? 1 : 0, action: deny ? 'Denied' : f.action === 'allow' ? 'Allowed' : 'Unknown',
    disposition: f.raw_action,
    src_endpoint: { ip: f.src_ip, port: f.src_port },
    dst_endpoint: { ip: f.dst_ip, port: f.dst_port, hostname: f.host },
    connection_info: {
      protocol_name: f.transport, protocol_num: f.transport ? (OCSF_PROTO[f.transport] ?? (/^\d+$/.test(f.transport) ? Number(f.transport) : null)) : null,
      direction: f.direction ? f.direction[0]!.toUpperCase() + f.direction.slice(1) : null,
      direction_id: f.direction === 'inbound' ? 1 : f.direction === 'outbound' ? 2 : f.direction === 'forward' ? 3 : 0,
      community_uid: communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port),
    },
    traffic: f.bytes !== null || f.packets !== null ? { bytes: f.bytes, packets: f.packets } : null,
    firewall_rule: f.rule ? { name: f.rule } : null,
    app_name: f.app,
    url: f.url ? { url_string: f.url, hostname: f.host } : null,
    device: f.device ? { hostname: f.device } : null,
    metadata: { product: { name: 'fwaudit', vendor_name: 'fwaudit' }, version: '1.3.0', log_name: f.format },
    raw_data: null,
    unmapped: { file: f.file, line: f.line, end_reason: f.end_reason },
  });
}

export function schemaMapper(name: SchemaName): (f: Flow) => Record<string, unknown> {
  return name === 'ecs' ? toEcs : name === 'ocsf' ? toOcsf : toNative;
}
