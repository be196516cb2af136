/**
 * The matcher as ONE SQL statement (docs/sql-matcher.md). The compiled model (src/sql/compile.ts) is
 * carried as inline tables; the statement reads the flow table (Parquet in the fwaudit flow schema) and
 * returns either the findings or the compliance matrix with `analyze --json`'s field names and values.
 *
 * Plan (the same decisions as src/matcher/matcher.ts, taken once per distinct flow key instead of per flow):
 * 1. flows: allow/deny flows on a requirement transport, with both addresses.
 * 2. flow_keys: distinct (transport, dst_port, src_ip, dst_ip): every decision of the matcher depends
 *    only on these four values, so the expensive part runs on far fewer rows than there are flows.
 * 3. cand: keys × requirement entries whose transport and owned port intervals cover the key (one owner per
 *    port within a role pair, from the compiled requirement index).
 * 4. addresses → integers (IPv4 as BIGINT, IPv6 as 32-digit hex), public or not, and their role keys.
 * 5. per candidate: src holds `from`, dst holds `to` (or resolves to one of the hostnames: static hosts
 *    map + host names URL logs carry for that address) → confirmed; the matcher's probable rules when no
 *    entry of the deployment is confirmed for the key (not on well-known ports of wide ranges).
 * 6. flows ⋈ matches → matrix counts (every match) and findings (denied) per requirement and host pair.
 * Stream-order details (first 5 evidence lines, first 10 devices/rules/ports) are decided by (file, line).
 */
import { compileModel, KEY_ANY, KEY_INTERNET, WELL_KNOWN_PORTS, type SqlModel } from './compile.js';
import { dialect as getDialect, type Dialect, type DialectName } from './dialect.js';
import type { Inventory } from '../inventory/load.js';
import { UsageError } from '../model/errors.js';

export type SqlOutput = 'findings' | 'matrix';

export interface GenerateOptions {
  dialect: DialectName;
  output: SqlOutput;
  /** A table/view name (`flows`, `hive.fwaudit.flows`) or a Parquet path/glob (DuckDB, Spark). */
  flows: string;
  /**
   * Read the model tables (requirements, ports, role ranges, …) from DIR/NAME.parquet instead of inline
   * VALUES (`fwaudit sql --tables DIR` writes them): a small side input Spark broadcasts.
   */
  tables?: string;
}

const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$/;

