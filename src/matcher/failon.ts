/**
 * `--fail-on` levels over a match result (the exit-status policy in src/app applies the code):
 * - violated: a confirmed finding, or a requirement row violated / intermittent;
 * - conditional: also a conditional finding (denied between the roles of a requirement that is off);
 * - probable: also a probable finding (one endpoint outside the inventory);
 * - none: never.
 */
import type { FailOn, Finding, MatrixRow } from '../model/finding.js';
import { isFailing } from '../model/status.js';

export type { FailOn };
export const FAIL_ON_LEVELS: readonly FailOn[] = ['violated', 'conditional', 'probable', 'none'];

export function reachesFailOn(r: { findings: Pick<Finding, 'confidence'>[]; requirements: Pick<MatrixRow, 'status'>[] }, level: FailOn): boolean {
  if (level === 'none') return false;
  const confs = level === 'violated' ? ['confirmed'] : level === 'conditional' ? ['confirmed', 'conditional'] : ['confirmed', 'conditional', 'probable'];
  return r.findings.some((f) => confs.includes(f.confidence)) || r.requirements.some((x) => isFailing(x.status));
}
