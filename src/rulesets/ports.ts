/**
 * Port specifications of requirements: 445, [135, 139], "49152-65535", "1072-1170", "${agent_port}",
 * ["${ftp_control_port}", "${passive_ports}"]. Parameters resolve from deployment params, else the
 * ruleset default. The result is a sorted list of merged closed intervals.
 */
import type { PortIntervals } from '../model/ruleset.js';
import { inIntervals } from '../model/intervals.js';

export class PortSpecError extends Error {}

export type ParamValues = Readonly<Record<string, number | string | boolean | undefined>>;

function parseAtom(atom: string | number, params: ParamValues, depth: number, out: PortIntervals): void {
  if (typeof atom === 'number') {
    checkPort(atom, String(atom));
    out.push([atom, atom]);
    return;
  }
  const s = atom.trim();
  const m = /^\$\{([A-Za-z0-9_.-]+)\}$/.exec(s);
  if (m) {
    if (depth > 5) throw new PortSpecError(`parameter reference loop at "${s}"`);
    const v = params[m[1]!];
    if (v === undefined || typeof v === 'boolean') throw new PortSpecError(`unknown or non-port parameter "${m[1]}"`);
    for (const part of String(v).split(',')) parseAtom(/^\d+$/.test(part.trim()) ? Number(part) : part, params, depth + 1, out);
    return;
  }
  const r = /^(\d+)\s*-\s*(\d+)$/.exec(s);
  if (r) {
    const lo = Number(r[1]), hi = Number(r[2]);
    checkPort(lo, s); checkPort(hi, s);
    if (lo > hi) throw new PortSpecError(`port range "${s}" runs backwards`);
    out.push([lo, hi]);
    return;
  }
  if (/^\d+$/.test(s)) { const n = Number(s); checkPort(n, s); out.push([n, n]); return; }
  if (s.includes(',')) { for (const p of s.split(',')) parseAtom(p, params, depth, out); return; }
  throw new PortSpecError(`cannot read port spec "${s}" (expected a port, a range a-b or \${parameter})`);
}

function checkPort(n: number, text: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new PortSpecError(`port ${text} is outside 0-65535`);
}

/** Resolves a spec to sorted, merged intervals. `null` (GRE, ICMP) → []. Throws PortSpecError. */
export function resolvePorts(spec: number | string | Array<number | string> | null | undefined, params: ParamValues = {}): PortIntervals {
  if (spec === null || spec === undefined) return [];
  const out: PortIntervals = [];
  for (const a of Array.isArray(spec) ? spec : [spec]) parseAtom(a, params, 0, out);
  out.sort((a, b) => a[0] - b[0]);
  const merged: PortIntervals = [];
  for (const iv of out) {
    const last = merged[merged.length - 1];
    if (last && iv[0] <= last[1] + 1) last[1] = Math.max(last[1], iv[1]);
    else merged.push([iv[0], iv[1]]);
  }
  return merged;
}

export function portInIntervals(port: number, ivs: PortIntervals): boolean {
  return inIntervals(port, ivs);
}

export function formatIntervals(ivs: PortIntervals): string {
  return ivs.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(', ');
}
