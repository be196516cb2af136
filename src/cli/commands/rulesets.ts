/** `fwaudit rulesets list|show|validate`: the product rulesets (built-in and user files). */
import type { Command } from 'commander';
import { EXIT } from '../../model/errors.js';
import type { CliContext, OutputFlags } from '../io.js';
import { addOutputOptions, collect, EXIT_HELP, helpFooter } from '../options.js';

export function register(program: Command, ctx: CliContext): void {
  const rulesets = program.command('rulesets').description('list, show and validate product rulesets (network requirements from vendor documents)');
  rulesets.addHelpText('after', helpFooter(['fwaudit rulesets list', 'fwaudit rulesets show gfi-languard', 'fwaudit rulesets validate my-product.yaml'],
    [EXIT_HELP.ok, '2    a ruleset file is invalid (validate prints each error as file:line: field: message)', EXIT_HELP.bug]));

  addOutputOptions(rulesets
    .command('list')
    .description('list the built-in rulesets (and any --ruleset files)')
    .option('--ruleset <file>', 'also list this ruleset file (repeatable)', collect, [] as string[])
    .option('--json', 'JSON output'))
    .action(async (o: { ruleset: string[]; json?: boolean } & OutputFlags) => {
      const { listRulesets, rulesetRows } = await import('../../app/rulesets.js');
      const list = listRulesets(o.ruleset);
      if (o.json) ctx.io.stdout.write(JSON.stringify(rulesetRows(list), null, 2) + '\n');
      else {
        const { formatRulesetList } = await import('../../rulesets/show.js');
        ctx.io.stdout.write(formatRulesetList(list) + '\n');
      }
    });

  addOutputOptions(rulesets
    .command('show')
    .description('show the requirements of a ruleset: a built-in id (see `rulesets list`) or a file')
    .argument('<ruleset>', 'built-in id or ruleset file')
    .option('--json', 'JSON output (with each requirement\'s ports resolved to the parameter defaults)'))
    .action(async (spec: string, o: { json?: boolean } & OutputFlags) => {
      const [{ showRuleset }, { formatRuleset, rulesetToJson }] = await Promise.all([import('../../app/rulesets.js'), import('../../rulesets/show.js')]);
      const rs = showRuleset(spec);
      if (o.json) ctx.io.stdout.write(JSON.stringify(rulesetToJson(rs), null, 2) + '\n');
      else ctx.io.stdout.write(formatRuleset(rs) + '\n');
    });

  addOutputOptions(rulesets
    .command('validate')
    .description('check ruleset files; prints OK or each error as file:line: field: message (exit 2 on error)')
    .argument('<files...>', 'ruleset files (or built-in ids)'))
    .action(async (files: string[]) => {
      const [{ validateRulesets }, { sanitizeText }] = await Promise.all([import('../../app/rulesets.js'), import('../../model/sanitize.js')]);
      let failed = false;
      for (const v of validateRulesets(files)) {
        if (v.ruleset) {
          ctx.io.stdout.write(sanitizeText(`${v.file}: OK (${v.ruleset.id}: ${v.ruleset.requirements.length} requirements, ${Object.keys(v.ruleset.roles).length} roles)`) + '\n');
        } else {
          failed = true;
          for (const e of v.errors) ctx.io.stdout.write(sanitizeText(e.toString()) + '\n');
        }
      }
      if (failed) ctx.exitCode = EXIT.INPUT;
    });
}
