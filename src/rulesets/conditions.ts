/**
 * Parameters and `when` conditions of rulesets: shared by the loader, the matcher (requirements/index.ts,
 * also loaded in every worker thread: so no YAML or schema code here) and `rulesets show`.
 */
import type { Requirement, Ruleset } from '../model/ruleset.js';
import type { ParamValues } from './ports.js';

// ---------------------------------------------------------------------------------------------------
// Parameters and conditions (shared with the matcher and `rulesets show`)

/** Parameter values of a ruleset: defaults, overridden by `overrides` (deployment params). */
export function paramValues(rs: Ruleset, overrides: ParamValues = {}): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const p of rs.parameters) out[p.id] = p.default;
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) out[k] = v;
  return out;
}

function compareValues(a: unknown, b: unknown): number | null {
  const va = versionParts(a), vb = versionParts(b);
  if (va && vb) {
    for (let i = 0; i < Math.max(va.length, vb.length); i++) {
      const d = (va[i] ?? 0) - (vb[i] ?? 0);
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    return 0;
  }
  return null;
}

function versionParts(v: unknown): number[] | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v).split('.').map(Number);
  if (typeof v === 'string' && /^\d+(\.\d+)*$/.test(v.trim())) return v.trim().split('.').map(Number);
  return null;
}

function equalValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const c = compareValues(a, b);
  if (c !== null) return c === 0;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a).toLowerCase() === String(b).toLowerCase();
  return false;
}

/**
 * Decides a `when` condition against parameter values. Versions compare segment by segment
 * ("11.0.1139" < 12). A missing or non-comparable value makes an ordering condition false.
 */
export function evaluateWhen(when: Record<string, unknown> | undefined, params: ParamValues): boolean {
  if (!when) return true;
  const v = params[String(when['param'])];
  if ('eq' in when) return equalValues(v, when['eq']);
  if ('ne' in when) return !equalValues(v, when['ne']);
  if ('in' in when) return Array.isArray(when['in']) && when['in'].some((x) => equalValues(v, x));
  for (const op of ['lt', 'lte', 'gt', 'gte'] as const) {
    if (!(op in when)) continue;
    const c = compareValues(v, when[op]);
    if (c === null) return false;
    return op === 'lt' ? c < 0 : op === 'lte' ? c <= 0 : op === 'gt' ? c > 0 : c >= 0;
  }
  return false;
}

/** Whether a requirement applies under these parameter values (required → always). */
export function requirementApplies(req: Requirement, params: ParamValues): boolean {
  return evaluateWhen(req.when, params);
}