/** The FROM source for the flows. */
export function flowSource(d: Dialect, flows: string): string {
  if (TABLE_RE.test(flows) && !/\.parquet$/i.test(flows)) return flows;
  if (/[\0-\x1f]/.test(flows)) throw new UsageError('--flows: the path contains control characters');
  if (d.name === 'trino') throw new UsageError('--flows: Trino reads tables, not paths; give the table name (e.g. hive.fwaudit.flows)');
  if (d.name === 'spark') {
    if (flows.includes('`')) throw new UsageError('--flows: the path contains a backtick');
    return `parquet.\`${flows}\``;
  }
  const glob = /[*?[]/.test(flows) || /\.parquet$/i.test(flows) ? flows : `${flows.replace(/\/+$/, '')}/**/*.parquet`;
  return `read_parquet(${d.str(glob)}, hive_partitioning = true, union_by_name = true)`;
}

interface Col { name: string; type: 'int' | 'str' }

function inlineTable(d: Dialect, cols: Col[], rows: Array<Array<string | number | null>>): string {
  const typ = (c: Col) => (c.type === 'int' ? 'BIGINT' : d.varchar);
  if (rows.length === 0) {
    return `SELECT ${cols.map((c) => `CAST(NULL AS ${typ(c)}) AS ${c.name}`).join(', ')} WHERE 1 = 0`;
  }
  const lit = (v: string | number | null, c: Col) =>
    v === null ? `CAST(NULL AS ${typ(c)})` : c.type === 'int' ? `CAST(${v} AS BIGINT)` : d.str(String(v));
  const body = rows.map((r) => `    (${r.map((v, i) => lit(v, cols[i]!)).join(', ')})`).join(',\n');
  return `SELECT * FROM (VALUES\n${body}\n  ) AS t(${cols.map((c) => c.name).join(', ')})`;
}

const I = (name: string): Col => ({ name, type: 'int' });
const S = (name: string): Col => ({ name, type: 'str' });

/** isPublicIpv4 (src/model/ip.ts) as integer ranges that are NOT public. */
const V4_NOT_PUBLIC: Array<[number, number]> = [
  [0, 0x00ffffff], [0x0a000000, 0x0affffff], [0x64400000, 0x647fffff], [0x7f000000, 0x7fffffff],
  [0xa9fe0000, 0xa9feffff], [0xac100000, 0xac1fffff], [0xc0a80000, 0xc0a8ffff], [0xe0000000, 0xffffffff],
];

/** The compiled model as named queries over inline VALUES (one per model table, in statement order). */
export function modelTableQueries(d: Dialect, m: SqlModel): Array<[string, string]> {
  const entries = inlineTable(d,
    [I('eid'), I('dep'), S('product'), S('product_name'), S('requirement'), S('necessity'), S('transport'), S('from_role'), S('to_role'),
      I('from_key'), I('to_key'), I('has_hosts'), I('any_port'), I('span'), I('wide'), S('port_text'), S('symptom'), S('purpose'),
      S('source'), S('open_prefix'), S('from_scope'), S('to_scope'), I('active'), S('cond_text'), S('param_name'), S('param_value'),
      S('suggestion'), S('mismatch'), S('note_pre'), S('note_mid'), S('note_post')],
    m.entries.map((e) => [e.eid, e.dep, e.product, e.productName, e.requirement, e.necessity, e.transport, e.fromRole, e.toRole,
      e.fromKey, e.toKey, e.hasHosts ? 1 : 0, e.anyPort ? 1 : 0, e.span, e.wide ? 1 : 0, e.portText, e.symptom, e.purpose,
      e.source, e.openPrefix, e.fromScope, e.toScope, e.active ? 1 : 0, e.condition, e.paramName, e.paramValue,
      e.suggestion, e.mismatch, e.notePre, e.noteMid, e.notePost]));
  const ports = inlineTable(d, [I('eid'), S('transport'), I('port_lo'), I('port_hi')],
    m.entries.flatMap((e) => e.ports.map(([lo, hi]) => [e.eid, e.transport, lo, hi])));
  const r4 = inlineTable(d, [I('role_key'), I('b'), I('lo'), I('hi')], m.roles4.map((r) => [r.key, r.b, r.lo, r.hi]));
  const r6 = inlineTable(d, [I('role_key'), S('b'), S('lo'), S('hi')], m.roles6.map((r) => [r.key, r.b, r.lo, r.hi]));
  const alts = inlineTable(d, [I('eid'), I('ord'), I('port_lo'), I('port_hi'), S('alt_json'), S('alt_text')],
    m.alternatives.map((a) => [a.eid, a.ord, a.lo, a.hi, a.json, a.text]));
  const hp = inlineTable(d, [I('eid'), S('exact'), S('like_pat')], m.hostPatterns.map((h) => [h.eid, h.exact, h.like]));
  const sr = inlineTable(d, [I('eid'), S('ip')], m.staticResolved.map((s) => [s.eid, s.ip]));
  const sn = inlineTable(d, [S('ip'), S('name')], m.staticNames.map((s) => [s.ip, s.name]));
  const rows = inlineTable(d, [I('row_no'), S('product'), S('requirement'), S('necessity'), S('purpose'), S('source')],
    m.rows.map((r, i) => [i, r.product, r.requirement, r.necessity, r.purpose, r.source]));
  return [
    ['entries', entries], ['entry_ports', ports], ['role_v4', r4], ['role_v6', r6], ['alternatives', alts],
    ['host_patterns', hp], ['static_resolved', sr], ['static_names', sn], ['matrix_rows', rows],
  ];
}

/** Generates the statement. */
export function generateSql(inventory: Inventory, o: GenerateOptions): string {
  const d = getDialect(o.dialect);
  const m = compileModel(inventory);
  const src = flowSource(d, o.flows);
  const q = (s: string) => d.ident(s);
  const transports = m.transports.length ? m.transports.map((t) => d.str(t)).join(', ') : d.str('');
  const split4 = (i: number) => `CAST(split_part(ip, '.', ${i}) AS BIGINT)`;
  const hexGroups = Array.from({ length: 8 }, (_, i) => `lpad(split_part(full6, ':', ${i + 1}), 4, '0')`).join(' || ');
  const notPublic4 = V4_NOT_PUBLIC.map(([lo, hi]) => `n4 BETWEEN ${lo} AND ${hi}`).join(' OR ');
  const normHost = `CASE WHEN h0 LIKE '[%' THEN h0 ELSE regexp_replace(regexp_replace(h0, ':[0-9]+$', ''), '[.]$', '') END`;
  const hostMatch = `(s.h = p.exact OR (p.like_pat IS NOT NULL AND s.h LIKE p.like_pat ESCAPE '!' AND NOT ${d.regexFind('s.h', '[^a-z0-9_.-]')}))`;
  const wellKnown = WELL_KNOWN_PORTS.map(([lo, hi]) => (lo === hi ? `c.dport = ${lo}` : `c.dport BETWEEN ${lo} AND ${hi}`)).join(' OR ');
  const gkCols = ['eid', 'confidence', 'src_ip', 'dst_ip', 'transport', 'gport'];
  const gk = gkCols.join(', ');
  const gkOf = (a: string) => gkCols.map((c) => `${a}.${c}`).join(', ');
  const gkOn = (a: string, b: string) => gkCols.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  const keyCols = ['transport', 'dport', 'src_ip', 'dst_ip'];
  const keyOn = (a: string, b: string) => keyCols.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  const model: string[] = modelTableQueries(d, m).map(([name, inline]) =>
    `${name} AS (\n  ${o.tables ? `SELECT * FROM ${modelTableSource(d, o.tables, name)}` : inline}\n)`);
  const ctes: string[] = [
    ...model,
    `fw_raw AS (\n  SELECT ts, action, transport, src_ip, dst_ip, dst_port, device, rule, host, format, direction, file, line\n  FROM ${src}\n)`,
    `fw_flows AS (
  SELECT ts, action, transport, src_ip, dst_ip, COALESCE(CAST(dst_port AS BIGINT), -1) AS dport,
         -- a pfirewall.log names no device: the firewall that decided is the Windows host's own (as the matcher says)
         COALESCE(device, CASE WHEN format = 'winfw' THEN 'Windows Firewall of ' || CASE WHEN direction = 'outbound' THEN src_ip ELSE dst_ip END END) AS device,
         rule, file, line
  FROM fw_raw
  WHERE action IN ('allow', 'deny') AND transport IN (${transports}) AND src_ip IS NOT NULL AND dst_ip IS NOT NULL
)`,
    // The flows aggregated once: every later step works on these rows (far fewer than the flows).
    `fw_agg AS (
  SELECT transport, dport, src_ip, dst_ip, action, device, rule, COUNT(*) AS n, MIN(ts) AS t0, MAX(ts) AS t1, MIN(${d.pos('file', 'line')}) AS p
  FROM fw_flows GROUP BY transport, dport, src_ip, dst_ip, action, device, rule
)`,
    `flow_keys AS (SELECT DISTINCT transport, dport, src_ip, dst_ip FROM fw_agg)`,
    `cand AS (
  SELECT k.transport, k.dport, k.src_ip, k.dst_ip, p.eid
  FROM flow_keys k JOIN entry_ports p ON p.transport = k.transport AND k.dport BETWEEN p.port_lo AND p.port_hi
  UNION ALL
  SELECT k.transport, k.dport, k.src_ip, k.dst_ip, e.eid
  FROM flow_keys k JOIN entries e ON e.transport = k.transport AND e.any_port = 1
)`,
    `addrs AS (SELECT src_ip AS ip FROM cand UNION SELECT dst_ip AS ip FROM cand)`,
    // Address text → numbers. IPv4: dotted quad, each part ≤ 255. IPv6: hex groups with at most one "::"
    // (fwaudit writes RFC 5952 text; zone ids and dotted tails are not matched), as 32 hex digits.
    `a1 AS (
  SELECT ip, lower(ip) AS s,
         ${d.regexFind('ip', '^[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}$')} AS is4,
         (ip LIKE '%:%' AND ${d.regexFind('lower(ip)', '^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}$')}) AS is6
  FROM addrs
)`,
    `a2 AS (
  SELECT ip, s, (s LIKE '%::%') AS dc,
         CASE WHEN is4 THEN ${split4(1)} END AS o1, CASE WHEN is4 THEN ${split4(2)} END AS o2,
         CASE WHEN is4 THEN ${split4(3)} END AS o3, CASE WHEN is4 THEN ${split4(4)} END AS o4,
         CASE WHEN is6 AND s LIKE '%::%' THEN split_part(s, '::', 1) WHEN is6 THEN s END AS l6,
         CASE WHEN is6 AND s LIKE '%::%' THEN split_part(s, '::', 2) WHEN is6 THEN '' END AS r6
  FROM a1
)`,
    `a3 AS (
  SELECT ip, s, dc, l6, r6,
         CASE WHEN o1 <= 255 AND o2 <= 255 AND o3 <= 255 AND o4 <= 255 THEN o1 * 16777216 + o2 * 65536 + o3 * 256 + o4 END AS n4,
         CASE WHEN o1 <= 255 AND o2 <= 255 AND o3 <= 255 AND o4 <= 255 THEN o1 * 256 + o2 END AS b4,
         CASE WHEN l6 = '' THEN 0 ELSE length(l6) - length(replace(l6, ':', '')) + 1 END AS nl,
         CASE WHEN r6 = '' THEN 0 ELSE length(r6) - length(replace(r6, ':', '')) + 1 END AS nr
  FROM a2
)`,
    `a4 AS (
  SELECT ip, n4, b4,
         CASE WHEN l6 IS NULL THEN NULL
              WHEN dc AND s NOT LIKE '%::%::%' AND s NOT LIKE '%:::%' AND nl + nr <= 7 AND l6 NOT LIKE ':%' AND r6 NOT LIKE '%:'
                THEN concat_ws(':', nullif(l6, ''), ${d.zeroGroups('8 - nl - nr')}, nullif(r6, ''))
              WHEN NOT dc AND nl = 8 AND s NOT LIKE ':%' AND s NOT LIKE '%:' THEN s END AS full6
  FROM a3
)`,
    `a5 AS (SELECT ip, n4, b4, CASE WHEN full6 IS NOT NULL THEN ${hexGroups} END AS h6 FROM a4)`,
    // Ranges are split per /16 (role_v4.b, role_v6.b): an equi-join on the /16, then the range check.
    `addr_role AS (
  SELECT a.ip, r.role_key FROM a5 a JOIN role_v4 r ON r.b = a.b4 AND a.n4 BETWEEN r.lo AND r.hi
  UNION ALL
  SELECT a.ip, r.role_key FROM a5 a JOIN role_v6 r ON r.b = substr(a.h6, 1, 4) AND a.h6 BETWEEN r.lo AND r.hi
)`,
    `addr_info AS (
  SELECT a.ip,
         CASE WHEN a.n4 IS NOT NULL THEN NOT (${notPublic4.replace(/n4/g, 'a.n4')})
              ELSE substr(a.h6, 1, 1) IN ('2', '3') AND a.h6 NOT LIKE '20010db8%' END AS pub,
         COALESCE(r.n, 0) AS n_roles
  FROM a5 a LEFT JOIN (SELECT ip, COUNT(*) AS n FROM addr_role GROUP BY ip) r ON r.ip = a.ip
  WHERE a.n4 IS NOT NULL OR a.h6 IS NOT NULL
)`,
    // Host names from URL logs (any flow with a host and a destination), normalised like the matcher.
    `host_seen AS (
  SELECT ${normHost} AS h, dst_ip, MAX(${d.pos('file', 'line')}) AS p
  FROM (SELECT lower(trim(host)) AS h0, dst_ip, file, line FROM fw_raw WHERE host IS NOT NULL AND dst_ip IS NOT NULL) x
  GROUP BY ${normHost}, dst_ip
)`,
    `host_hits AS (SELECT DISTINCT p.eid, s.h, s.dst_ip, s.p FROM host_seen s JOIN host_patterns p ON ${hostMatch})`,
    `resolved AS (SELECT eid, ip FROM static_resolved UNION SELECT eid, dst_ip AS ip FROM host_hits)`,
    `learned_names AS (
  SELECT dst_ip AS ip, h AS name, ROW_NUMBER() OVER (PARTITION BY dst_ip ORDER BY p DESC) AS rk
  FROM (SELECT DISTINCT h, dst_ip, p FROM host_hits) x
)`,
    `host_names AS (
  SELECT COALESCE(l.ip, s.ip) AS ip, COALESCE(l.name, s.name) AS name
  FROM (SELECT ip, name FROM learned_names WHERE rk = 1) l FULL OUTER JOIN static_names s ON s.ip = l.ip
)`,
    `cm AS (
  SELECT c.transport, c.dport, c.src_ip, c.dst_ip, e.eid, e.dep, e.active, e.from_role, e.to_role,
         e.span, e.wide, e.has_hosts, e.from_key, e.to_key, s.pub AS s_pub, s.n_roles AS s_n, d.pub AS d_pub, d.n_roles AS d_n,
         CASE WHEN e.from_key >= 0 THEN sr.role_key IS NOT NULL WHEN e.from_key = ${KEY_INTERNET} THEN s.pub
              WHEN e.from_key = ${KEY_ANY} THEN TRUE ELSE FALSE END AS src_from,
         CASE WHEN e.has_hosts = 1 THEN (rv.eid IS NOT NULL OR dr.role_key IS NOT NULL)
              WHEN e.to_key >= 0 THEN dr.role_key IS NOT NULL WHEN e.to_key = ${KEY_INTERNET} THEN d.pub
              WHEN e.to_key = ${KEY_ANY} THEN TRUE ELSE FALSE END AS dst_to,
         (${wellKnown}) AS well_known
  FROM cand c
  JOIN entries e ON e.eid = c.eid
  JOIN addr_info s ON s.ip = c.src_ip
  JOIN addr_info d ON d.ip = c.dst_ip
  LEFT JOIN addr_role sr ON sr.ip = c.src_ip AND sr.role_key = e.from_key
  LEFT JOIN addr_role dr ON dr.ip = c.dst_ip AND dr.role_key = e.to_key
  LEFT JOIN resolved rv ON rv.eid = c.eid AND rv.ip = c.dst_ip
)`,
    // The index's classify: confirmed (on), conditional (off, both roles, not a well-known port of a wide
    // range), probable (on, one endpoint holds its role, the other is a private address in no role).
    `cls AS (
  SELECT cm.*, (active = 1 AND src_from AND dst_to) AS conf,
         (active = 0 AND src_from AND dst_to AND NOT (wide = 1 AND well_known)) AS cond,
         (active = 1 AND has_hosts = 0 AND NOT (wide = 1 AND well_known) AND src_from AND d_n = 0 AND NOT d_pub
           AND to_key NOT IN (${KEY_INTERNET}, ${KEY_ANY}) AND from_key >= 0) AS prob_s,
         (active = 1 AND has_hosts = 0 AND NOT (wide = 1 AND well_known) AND dst_to AND s_n = 0 AND NOT s_pub
           AND to_key >= 0 AND from_key NOT IN (${KEY_INTERNET}, ${KEY_ANY})) AS prob_d
  FROM cm
)`,
    // Per key and deployment: a confirmed match silences the conditional ones; a confirmed or conditional one the probable ones.
    `key_dep AS (
  SELECT transport, dport, src_ip, dst_ip, dep, MAX(CASE WHEN conf THEN 1 ELSE 0 END) AS any_conf, MAX(CASE WHEN cond THEN 1 ELSE 0 END) AS any_cond
  FROM cls GROUP BY transport, dport, src_ip, dst_ip, dep
)`,
    `matches AS (
  SELECT transport, dport, src_ip, dst_ip, eid, 'confirmed' AS confidence, from_role AS src_role, to_role AS dst_role
  FROM cls WHERE conf
  UNION ALL
  SELECT c.transport, c.dport, c.src_ip, c.dst_ip, c.eid, CASE WHEN c.cond THEN 'conditional' ELSE 'probable' END AS confidence,
         CASE WHEN c.cond OR c.prob_s THEN c.from_role END AS src_role, CASE WHEN c.prob_s AND NOT c.cond THEN NULL ELSE c.to_role END AS dst_role
  FROM cls c JOIN key_dep k ON ${keyOn('k', 'c')} AND k.dep = c.dep
  WHERE k.any_conf = 0 AND (c.cond OR (k.any_cond = 0 AND (c.prob_s OR c.prob_d)))
)`,
    `fm AS (
  SELECT a.action, a.transport, a.src_ip, a.dst_ip, a.dport, a.device, a.rule, a.n, a.t0, a.t1, a.p,
         m.eid, m.confidence, m.src_role, m.dst_role
  FROM fw_agg a JOIN matches m ON ${keyOn('m', 'a')}
)`,
  ];

  let body: string;
  if (o.output === 'matrix') {
    ctes.push(`per_row AS (
  SELECT e.product, e.requirement,
         SUM(CASE WHEN fm.action = 'allow' THEN fm.n ELSE 0 END) AS allows,
         SUM(CASE WHEN fm.action = 'deny' THEN fm.n ELSE 0 END) AS denies,
         MIN(fm.t0) AS first_ts, MAX(fm.t1) AS last_ts
  FROM fm JOIN entries e ON e.eid = fm.eid
  WHERE fm.confidence <> 'conditional'
  GROUP BY e.product, e.requirement
)`);
    ctes.push(`mx AS (
  SELECT r.product, r.requirement, r.necessity, r.purpose, r.source,
         COALESCE(p.allows, 0) AS allows, COALESCE(p.denies, 0) AS denies, p.first_ts, p.last_ts
  FROM matrix_rows r LEFT JOIN per_row p ON p.product = r.product AND p.requirement = r.requirement
)`);
    ctes.push(`mx2 AS (
  SELECT mx.*, CASE WHEN denies > 0 AND allows > 0 THEN 'intermittent' WHEN denies > 0 THEN 'violated'
                    WHEN allows > 0 THEN 'ok' ELSE 'unobserved' END AS status
  FROM mx
)`);
    body = `SELECT product AS ${q('product')}, requirement AS ${q('requirement')}, necessity AS ${q('necessity')}, status AS ${q('status')},
       CAST(allows AS BIGINT) AS ${q('allows')}, CAST(denies AS BIGINT) AS ${q('denies')},
       ${d.isoTs('first_ts')} AS ${q('first_seen')}, ${d.isoTs('last_ts')} AS ${q('last_seen')},
       purpose AS ${q('purpose')}, source AS ${q('source')}
FROM mx2
ORDER BY product, CASE status WHEN 'violated' THEN 0 WHEN 'intermittent' THEN 1 WHEN 'unobserved' THEN 2 ELSE 3 END, requirement`;
  } else {
    ctes.push(`fd AS (
  SELECT fm.transport, fm.src_ip, fm.dst_ip, fm.dport, fm.device, fm.rule, fm.n, fm.t0, fm.t1, fm.p, fm.eid, fm.confidence,
         fm.src_role, fm.dst_role, e.wide, CASE WHEN e.wide = 1 THEN -2 ELSE fm.dport END AS gport
  FROM fm JOIN entries e ON e.eid = fm.eid
  WHERE fm.action = 'deny'
)`);
    ctes.push(`grp AS (
  SELECT ${gk}, MAX(src_role) AS src_role, MAX(dst_role) AS dst_role, SUM(n) AS n, MIN(t0) AS first_ts, MAX(t1) AS last_ts
  FROM fd GROUP BY ${gk}
)`);
    // First 10 distinct values in (file, line) order, as the matcher keeps them while streaming.
    const firstDistinct = (name: string, col: string, where: string, type: string) => [
      `${name}_1 AS (SELECT ${gk}, ${col} AS v, MIN(p) AS p FROM fd WHERE ${where} GROUP BY ${gk}, ${col})`,
      `${name}_2 AS (SELECT ${gk}, v, ROW_NUMBER() OVER (PARTITION BY ${gk} ORDER BY p) AS rk FROM ${name}_1)`,
      `${name} AS (SELECT ${gk}, ${d.sortedList('v', 'rk <= 10', type)} AS vs FROM ${name}_2 WHERE rk <= 10 GROUP BY ${gk})`,
    ];
    ctes.push(...firstDistinct('g_dev', 'device', 'device IS NOT NULL', d.varchar));
    ctes.push(...firstDistinct('g_rule', 'rule', 'rule IS NOT NULL', d.varchar));
    ctes.push(...firstDistinct('g_port', 'dport', 'wide = 1 AND dport >= 0', 'BIGINT'));
    // Evidence: the first 5 denied flows (file, line) of each key, then the first 5 of each group's keys.
    ctes.push(`ev_key AS (
  SELECT transport, dport, src_ip, dst_ip, file, line FROM (
    SELECT transport, dport, src_ip, dst_ip, file, line,
           ROW_NUMBER() OVER (PARTITION BY transport, dport, src_ip, dst_ip ORDER BY file, line) AS rk
    FROM fw_flows WHERE action = 'deny'
  ) x WHERE rk <= 5
)`);
    ctes.push(`g_keys AS (SELECT DISTINCT ${gk}, dport FROM fd)`);
    ctes.push(`g_ev_1 AS (
  SELECT ${gkOf('g')}, v.file, v.line, ROW_NUMBER() OVER (PARTITION BY ${gkOf('g')} ORDER BY v.file, v.line) AS rk
  FROM g_keys g JOIN ev_key v ON v.transport = g.transport AND v.dport = g.dport AND v.src_ip = g.src_ip AND v.dst_ip = g.dst_ip
)`);
    ctes.push(`g_ev AS (SELECT ${gk}, ${d.evidenceList('file', 'line', 'rk <= 5')} AS ev FROM g_ev_1 WHERE rk <= 5 GROUP BY ${gk})`);
    // Conditional findings: the other switched-off requirements of the role pair that one of the finding's ports fits.
    ctes.push(`g_cports AS (
  SELECT ${gk}, gport AS port FROM grp WHERE confidence = 'conditional' AND gport <> -2
  UNION ALL
  SELECT ${gk}, v AS port FROM g_port_2 WHERE confidence = 'conditional' AND rk <= 10
)`);
    ctes.push(`g_alt_1 AS (SELECT DISTINCT ${gkOf('g')}, a.ord, a.alt_json, a.alt_text FROM g_cports g JOIN alternatives a ON a.eid = g.eid AND g.port BETWEEN a.port_lo AND a.port_hi)`);
    ctes.push(`g_alt AS (
  SELECT ${gk}, '[' || ${d.stringAgg('alt_json', 'ord', ',')} || ']' AS alts, ' (or ' || ${d.stringAgg('alt_text', 'ord', ', or ')} || ')' AS alt_text
  FROM g_alt_1 GROUP BY ${gk}
)`);
    const emptyStr = d.name === 'spark' ? 'CAST(array() AS ARRAY<STRING>)' : d.name === 'duckdb' ? 'CAST([] AS VARCHAR[])' : 'CAST(ARRAY[] AS ARRAY(VARCHAR))';
    const minPort = d.name === 'duckdb' ? 'list_min(gp.vs)' : 'array_min(gp.vs)';
    const portWord = `upper(g.transport) || CASE WHEN e.wide = 1 THEN ' ' || e.port_text WHEN g.gport >= 0 THEN ' ' || CAST(g.gport AS ${d.varchar}) ELSE '' END`;
    ctes.push(`fnd AS (
  SELECT e.product, e.requirement, g.confidence, g.transport, g.src_ip, g.dst_ip,
         CASE WHEN e.wide = 1 THEN ${minPort} WHEN g.gport >= 0 THEN g.gport END AS dst_port,
         CASE WHEN e.wide = 1 THEN gp.vs END AS dst_ports,
         g.src_role, g.dst_role, CASE WHEN e.has_hosts = 1 THEN hn.name END AS dst_host,
         g.n, g.first_ts, g.last_ts,
         COALESCE(gd.vs, ${emptyStr}) AS devices, COALESCE(gr.vs, ${emptyStr}) AS rules,
         e.symptom, e.purpose, e.source, ge.ev AS evidence, e.product_name, e.necessity, e.port_text,
         e.open_prefix || ' from ' || CASE WHEN g.src_role IS NOT NULL THEN COALESCE(e.from_scope, g.src_ip) ELSE g.src_ip END
           || ' to ' || CASE WHEN e.has_hosts = 1 OR g.dst_role IS NOT NULL THEN COALESCE(e.to_scope, g.dst_ip) ELSE g.dst_ip END AS open_text,
         CASE WHEN g.confidence = 'conditional' THEN 1 ELSE 0 END AS is_cond,
         e.cond_text, e.param_name, e.param_value, e.suggestion,
         CASE WHEN g.confidence = 'conditional' AND e.param_name IS NOT NULL THEN e.mismatch END AS mismatch,
         CASE WHEN g.confidence = 'conditional' THEN e.note_pre || CASE WHEN g.src_role IS NOT NULL THEN g.src_role || 's ' ELSE '' END || g.src_ip
           || e.note_mid || ${portWord} || e.note_post || CASE WHEN e.mismatch IS NULL THEN COALESCE(ga.alt_text, '') ELSE '' END END AS note,
         CASE WHEN g.confidence = 'conditional' THEN ga.alts END AS alternatives
  FROM grp g
  JOIN entries e ON e.eid = g.eid
  JOIN g_ev ge ON ${gkOn('ge', 'g')}
  LEFT JOIN g_dev gd ON ${gkOn('gd', 'g')}
  LEFT JOIN g_rule gr ON ${gkOn('gr', 'g')}
  LEFT JOIN g_port gp ON ${gkOn('gp', 'g')}
  LEFT JOIN g_alt ga ON ${gkOn('ga', 'g')}
  LEFT JOIN host_names hn ON hn.ip = g.dst_ip
)`);
    body = `SELECT product AS ${q('product')}, requirement AS ${q('requirement')}, confidence AS ${q('confidence')},
       transport AS ${q('transport')}, src_ip AS ${q('src_ip')}, dst_ip AS ${q('dst_ip')}, CAST(dst_port AS BIGINT) AS ${q('dst_port')},
       dst_ports AS ${q('dst_ports')}, src_role AS ${q('src_role')}, dst_role AS ${q('dst_role')}, dst_host AS ${q('dst_host')},
       CAST(n AS BIGINT) AS ${q('count')}, ${d.isoTs('first_ts')} AS ${q('first_seen')}, ${d.isoTs('last_ts')} AS ${q('last_seen')},
       devices AS ${q('devices')}, rules AS ${q('rules')}, symptom AS ${q('symptom')}, purpose AS ${q('purpose')},
       source AS ${q('source')}, evidence AS ${q('evidence')}, product_name AS ${q('product_name')}, necessity AS ${q('necessity')},
       port_text AS ${q('ports')}, open_text AS ${q('open')},
       -- conditional findings only (NULL otherwise): the condition, the parameter that would turn the requirement on, a sentence
       CASE WHEN is_cond = 1 THEN cond_text END AS ${q('condition')}, CASE WHEN is_cond = 1 THEN param_name END AS ${q('parameter_name')},
       CASE WHEN is_cond = 1 THEN param_value END AS ${q('parameter_value')}, CASE WHEN is_cond = 1 THEN suggestion END AS ${q('parameter_suggestion')},
       mismatch AS ${q('mismatch')}, note AS ${q('note')}, alternatives AS ${q('alternatives')}
FROM fnd
ORDER BY CASE confidence WHEN 'confirmed' THEN 0 WHEN 'conditional' THEN 1 ELSE 2 END, n DESC, product, requirement, src_ip, dst_ip, COALESCE(dst_port, -1)`;
  }
  const header = `-- fwaudit ${o.output}: the matcher as one statement (${o.dialect}); generated from the rulesets and the inventory ${inventory.file}\n`;
  // `-- step: NAME` before each named step lets a runner materialise the steps one by one (the Spark job
  // does: Spark inlines a CTE at every reference, which multiplies the work of the shared steps).
  const steps = ctes.map((c) => `-- step: ${/^([a-z0-9_]+) AS/.exec(c)![1]}\n${c}`);
  return `${header}WITH\n${steps.join(',\n')}\n-- step: result\n${body}\n`;
}

/** Where the statement reads a model table written by `fwaudit sql --tables DIR` (DIR/NAME.parquet). */
export function modelTableSource(d: Dialect, location: string, name: string): string {
  const path = `${location.replace(/\/+$/, '')}/${name}.parquet`;
  if (/[\0-\x1f]/.test(path)) throw new UsageError('--tables: the path contains control characters');
  if (d.name === 'duckdb') return `read_parquet(${d.str(path)})`;
  if (d.name === 'spark') {
    if (path.includes('`')) throw new UsageError('--tables: the path contains a backtick');
    return `parquet.\`${path}\``;
  }
  throw new UsageError('--tables: Trino reads the model tables inline (VALUES); leave --tables out for --dialect trino');
}
