/**
 * The few things the three engines spell differently. Everything else in the generated SQL is common
 * ANSI-ish SQL that DuckDB, Spark SQL (3.3+) and Trino all accept.
 */
export type DialectName = 'duckdb' | 'spark' | 'trino';
export const DIALECTS: readonly DialectName[] = ['duckdb', 'spark', 'trino'];

export interface Dialect {
  name: DialectName;
  /** A string literal. */
  str(s: string): string;
  /** A quoted identifier (output column names). */
  ident(s: string): string;
  varchar: string;
  /** Boolean: does `expr` contain a match of the regular expression (partial match; anchor with ^ $). */
  regexFind(expr: string, re: string): string;
  /** "0:0:…:0" with n zeros (n ≥ 1). */
  zeroGroups(n: string): string;
  /** ISO-8601 UTC with milliseconds and Z, from a TIMESTAMP (UTC) column. */
  isoTs(expr: string): string;
  /** An orderable (file, line) value: min/max and ORDER BY sort it by file, then line. */
  pos(file: string, line: string): string;
  /** A sorted array aggregate of `expr` over the rows where `cond` holds; empty array when none. */
  sortedList(expr: string, cond: string, elemType: string): string;
  /** Evidence: an array of {file, line} sorted by file, line, over the rows where `cond` holds. */
  evidenceList(file: string, line: string, cond: string): string;
  intType: string;
  /** `expr` of the rows joined with `sep` in `ord` order (a string aggregate). */
  stringAgg(expr: string, ord: string, sep: string): string;
}

const ansiStr = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const sparkStr = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;

export function dialect(name: DialectName): Dialect {
  switch (name) {
    case 'duckdb': return {
      name,
      str: ansiStr,
      ident: (s) => `"${s.replace(/"/g, '""')}"`,
      varchar: 'VARCHAR',
      intType: 'INTEGER',
      regexFind: (e, re) => `regexp_matches(${e}, ${ansiStr(re)})`,
      zeroGroups: (n) => `substr(repeat('0:', ${n}), 1, 2 * (${n}) - 1)`,
      isoTs: (e) => `strftime(${e}, '%Y-%m-%dT%H:%M:%S.%gZ')`,
      pos: (f, l) => `struct_pack(file := ${f}, line := ${l})`,
      sortedList: (e, c, t) => `COALESCE(list(${e} ORDER BY ${e}) FILTER (WHERE ${c}), CAST([] AS ${t}[]))`,
      stringAgg: (e, o, sep) => `string_agg(${e}, ${ansiStr(sep)} ORDER BY ${o})`,
      evidenceList: (f, l, c) => `COALESCE(list(struct_pack(file := ${f}, line := ${l}) ORDER BY ${f}, ${l}) FILTER (WHERE ${c}), CAST([] AS STRUCT(file VARCHAR, line INTEGER)[]))`,
    };
    case 'spark': return {
      name,
      // Spark SQL string literals take backslash escapes (and two adjacent literals concatenate, so '' is no escape).
      str: sparkStr,
      ident: (s) => `\`${s.replace(/`/g, '``')}\``,
      varchar: 'STRING',
      intType: 'INT',
      regexFind: (e, re) => `(${e} RLIKE '${re.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}')`,
      zeroGroups: (n) => `substr(repeat('0:', ${n}), 1, 2 * (${n}) - 1)`,
      isoTs: (e) => `date_format(${e}, 'yyyy-MM-dd\\'T\\'HH:mm:ss.SSS\\'Z\\'')`,
      pos: (f, l) => `named_struct('file', ${f}, 'line', ${l})`,
      sortedList: (e, c) => `array_sort(collect_list(CASE WHEN ${c} THEN ${e} END))`,
      stringAgg: (e, o, sep) => `array_join(transform(array_sort(collect_list(named_struct('o', ${o}, 't', ${e}))), x -> x.t), ${sparkStr(sep)})`,
      evidenceList: (f, l, c) => `array_sort(collect_list(CASE WHEN ${c} THEN named_struct('file', ${f}, 'line', ${l}) END))`,
    };
    case 'trino': return {
      name,
      str: ansiStr,
      ident: (s) => `"${s.replace(/"/g, '""')}"`,
      varchar: 'VARCHAR',
      intType: 'INTEGER',
      regexFind: (e, re) => `regexp_like(${e}, ${ansiStr(re)})`,
      zeroGroups: (n) => `array_join(repeat('0', ${n}), ':')`,
      isoTs: (e) => `format_datetime(${e}, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')`,
      pos: (f, l) => `CAST(ROW(${f}, ${l}) AS ROW(file VARCHAR, line INTEGER))`,
      sortedList: (e, c, t) => `COALESCE(array_agg(${e} ORDER BY ${e}) FILTER (WHERE ${c}), CAST(ARRAY[] AS ARRAY(${t})))`,
      stringAgg: (e, o, sep) => `array_join(array_agg(${e} ORDER BY ${o}), ${ansiStr(sep)})`,
      evidenceList: (f, l, c) => `COALESCE(array_agg(CAST(ROW(${f}, ${l}) AS ROW(file VARCHAR, line INTEGER)) ORDER BY ${f}, ${l}) FILTER (WHERE ${c}), CAST(ARRAY[] AS ARRAY(ROW(file VARCHAR, line INTEGER))))`,
    };
  }
}
