#!/usr/bin/env node
/** fwaudit command line. Each command lives in src/cli/commands/<name>.ts. */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../model/errors.js';
import { EXIT } from './exit.js';
import { UsageError } from './options.js';
import { VERSION } from '../version.js';
import { register as registerParse } from './commands/parse.js';
import { register as registerAnalyze } from './commands/analyze.js';
import { register as registerRulesets } from './commands/rulesets.js';
import { register as registerReport } from './commands/report.js';
import { register as registerQuery } from './commands/query.js';
import { register as registerExport } from './commands/export.js';
import { register as registerDiagnose } from './commands/diagnose.js';
import { register as registerIngest } from './commands/ingest.js';
import { register as registerRun } from './commands/run.js';
import { register as registerSql } from './commands/sql.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('fwaudit')
    .description('Finds denied firewall flows that break the documented network requirements of the products you run')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerParse(program);
  registerAnalyze(program);
  registerRulesets(program);
  registerReport(program);
  registerQuery(program);
  registerExport(program);
  registerDiagnose(program);
  registerIngest(program);
  registerRun(program);
  registerSql(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (e instanceof ConfigError) { process.stderr.write(`fwaudit: ${e.toString()}\n`); return EXIT.INPUT; }
    if (e instanceof UsageError) { process.stderr.write(`fwaudit: ${e.message}\n`); return EXIT.USAGE; }
    const err = e as Error;
    if (/^(unknown format|--out|CSV output|Parquet output|unknown time zone)/.test(err.message)) {
      process.stderr.write(`fwaudit: ${err.message}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(`fwaudit: internal error: ${err.stack ?? err.message}\n`);
    return EXIT.INTERNAL;
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.argv[1]?.endsWith('/fwaudit')) {
  main(process.argv).then((code) => { process.exitCode = code; });
}
