/**
 * Use cases "rulesets list|show|validate": the product rulesets, built-in and user files.
 * Errors: ConfigError for a ruleset file that cannot be loaded (list, show); validate returns its errors.
 */
import { existsSync, statSync } from 'node:fs';
import type { ConfigError } from '../model/errors.js';
import type { Ruleset } from '../model/ruleset.js';
import { loadBuiltinRulesets, resolveRulesets, validateRulesetFile } from '../rulesets/load.js';

export interface RulesetRow { id: string; product: string; version: string | null; requirements: number; roles: number; file: string }

export function listRulesets(files: string[] = []): Ruleset[] {
  return files.length ? resolveRulesets(['all', ...files]) : loadBuiltinRulesets();
}

export function rulesetRows(list: Ruleset[]): RulesetRow[] {
  return list.map((r) => ({ id: r.id, product: r.product, version: r.version ?? null, requirements: r.requirements.length, roles: Object.keys(r.roles).length, file: r.file }));
}

export function showRuleset(spec: string): Ruleset {
  return resolveRulesets([spec])[0]!;
}

export interface Validation { file: string; ruleset: Ruleset | null; errors: ConfigError[] }

/** Validates files (a built-in id stands for its file). */
export function validateRulesets(specs: string[]): Validation[] {
  return specs.map((spec) => {
    let file = spec;
    if (!(existsSync(spec) && statSync(spec).isFile())) {
      const builtin = loadBuiltinRulesets().find((r) => r.id === spec);
      if (builtin) file = builtin.file;
    }
    const r = validateRulesetFile(file);
    return { file, ruleset: r.errors.length === 0 ? r.ruleset ?? null : null, errors: r.errors };
  });
}
