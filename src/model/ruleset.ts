/**
 * Product network requirements as loaded from rulesets/*.yaml (validated by src/rulesets/schema.ts).
 */
export type Transport = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'gre' | 'esp' | 'ah' | string;
export type Necessity = 'required' | 'optional' | 'conditional';

/** A port spec after parameters are resolved: sorted, merged closed intervals. */
export type PortIntervals = Array<[number, number]>;

export interface SourceRef {
  document: string;   // file name under shared/vendor-docs (or the user's document)
  section: string;    // heading / table the statement comes from
  quote?: string;     // the words of the document, where useful
}

/** Kind of value a parameter holds (optional in the data; inferred from the default when absent). */
export type ParameterType = 'port' | 'ports' | 'number' | 'boolean' | 'string';

export interface ParameterDef {
  id: string;
  description: string;
  /** number, port list/range text ("1072-1170"), string (version), or boolean (feature switch). */
  default: number | string | boolean;
  type?: ParameterType;
  source?: SourceRef;
}

/** A vendor document a ruleset was written from. */
export interface DocumentRef {
  file: string;
  title: string;
  version?: string;
  url?: string;
}

export interface Requirement {
  id: string;
  /** Role that opens the connection. */
  from: string;
  /** Role that accepts it (or 'internet'); absent when `hosts` names the destination. */
  to?: string;
  /** Destination hostnames (wildcards `*.example.com` allowed). */
  hosts?: string[];
  transport: Transport;
  /** Raw spec as written in the data: 445, [135, 139], "49152-65535", "${agent_port}". null for GRE/ICMP. */
  ports: number | string | Array<number | string> | null;
  purpose: string;
  symptom?: string;
  necessity: Necessity;
  /** Human text of the condition (e.g. "LanGuard version 11 and earlier", "target runs Windows 2003"). */
  condition?: string;
  /** Machine-checkable condition against deployment params, e.g. { param: 'version', lte: 11 }. */
  when?: Record<string, unknown>;
  /** Local-only ports need no firewall opening: a deny there is never a violation. */
  local_only?: boolean;
  /** Time window (local) in which the flow is expected, e.g. "10:00-17:00". */
  window?: string;
  /** Notes on ambiguity in the source and the reading chosen. */
  ambiguity?: string;
  source: SourceRef;
}

export interface Ruleset {
  id: string;
  product: string;
  version?: string;
  description?: string;
  /** The documents the requirements cite (SourceRef.document names one of these files). */
  documents?: DocumentRef[];
  roles: Record<string, string>;   // role id → description
  parameters: ParameterDef[];
  requirements: Requirement[];
  /** Symptom catalogue for `fwaudit diagnose --symptom`. */
  symptoms?: Array<{ id: string; text: string; requirements: string[]; advice?: string }>;
  file: string;
}
