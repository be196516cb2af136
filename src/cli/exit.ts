/** Exit codes (README "Exit codes"): owned by src/model/errors.ts, re-exported for the CLI. */
export { EXIT } from '../model/errors.js';
