/**
 * The one exit-status policy of the commands that read logs (parse, analyze, ingest, run, diagnose),
 * in this order:
 *   1. an input could not be read                       → 2 (EXIT.INPUT)
 *   2. `--strict` and some flow lines were malformed    → 2
 *   3. `--fail-on` reached (`violated`: a confirmed finding or a violated/intermittent requirement;
 *      `conditional`: conditional findings too; `probable`: probable ones too) → 1 (EXIT.FINDINGS)
 *   4. otherwise                                         → 0
 */
import { EXIT } from '../model/errors.js';
import type { FailOn, Finding, MatrixRow } from '../model/finding.js';
import { FAIL_ON_LEVELS, reachesFailOn } from '../matcher/failon.js';
import { malformedCount, type InputSummary } from '../pipeline/run.js';

export type { FailOn };
/** The `--fail-on` levels, strictest first (src/matcher/failon.ts says what each one counts). */
export const FAIL_ON = FAIL_ON_LEVELS;

export interface ExitVerdict {
  code: number;
  /** Why, for stderr (null when the code is 0 or the summaries already say it). */
  reason: string | null;
}

/** Exit code for a match result under `--fail-on`. */
export function failExitCode(r: { findings: Pick<Finding, 'confidence'>[]; requirements: Pick<MatrixRow, 'status'>[] }, failOn: FailOn): number {
  return reachesFailOn(r, failOn) ? EXIT.FINDINGS : EXIT.OK;
}

export function exitVerdict(p: {
  summaries: InputSummary[];
  strict?: boolean;
  result?: { findings: Pick<Finding, 'confidence'>[]; requirements: Pick<MatrixRow, 'status'>[] } | null;
  failOn?: FailOn;
}): ExitVerdict {
  const unreadable = p.summaries.filter((s) => s.error !== null).length;
  if (unreadable > 0) return { code: EXIT.INPUT, reason: `${unreadable} input${unreadable === 1 ? '' : 's'} could not be read` };
  const malformed = malformedCount(p.summaries);
  if (p.strict && malformed > 0) return { code: EXIT.INPUT, reason: `--strict: ${malformed} flow line${malformed === 1 ? '' : 's'} could not be read` };
  if (p.result && p.failOn) {
    const code = failExitCode(p.result, p.failOn);
    if (code !== EXIT.OK) return { code, reason: `--fail-on ${p.failOn}: reached` };
  }
  return { code: EXIT.OK, reason: null };
}
