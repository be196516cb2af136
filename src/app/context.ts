/**
 * The one context loader of the use cases that match flows against requirements (analyze, ingest, run,
 * diagnose): rulesets, inventory and hosts file, plus the validated reading options.
 *
 * Errors: ConfigError for a bad ruleset, inventory or hosts file; UsageError for a bad reading option.
 */
import type { Action } from '../model/flow.js';
import type { Ruleset } from '../model/ruleset.js';
import { UsageError } from '../model/errors.js';
import { assertTimeZone } from '../model/time.js';
import type { Inventory } from '../inventory/load.js';
import type { ReadOptions } from '../pipeline/run.js';

export interface ContextOptions {
  /** Built-in ruleset ids, "all", or ruleset files (default: every built-in). */
  ruleset?: string[];
  inventory?: string;
  hosts?: string;
  /**
   * Without an inventory, still load the hosts file as an empty inventory that only resolves names
   * (diagnose). Default: the hosts file only extends an inventory.
   */
  hostsWithoutInventory?: boolean;
}

export interface AnalysisContext {
  rulesets: Ruleset[];
  inventory: Inventory | null;
}

export async function loadContext(o: ContextOptions): Promise<AnalysisContext> {
  // (imported here, not above: the reading options below are also what every command's argument parsing imports,
  // and these loaders bring the YAML, schema and address libraries, ~0.25 s of module loading)
  const [{ loadHostsFile, loadInventory }, { resolveRulesets }] = await Promise.all([import('../inventory/load.js'), import('../rulesets/load.js')]);
  const rulesets = resolveRulesets(o.ruleset ?? []);
  const extraHosts = o.hosts ? await loadHostsFile(o.hosts) : undefined;
  let inventory: Inventory | null = null;
  if (o.inventory) inventory = await loadInventory(o.inventory, rulesets, { extraHosts });
  else if (o.hosts && o.hostsWithoutInventory) inventory = { file: o.hosts, hosts: extraHosts!, deployments: [] };
  return { rulesets, inventory };
}

/** Reading options as typed by a user (strings from the command line or the configuration file). */
export interface ReadSettings {
  format?: string;
  tz?: string;
  year?: string | number;
  actionMap?: Map<string, Action>;
  strict?: boolean;
}

/** The input formats and families `--format` accepts, each once, in parser order. */
export async function knownInputFormats(): Promise<string[]> {
  const { PARSERS } = await import('../../parsers/index.js');
  return [...new Set(PARSERS.flatMap((p) => [...p.formats, p.family]))];
}

/** Validated reading options (UsageError naming the option and the accepted values). */
export async function resolveReadOptions(o: ReadSettings): Promise<ReadOptions> {
  if (o.tz) {
    try { assertTimeZone(o.tz); } catch (e) { throw new UsageError(`--tz: ${(e as Error).message}`); }
  }
  let year: number | undefined;
  if (o.year !== undefined) {
    year = Number(o.year);
    if (!Number.isInteger(year) || year < 1970 || year > 2200) throw new UsageError(`--year expects a year such as 2026, got "${o.year}"`);
  }
  if (o.format !== undefined) {
    const known = await knownInputFormats();
    if (!known.includes(o.format)) throw new UsageError(`unknown format "${o.format}" (known: ${known.join(', ')})`);
  }
  return { format: o.format, tz: o.tz, year, actionMap: o.actionMap, strict: !!o.strict };
}
