/** `fwaudit rulesets list|show|validate`: the product rulesets (built-in and user files). */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { EXIT } from '../exit.js';
import { loadBuiltinRulesets, resolveRulesets, validateRulesetFile } from '../../rulesets/load.js';
import { formatRuleset, formatRulesetList, rulesetToJson } from '../../rulesets/show.js';

export function register(program: Command): void {
  const rulesets = program.command('rulesets').description('list, show and validate product rulesets (network requirements from vendor documents)');

  rulesets
    .command('list')
    .description('list the built-in rulesets (and any --ruleset files)')
    .option('--ruleset <file>', 'also list this ruleset file (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'JSON output')
    .action((o: { ruleset: string[]; json?: boolean }) => {
      const list = o.ruleset.length ? resolveRulesets(['all', ...o.ruleset]) : loadBuiltinRulesets();
      if (o.json) {
        const rows = list.map((r) => ({ id: r.id, product: r.product, version: r.version ?? null, requirements: r.requirements.length, roles: Object.keys(r.roles).length, file: r.file }));
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      } else process.stdout.write(formatRulesetList(list) + '\n');
    });

  rulesets
    .command('show')
    .description('show the requirements of a ruleset: a built-in id (see `rulesets list`) or a file')
    .argument('<ruleset>', 'built-in id or ruleset file')
    .option('--json', 'JSON output (with each requirement\'s ports resolved to the parameter defaults)')
    .action((spec: string, o: { json?: boolean }) => {
      const rs = resolveRulesets([spec])[0]!;
      if (o.json) process.stdout.write(JSON.stringify(rulesetToJson(rs), null, 2) + '\n');
      else process.stdout.write(formatRuleset(rs) + '\n');
    });

  rulesets
    .command('validate')
    .description('check ruleset files; prints OK or each error as file:line: field: message (exit 2 on error)')
    .argument('<files...>', 'ruleset files (or built-in ids)')
    .action((files: string[]) => {
      let failed = false;
      for (const spec of files) {
        let file = spec;
        if (!(existsSync(spec) && statSync(spec).isFile())) {
          const builtin = loadBuiltinRulesets().find((r) => r.id === spec);
          if (builtin) file = builtin.file;
        }
        const r = validateRulesetFile(file);
        if (r.errors.length === 0 && r.ruleset) {
          process.stdout.write(`${file}: OK (${r.ruleset.id}: ${r.ruleset.requirements.length} requirements, ${Object.keys(r.ruleset.roles).length} roles)\n`);
        } else {
          failed = true;
          for (const e of r.errors) process.stdout.write(`${e.toString()}\n`);
        }
      }
      if (failed) process.exitCode = EXIT.INPUT;
    });
}
