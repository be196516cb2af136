/**
 * `fwaudit diagnose`: explains a symptom a product reports from the firewall logs.
 *   fwaudit diagnose rpc --from IP|ROLE --to IP|ROLE [--at TIME] [--window 30m] [--legacy-target] <logs...>
 *   fwaudit diagnose --product ID --symptom NAME [--host IP] [--inventory FILE] <logs...>
 *   fwaudit diagnose --list
 * The verdict (text or --json) on stdout; the input summary on stderr. Exit status: src/app/exit-policy.ts
 * (a verdict, "no evidence" included, is 0).
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { colorEnabled, note, settle, type CliContext, type OutputFlags } from '../io.js';
import { addOutputOptions, addReadOptions, collect, DUCKDB_ENV, EXIT_HELP, helpFooter, readOptionsFrom, type CliReadOpts } from '../options.js';

interface DiagnoseOpts extends CliReadOpts, OutputFlags {
  inventory?: string; ruleset: string[]; hosts?: string; param: string[]; at?: string; window?: string; db?: string; json?: boolean;
  from?: string; to?: string; legacyTarget?: boolean;
  product?: string; symptom?: string; host?: string; list?: boolean;
}

/**
 * One command; `rpc` as the first operand selects the RPC diagnosis. (A commander subcommand would need
 * positional options on the root program for `diagnose rpc --at …` to reach it.)
 */
