/**
 * Requirement statuses: one order and one definition of "failing", used by the matcher, the store,
 * the reports and the exit-status policy.
 */
import type { RequirementStatus } from './finding.js';

/** Every status, most serious first. */
export const STATUSES: readonly RequirementStatus[] = ['violated', 'intermittent', 'unobserved', 'ok'];

/** Sort rank of a status: violated < intermittent < unobserved < ok (unknown values last). */
export function statusRank(s: string): number {
  const i = (STATUSES as readonly string[]).indexOf(s);
  return i < 0 ? STATUSES.length : i;
}

/** Comparator for sorting by status, most serious first. */
export function compareStatus(a: string, b: string): number {
  return statusRank(a) - statusRank(b);
}

/** A requirement is failing when traffic it needs was denied: always (violated) or sometimes (intermittent). */
export function isFailing(s: string): boolean {
  return s === 'violated' || s === 'intermittent';
}

/** The failing statuses, for SQL `IN (…)` lists. */
export const FAILING_STATUSES: readonly RequirementStatus[] = ['violated', 'intermittent'];
