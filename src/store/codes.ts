/**
 * The codes of the narrow flow table (schema v4) and the SQL that turns them back into text. No imports: the
 * report model (loaded by the configuration reader of every command) uses these without loading DuckDB.
 */
export const ACTION_CODES = { unknown: 0, deny: 1, allow: 2 } as const;
export const DIRECTION_CODES = { inbound: 1, outbound: 2, forward: 3 } as const;

export const ACTION_TEXT = (col: string) => `CASE ${col} WHEN 1 THEN 'deny' WHEN 2 THEN 'allow' ELSE 'unknown' END`;
export const DIRECTION_TEXT = (col: string) => `CASE ${col} WHEN 1 THEN 'inbound' WHEN 2 THEN 'outbound' WHEN 3 THEN 'forward' END`;
