/**
 * fwaudit.yaml: the configuration of `fwaudit run` (scheduled ingest + analysis + reports in one step).
 *
 *   inputs: [logs/*.log, /var/log/ufw.log]      # files, directories, globs (required)
 *   inventory: inventory.yaml                   # optional; without it matches are port-only
 *   rulesets: [gfi-languard, my-product.yaml]   # built-in ids, "all", or ruleset files (default: all built-ins)
 *   hosts: hosts.txt                            # optional /etc/hosts-style file
 *   store: fwaudit.duckdb                       # DuckDB store (required; created when missing)
 *   keep: denied                                # all | denied | matched (default: denied + matched)
 *   tz: Europe/Berlin                           # zone of timestamps without an offset
 *   year: 2026                                  # year of year-less syslog lines
 *   format: iptables                            # force an input format
 *   action_map: { "[FW-DROP]": deny }           # iptables log prefix → verdict
 *   strict: false                               # unreadable flow lines make the run exit 2
 *   time_window: true                           # false = --no-time-window (timestamps vs the file's time)
 *   reports:
 *     - { format: html, out: reports/fwaudit.html, since: 7d }
 *     - { out: reports/fwaudit.xml }            # format from the extension (.html .md .csv .json .xml)
 *   fail_on: violated                           # violated | probable | conditional | none (default none)
 *
 * Relative paths (inputs, inventory, ruleset files, hosts, store, report outputs) are relative to the directory of
 * the configuration file. Errors are ConfigErrors with the file and line of the offending value.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { lineOfPath, parseYamlLocated } from '../model/yaml.js';
import { z } from 'zod';
import { ConfigError } from '../model/errors.js';
import type { Action } from '../model/flow.js';
import { assertTimeZone } from '../model/time.js';
import { parseWhen } from '../reports/model.js';
import type { Keep } from '../store/store.js';

import { REPORT_FORMATS, reportFormatOfPath, type ReportFormat } from '../reports/formats.js';
export type { ReportFormat } from '../reports/formats.js';
export type { FailOn } from '../model/finding.js';
import type { FailOn } from '../model/finding.js';

export interface ReportSpec {
  format: ReportFormat;
  /** Absolute path. */
  out: string;
  since?: string;
  until?: string;
  top?: number;
}

export interface FwauditConfig {
  /** The configuration file (absolute). */
  file: string;
  inputs: string[];
  inventory?: string;
  rulesets: string[];
  hosts?: string;
  store: string;
  keep?: Keep;
  tz?: string;
  year?: number;
  format?: string;
  actionMap?: Map<string, Action>;
  strict: boolean;
  /** false: do not check timestamps against the file's time (`--no-time-window`). */
  timeWindow: boolean;
  reports: ReportSpec[];
  failOn: FailOn;
}

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const reportSchema = z.strictObject({
  format: z.enum(REPORT_FORMATS).optional(),
  out: nonEmpty,
  since: z.union([nonEmpty, z.date()]).optional(),
  until: z.union([nonEmpty, z.date()]).optional(),
  top: z.number().int().min(1).optional(),
});
const configSchema = z.strictObject({
  inputs: z.union([nonEmpty, z.array(nonEmpty).min(1, 'needs at least one input')]),
  inventory: nonEmpty.optional(),
  rulesets: z.union([nonEmpty, z.array(nonEmpty)]).optional(),
  hosts: nonEmpty.optional(),
  store: nonEmpty,
  keep: z.enum(['all', 'denied', 'matched']).optional(),
  tz: nonEmpty.optional(),
  year: z.number().int().min(1970).max(2200).optional(),
  format: nonEmpty.optional(),
  action_map: z.record(z.string(), z.enum(['allow', 'deny'])).optional(),
  strict: z.boolean().optional(),
  time_window: z.boolean().optional(),
  reports: z.array(reportSchema).optional(),
  fail_on: z.enum(['violated', 'probable', 'conditional', 'none']).optional(),
});


import type { PathSeg } from '../model/yaml.js';

export async function loadConfig(path: string): Promise<FwauditConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read configuration (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path, null, null);
  }
  return parseConfig(text, path);
}

/** A ruleset spec that names a file (rather than a built-in id or `all`). */
function looksLikeFile(spec: string): boolean {
  return /[/\\]/.test(spec) || /\.ya?ml$/i.test(spec);
}

export function parseConfig(text: string, file: string): FwauditConfig {
  const { doc, lc, value: raw } = parseYamlLocated(text, file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('a configuration is a YAML mapping with at least `inputs:` and `store:`', file, 1, null);
  }
  const fail = (msg: string, p: PathSeg[]): never => {
    throw new ConfigError(msg, file, lineOfPath(doc, lc, p), p.length ? fieldName(p) : null);
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const iss = parsed.error.issues[0]!;
    const p = iss.path.filter((s): s is PathSeg => typeof s === 'string' || typeof s === 'number');
    if (iss.code === 'unrecognized_keys') fail(`unknown key "${iss.keys[0]}"`, [...p, iss.keys[0]!]);
    const missing = p.length > 0 && valueAt(raw, p) === undefined;
    fail(missing ? `required field is missing (${iss.message})` : iss.message, p);
  }
  const c = parsed.data!;
  const dir = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));

  if (c.tz !== undefined) {
    try { assertTimeZone(c.tz); } catch (e) { fail((e as Error).message, ['tz']); }
  }
  const reports: ReportSpec[] = (c.reports ?? []).map((r, i) => {
    const format = r.format ?? reportFormatOfPath(r.out);
    if (!format) fail(`cannot tell the format from "${r.out}": add format: ${REPORT_FORMATS.join('|')}`, ['reports', i, 'out']);
    const when = (v: string | Date | undefined, key: 'since' | 'until'): string | undefined => {
      if (v === undefined) return undefined;
      const s = v instanceof Date ? v.toISOString() : v;
      try { parseWhen(s); } catch (e) { fail((e as Error).message, ['reports', i, key]); }
      return s;
    };
    return { format: format!, out: abs(r.out), since: when(r.since, 'since'), until: when(r.until, 'until'), top: r.top };
  });
  const inputs = typeof c.inputs === 'string' ? [c.inputs] : c.inputs;
  inputs.forEach((x, i) => { if (x === '-') fail('stdin ("-") is not an input for scheduled runs', ['inputs', i]); });
  const rulesets = c.rulesets === undefined ? [] : typeof c.rulesets === 'string' ? [c.rulesets] : c.rulesets;
  return {
    file: resolve(file),
    inputs: inputs.map(abs),
    inventory: c.inventory === undefined ? undefined : abs(c.inventory),
    rulesets: rulesets.map((r) => (looksLikeFile(r) ? abs(r) : r)),
    hosts: c.hosts === undefined ? undefined : abs(c.hosts),
    store: c.store === ':memory:' ? c.store : abs(c.store),
    keep: c.keep,
    tz: c.tz,
    year: c.year,
    format: c.format,
    actionMap: c.action_map ? new Map(Object.entries(c.action_map)) : undefined,
    strict: c.strict ?? false,
    timeWindow: c.time_window ?? true,
    reports,
    failOn: c.fail_on ?? 'none',
  };
}

function valueAt(raw: unknown, p: PathSeg[]): unknown {
  let v: unknown = raw;
  for (const s of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(s)];
  }
  return v;
}

function fieldName(p: PathSeg[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

