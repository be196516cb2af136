/**
 * `--fail-on` levels over a match result (the exit-status policy in src/app applies the code):
 * - violated: a confirmed finding, or a requirement row violated / intermittent;
 * - probable: also a probable finding (one endpoint outside the inventory);
 * - conditional: also a conditional finding (denied between the roles of a requirement that is off);
 * - none: never.
 */
import type { FailOn, Finding, MatrixRow } from '../model/finding.js';
import { isFailing } from '../model/status.js';

export type { FailOn };
export const FAIL_ON_LEVELS: readonly FailOn[] = ['violated', 'probable', 'conditional', 'none'];

export function reachesFailOn(r: { findings: Pick<Finding, 'confidence'>[]; requirements: Pick<MatrixRow, 'status'>[] }, level: FailOn): boolean {
  if (level === 'none') return false;
  const confs = level === 'violated' ? ['confirmed'] : level === 'probable' ? ['confirmed', 'probable'] : ['confirmed', 'probable', 'conditional'];
  return r.findings.some((f) => confs.includes(f.confidence)) || r.requirements.some((x) => isFailing(x.status));
}
