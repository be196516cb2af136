/**
 * Ports of well-known services of other products or of the operating system. A *wide* requirement (a port
 * range of more than WIDE_RANGE ports: dynamic RPC, passive FTP, the 1024-65535 legacy ranges) does not claim
 * these on port alone: no probable, port-only or conditional finding (rulesets/README.md, precedence rule 4).
 * A denied RDP 3389 from an unlisted host is not eScan passive FTP.
 */
import type { PortIntervals } from '../model/ruleset.js';
import { inIntervals } from '../model/intervals.js';

/** A requirement covering more ports than this is a wide range. */
export const WIDE_RANGE = 64;

/** 0-1023 plus registered ports of common services (databases, remote access, directory, VPN, containers). */
export const WELL_KNOWN_PORTS: PortIntervals = [
  [0, 1023], [1080, 1080], [1194, 1194], [1433, 1434], [1521, 1521], [1701, 1701], [1723, 1723], [1812, 1813],
  [2049, 2049], [2375, 2376], [3268, 3269], [3306, 3306], [3389, 3389], [5060, 5061], [5353, 5353], [5355, 5355],
  [5432, 5432], [5900, 5903], [5985, 5986], [6379, 6379], [8080, 8080], [8443, 8443], [9200, 9200], [11211, 11211],
  [27017, 27017],
];

export function isWellKnownPort(port: number): boolean {
  return inIntervals(port, WELL_KNOWN_PORTS);
}
