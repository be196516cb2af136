/** What the matcher produces; consumed by the terminal/JSON output, the store and the reports. */
export type Confidence = 'confirmed' | 'probable' | 'port-only';
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
}