export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('diagnose')
    .usage('rpc --from IP|ROLE --to IP|ROLE [--at TIME] [--window 30m] [--legacy-target] [options] <logs...>\n' +
      '       fwaudit diagnose --product ID --symptom NAME [--host IP] [--inventory FILE] [options] <logs...>\n' +
      '       fwaudit diagnose --list')
    .description('explain a symptom a product reports from the firewall logs.\n\n' +
      '"rpc": "The RPC server is unavailable" (0x800706BA) from --from (scanning server) to --to (Windows computer). ' +
      'Verdict precedence: endpoint-mapper-blocked (TCP 135 denied) > dynamic-ports-blocked (TCP 49152-65535 denied, ' +
      '1024-65535 with --legacy-target) > smb-blocked (TCP 445/139 denied) > reachable > no-evidence; ' +
      'the others are reported as secondary findings.\n\n' +
      '--symptom: the symptoms the vendor documents name (see --list), checked per requirement ' +
      '(blocked, partly blocked, ok, no evidence).')
    .option('--list', 'list every symptom the rulesets document, with its product')
    .option('--product <id>', 'ruleset id (gfi-languard, escan, groundlabs-er, finjan-vsos) or product name')
    .option('--symptom <name>', 'symptom id or words (see --list)')
    .option('--host <ip>', 'the computer with the symptom (matched at either end of the flows)')
    .option('--from <ip|role>', 'rpc: the computer that opens the RPC connection (scanning server, proxy agent), or an inventory role product:role')
    .option('--to <ip|role>', 'rpc: the Windows computer being scanned / deployed to, or an inventory role product:role')
    .option('--legacy-target', 'rpc: the target runs Windows Server 2003 / XP or older (dynamic RPC range 1024-65535)')
    .argument('[inputs...]', '"rpc" for the RPC diagnosis, then log files, directories, globs, or - for stdin (or --db FILE instead)')
    .option('--inventory <file>', 'deployment inventory (YAML): roles, addresses and parameters (version, ports)')
    .option('--ruleset <id|file>', 'built-in ruleset id, "all", or a ruleset file; repeatable (default: all built-ins)', collect, [] as string[])
    .option('--hosts <file>', '/etc/hosts-style file resolving the hostnames of requirements (update servers)')
    .option('--param <key=value>', 'ruleset parameter, e.g. version=11 (overrides the inventory); repeatable', collect, [] as string[])
    .option('--at <time>', 'when the symptom was seen: ISO time (2026-03-10T09:14:00Z) or "YYYY-MM-DD HH:MM" in --tz')
    .option('--window <duration>', 'look this far before and after --at (default 30m; e.g. 10m, 2h)')
    .option('--db <file>', 'read the flows from a fwaudit DuckDB store instead of log files')
    .option('--json', 'print one JSON object on stdout');
  addOutputOptions(addReadOptions(cmd))
    .addHelpText('after', helpFooter(
      ['fwaudit diagnose rpc --from 10.10.0.5 --to 10.20.0.31 --at "2026-03-10 09:14" --tz Europe/Berlin pfirewall.log',
        'fwaudit diagnose --product escan --symptom console-unreachable --inventory inv.yaml /var/log/kern.log',
        'fwaudit diagnose --list'],
      ['0    a verdict was reached ("no-evidence" included)', EXIT_HELP.input, EXIT_HELP.bug, EXIT_HELP.pipe], [DUCKDB_ENV]))
    .action(async (args: string[], o: DiagnoseOpts) => {
      const app = await import('../../app/diagnose.js');
      const render = await import('../../diagnose/render.js');
      if (args[0] === 'rpc') {
        for (const [k, flag] of [['symptom', '--symptom'], ['product', '--product'], ['host', '--host'], ['list', '--list']] as const) {
          if (o[k] !== undefined) throw new UsageError(`${flag} does not apply to "diagnose rpc" (use --from and --to)`);
        }
      } else {
        for (const [k, flag] of [['from', '--from'], ['to', '--to'], ['legacyTarget', '--legacy-target']] as const) {
          if (o[k] !== undefined) throw new UsageError(`${flag} belongs to "fwaudit diagnose rpc --from IP --to IP <logs...>"`);
        }
      }
      if (args[0] !== 'rpc' && o.list) {
        const items = await app.listAllSymptoms(o);
        ctx.io.stdout.write(o.json
          ? JSON.stringify({ schema_version: 1, rpc: { command: 'fwaudit diagnose rpc --from SERVER --to TARGET', text: 'The RPC server is unavailable' }, symptoms: items }) + '\n'
          : render.renderList(items));
        return;
      }
      if (args[0] === 'rpc' && (!o.from || !o.to)) {
        throw new UsageError('diagnose rpc needs --from (the scanning server) and --to (the Windows computer), each an IP address or an inventory role');
      }
      if (args[0] !== 'rpc' && !o.symptom) {
        throw new UsageError('say which symptom: --symptom NAME [--product ID] (see fwaudit diagnose --list), or use "fwaudit diagnose rpc --from IP --to IP" for "The RPC server is unavailable"');
      }
      const started = Date.now();
      const [{ exitVerdict }, { formatSummary, progressReporter, totalsLine }, { colorize, painter }] = await Promise.all([
        import('../../app/exit-policy.js'), import('../summary.js'), import('../color.js')]);
      const read = await readOptionsFrom(o, ctx);
      const progress = progressReporter(o.progress !== false && !o.quiet && !o.db, ctx.io.stderr);
      const common = { ...o, inputs: args[0] === 'rpc' ? args.slice(1) : args, read, params: o.param, onProgress: progress.update };
      let text: string, summaries;
      try {
        if (args[0] === 'rpc') {
          const r = await app.diagnoseRpc({ ...common, from: o.from!, to: o.to! });
          summaries = r.summaries;
          text = o.json ? JSON.stringify({ schema_version: 1, ...r.result }) + '\n' : render.renderRpc(r.result, r.window);
        } else {
          const r = await app.diagnoseSymptom({ ...common, symptom: o.symptom! });
          summaries = r.summaries;
          text = o.json ? JSON.stringify({ schema_version: 1, ...r.result }) + '\n' : render.renderSymptom(r.result, r.window);
        }
      } finally {
        progress.done();
      }
      ctx.io.stdout.write(o.json ? text : colorize(text, painter(colorEnabled(ctx, o))));
      const bad = summaries.filter((s) => s.error !== null);
      // Unreadable inputs are printed even with --quiet: the verdict covers the others only.
      if (bad.length) ctx.io.stderr.write(formatSummary(bad) + '\n');
      else if (summaries.length) note(ctx, o, formatSummary(summaries));
      if (o.verbose && summaries.length) note(ctx, o, totalsLine(summaries, Date.now() - started));
      const v = exitVerdict({ summaries, strict: read.strict });
      settle(ctx, bad.length ? { ...v, reason: `${v.reason}; the verdict covers the others only` } : v);
    });
}
