/**
 * A generated inventory for one built-in ruleset: one /24 per role (10.<100+rsIdx>.<role index+1>.0/24) and
 * every hostname a requirement names resolved to its own 198.51.100.x address. Used by the per-vendor-document
 * matcher tests (matcher-vendor, matcher-precedence).
 */
import { parseInventory, type Inventory } from '../../src/inventory/load.js';
import type { Requirement, Ruleset } from '../../src/model/ruleset.js';

export interface GeneratedInventory {
  inv: Inventory;
  /** `10.<100+rsIdx>.<role index+1>` — the role's /24 without its last octet. */
  block: (role: string) => string;
  hostIp: (req: Requirement) => string;
}

export function generatedInventory(rs: Ruleset, rsIdx: number, params?: Record<string, unknown>): GeneratedInventory {
  const roles = Object.keys(rs.roles);
  const lines = ['hosts:'];
  const hostIps = new Map<string, string>();
  let h = 1;
  for (const req of rs.requirements) {
    if (!req.hosts) continue;
    const ip = `198.51.100.${h++}`;
    hostIps.set(req.id, ip);
    for (const pat of req.hosts) lines.push(`  ${pat.replace(/\*/g, 'a')}: [${ip}]`);
  }
  if (lines.length === 1) lines.push('  none.example.com: [192.0.2.1]');
  lines.push('deployments:', `  - product: ${rs.id}`);
  if (params) lines.push(`    params: ${JSON.stringify(params)}`);
  lines.push('    roles:');
  roles.forEach((r, i) => lines.push(`      ${r}: [10.${100 + rsIdx}.${i + 1}.0/24]`));
  const inv = parseInventory(lines.join('\n'), `${rs.id}-generated.yaml`, [rs]);
  return { inv, block: (role) => `10.${100 + rsIdx}.${roles.indexOf(role) + 1}`, hostIp: (req) => hostIps.get(req.id)! };
}
