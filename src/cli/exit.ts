/** Exit codes (README "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** `--fail-on` found something at or above the level. */
  FINDINGS: 1,
  /** An input could not be read (missing, unreadable, truncated, unrecognised), bad configuration, or --strict. */
  INPUT: 2,
  /** Wrong usage: unknown option or bad option value (same code as unusable input, as most tools do). */
  USAGE: 2,
  /** A bug in fwaudit. */
  INTERNAL: 70,
} as const;
