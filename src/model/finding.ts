/** What the matcher produces; consumed by the terminal/JSON output, the store and the reports. */
export type Confidence = 'confirmed' | 'conditional' | 'probable' | 'port-only';
/** `--fail-on` levels (src/matcher/failon.ts, applied by src/app/exit-policy.ts): violated ⊂ conditional ⊂ probable. */
export type FailOn = 'violated' | 'conditional' | 'probable' | 'none';

/** The other endpoints of a grouped finding (sources of an inbound requirement, destinations of an outbound one). */
export interface FindingHosts {
  count: number;
  /** Up to 10 addresses in numeric order. */
  first: string[];
  /** The addresses merged into CIDRs (at most 16; `more_cidrs` counts the rest). */
  cidrs: string[];
  more_cidrs?: number;
  /** Which end of the flow the hosts are: 'src' (grouped per destination) or 'dst' (outbound, grouped per source). */
  side: 'src' | 'dst';
}

/** A suggested opening in the language of the device that denied (review before use; never applied). */
export interface Remediation {
  /** panos | iptables | nftables | powershell | netsh */
  dialect: string;
  /** The device and the rule that blocked, in words. */
  device: string;
  /** The commands, one per line. */
  text: string;
}
export type RequirementStatus = 'violated' | 'intermittent' | 'ok' | 'unobserved';

export interface EvidenceRef { file: string; line: number }

export interface Finding {
  product: string;
  requirement: string;
  confidence: Confidence;
  transport: string;
  src_ip: string;
  dst_ip: string;
  dst_port: number | null;
  /** Roles the endpoints hold (inventory), or inferred roles for port-only findings. */
  src_role: string | null;
  dst_role: string | null;
  /** Destination hostname for hostname requirements (update sites), when known. */
  dst_host?: string | null;
  count: number;
  first_seen: string | null;  // ISO
  last_seen: string | null;
  devices: string[];
  rules: string[];
  symptom: string | null;
  purpose: string;
  source: string;             // "document § section"
  evidence: EvidenceRef[];    // up to 5
  /** Display name of the product (ruleset `product`). */
  product_name?: string;
  necessity?: string;
  /** The requirement's ports after parameters, e.g. "1072" or "49152-65535". */
  ports?: string;
  /** For wide-range requirements (dynamic RPC): the destination ports seen (capped); dst_port is the lowest. */
  dst_ports?: number[];
  /** Suggested opening, e.g. "TCP 11117 from 10.40.0.0/24 to 10.10.0.11" (confirmed/probable). */
  open?: string;
  /** Port-only findings: every product/requirement the port matches ("escan/agent-push", …). */
  candidates?: string[];
  /** Log formats and directions of the denied flows (which device language the remediation is in). */
  formats?: string[];
  directions?: string[];
  /** Grouped findings (default view): the affected hosts; src_ip/dst_ip hold the first of them. */
  hosts?: FindingHosts;
  /** Conditional findings: the requirement's condition, the parameter that would turn it on, and a sentence. */
  condition?: string | null;
  parameter?: { name: string; value: number | string | boolean | null; suggestion: string };
  note?: string;
  /** Conditional findings: other off requirements of the same role pair that the port also fits. */
  alternatives?: Array<{ requirement: string; condition: string | null; parameter: string | null; suggestion: string | null }>;
  /** Conditional findings on a version parameter: the vendor's "Version mismatch" symptom. */
  mismatch?: string;
  /** Suggested openings in the device's own language (PAN-OS, iptables, nftables, Windows). */
  remediation?: Remediation[];
}

export interface MatrixRow {
  product: string;
  requirement: string;
  necessity: string;
  status: RequirementStatus;
  allows: number;
  denies: number;
  first_seen: string | null;
  last_seen: string | null;
  purpose: string;
  source: string;
  /** Requirements with a check-in window ("10:00-17:00" local): whether the logs cover part of it. */
  window?: string;
  window_covered?: boolean;
}
