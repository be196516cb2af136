/**
 * `fwaudit diagnose`: explains a symptom a product reports from the firewall logs.
 *   fwaudit diagnose rpc --from IP|ROLE --to IP|ROLE [--at TIME] [--window 30m] [--legacy-target] <logs...>
 *   fwaudit diagnose --product ID --symptom NAME [--host IP] [--inventory FILE] <logs...>
 *   fwaudit diagnose --list
 * Exit codes: 0 a verdict was reached (no-evidence included), 2 unreadable input or bad arguments.
 */
import type { Command } from 'commander';
import { canonicalIp } from '../../model/ip.js';
import type { Flow } from '../../model/flow.js';
import { defaultTimeZone } from '../../model/time.js';
import { loadHostsFile, loadInventory, type Inventory } from '../../inventory/load.js';
import { resolveRulesets } from '../../rulesets/load.js';
import type { Ruleset } from '../../model/ruleset.js';
import { StoreError } from '../../store/store.js';
import { DiagnoseArgError, makeWindow, parseEndpoint, parseParams, type TimeWindow } from '../../diagnose/common.js';
import { RpcDiagnosis } from '../../diagnose/rpc.js';
import { findSymptom, listSymptoms, SymptomDiagnosis } from '../../diagnose/symptom.js';
import { readInputs, readStore, type SourceResult, type StoreFilter } from '../../diagnose/source.js';
import { renderList, renderRpc, renderSymptom } from '../../diagnose/render.js';
import { addReadOptions, readOptionsFrom, UsageError, type CliReadOpts } from '../options.js';
import { formatSummary, inputErrors, progressReporter } from '../summary.js';
import { malformedCount } from '../../pipeline/run.js';
import { EXIT } from '../exit.js';

interface CommonOpts extends CliReadOpts {
  inventory?: string; ruleset: string[]; hosts?: string; param: string[]; at?: string; window?: string; db?: string; json?: boolean;
}
interface RpcOpts extends CommonOpts { from?: string; to?: string; legacyTarget?: boolean }
interface SymptomOpts extends CommonOpts { product?: string; symptom?: string; host?: string; list?: boolean }

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function addCommon(cmd: Command): Command {
  cmd
    .argument('[inputs...]', '"rpc" for the RPC diagnosis, then log files, directories, globs, or - for stdin (or --db FILE instead)')
    .option('--inventory <file>', 'deployment inventory (YAML): roles, addresses and parameters (version, ports)')
    .option('--ruleset <id|file>', 'built-in ruleset id, "all", or a ruleset file; repeatable (default: all built-ins)', collect, [] as string[])
    .option('--hosts <file>', '/etc/hosts-style file resolving the hostnames of requirements (update servers)')
    .option('--param <key=value>', 'ruleset parameter, e.g. version=11 (overrides the inventory); repeatable', collect, [] as string[])
    .option('--at <time>', 'when the symptom was seen: ISO time (2026-03-10T09:14:00Z) or "YYYY-MM-DD HH:MM" in --tz')
    .option('--window <duration>', 'look this far before and after --at (default 30m; e.g. 10m, 2h)')
    .option('--db <file>', 'read the flows from a fwaudit DuckDB store instead of log files')
    .option('--json', 'print one JSON object on stdout');
  return addReadOptions(cmd);
}

/**
 * One command; `rpc` as the first operand selects the RPC diagnosis. (A commander subcommand would need
 * positional options on the root program for `diagnose rpc --at …` to reach it.)
 */
export function register(program: Command): void {
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
      '(blocked, partly blocked, ok, no evidence).\n\nExit code 0 for any verdict, 2 for unreadable input or bad arguments.')
    .option('--list', 'list every symptom the rulesets document, with its product')
    .option('--product <id>', 'ruleset id (gfi-languard, escan, groundlabs-er, finjan-vsos) or product name')
    .option('--symptom <name>', 'symptom id or words (see --list)')
    .option('--host <ip>', 'the computer with the symptom (matched at either end of the flows)')
    .option('--from <ip|role>', 'rpc: the computer that opens the RPC connection (scanning server, proxy agent), or an inventory role product:role')
    .option('--to <ip|role>', 'rpc: the Windows computer being scanned / deployed to, or an inventory role product:role')
    .option('--legacy-target', 'rpc: the target runs Windows Server 2003 / XP or older (dynamic RPC range 1024-65535)');
  addCommon(cmd).action(async (args: string[], o: RpcOpts & SymptomOpts) => {
    await guarded(async () => {
      if (args[0] === 'rpc') {
        for (const [k, flag] of [['symptom', '--symptom'], ['product', '--product'], ['host', '--host'], ['list', '--list']] as const) {
          if (o[k] !== undefined) throw new DiagnoseArgError(`${flag} does not apply to "diagnose rpc" (use --from and --to)`);
        }
        await runRpc(args.slice(1), o);
      } else {
        for (const [k, flag] of [['from', '--from'], ['to', '--to'], ['legacyTarget', '--legacy-target']] as const) {
          if (o[k] !== undefined) throw new DiagnoseArgError(`${flag} belongs to "fwaudit diagnose rpc --from IP --to IP <logs...>"`);
        }
        await runSymptom(args, o);
      }
    });
  });
}

/** Bad arguments and unusable stores exit 2 with one line on stderr; configuration errors go to main (exit 2). */
async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof DiagnoseArgError || e instanceof UsageError || e instanceof StoreError) {
      process.stderr.write(`fwaudit diagnose: ${e instanceof StoreError ? `${e.path}: ` : ''}${e.message}\n`);
      process.exitCode = EXIT.INPUT;
      return;
    }
    if (e instanceof Error && /^unknown (format|time zone)/.test(e.message)) {
      process.stderr.write(`fwaudit diagnose: ${e.message}\n`);
      process.exitCode = EXIT.INPUT;
      return;
    }
    throw e;
  }
}

async function setup(inputs: string[], o: CommonOpts): Promise<{ rulesets: Ruleset[]; inventory: Inventory | null; window: TimeWindow | null; params: Record<string, number | string | boolean> }> {
  if (inputs.length === 0 && !o.db) throw new DiagnoseArgError('give the log files to read (or --db FILE)');
  if (inputs.length > 0 && o.db) throw new DiagnoseArgError('give either log files or --db FILE, not both');
  const ro = readOptionsFrom(o);
  const window = makeWindow(o.at, o.window, ro.tz ?? defaultTimeZone());
  const params = parseParams(o.param);
  const rulesets = resolveRulesets(o.ruleset);
  let inventory: Inventory | null = null;
  if (o.inventory) {
    const extraHosts = o.hosts ? await loadHostsFile(o.hosts) : undefined;
    inventory = await loadInventory(o.inventory, rulesets, { extraHosts });
  } else if (o.hosts) {
    // Without an inventory the hosts file still resolves update-server names.
    inventory = { file: o.hosts, hosts: await loadHostsFile(o.hosts), deployments: [] };
  }
  return { rulesets, inventory, window, params };
}

async function readAll(inputs: string[], o: CommonOpts, filter: StoreFilter, onFlow: (f: Flow) => void): Promise<SourceResult> {
  if (o.db) return readStore(o.db, filter, onFlow);
  const progress = progressReporter(o.progress !== false);
  const r = await readInputs(inputs, { ...readOptionsFrom(o), onProgress: progress.update }, onFlow);
  progress.done();
  return r;
}

function finish(src: SourceResult, o: CommonOpts): void {
  const bad = inputErrors(src.summaries);
  if (bad.length > 0) {
    process.stderr.write(formatSummary(bad) + '\n');
    process.stderr.write(`fwaudit diagnose: ${bad.length} input(s) could not be read; the verdict covers the others only\n`);
    process.exitCode = EXIT.INPUT;
  } else if (o.strict && malformedCount(src.summaries) > 0) {
    process.stderr.write(`--strict: ${malformedCount(src.summaries)} flow line(s) could not be read\n`);
    process.exitCode = EXIT.INPUT;
  }
}

function checkParams(params: Record<string, unknown>, rulesets: Ruleset[]): void {
  const known = new Set(rulesets.flatMap((r) => r.parameters.map((p) => p.id)));
  for (const k of Object.keys(params)) {
    if (!known.has(k)) throw new DiagnoseArgError(`--param ${k}: no such parameter in ${rulesets.map((r) => r.id).join(', ')} (known: ${[...known].sort().join(', ')})`);
  }
}

async function runRpc(inputs: string[], o: RpcOpts): Promise<void> {
  if (!o.from || !o.to) throw new DiagnoseArgError('diagnose rpc needs --from (the scanning server) and --to (the Windows computer), each an IP address or an inventory role');
  const { rulesets, inventory, window, params } = await setup(inputs, o);
  checkParams(params, rulesets);
  const from = parseEndpoint(o.from, '--from', inventory);
  const to = parseEndpoint(o.to, '--to', inventory);
  const d = new RpcDiagnosis({ from, to, window, legacy: !!o.legacyTarget, rulesets, inventory, params });
  const pair: [string, string] | undefined = from.single && to.single ? [from.single, to.single] : undefined;
  const src = await readAll(inputs, o, { window, pair }, (f) => d.observe(f));
  const r = d.result();
  process.stdout.write(o.json ? JSON.stringify(r) + '\n' : renderRpc(r, window));
  finish(src, o);
}

async function runSymptom(inputs: string[], o: SymptomOpts): Promise<void> {
  if (o.list) {
    const rulesets = resolveRulesets(o.ruleset);
    const items = listSymptoms(rulesets);
    process.stdout.write(o.json ? JSON.stringify({ rpc: { command: 'fwaudit diagnose rpc --from SERVER --to TARGET', text: 'The RPC server is unavailable' }, symptoms: items }) + '\n' : renderList(items));
    return;
  }
  if (!o.symptom) {
    throw new DiagnoseArgError('say which symptom: --symptom NAME [--product ID] (see fwaudit diagnose --list), or use "fwaudit diagnose rpc --from IP --to IP" for "The RPC server is unavailable"');
  }
  let host: string | null = null;
  if (o.host !== undefined) {
    host = canonicalIp(o.host.trim());
    if (host === null) throw new DiagnoseArgError(`--host expects an IP address, got "${o.host}"`);
  }
  const { rulesets, inventory, window, params } = await setup(inputs, o);
  const { rs, symptom } = findSymptom(rulesets, o.product, o.symptom);
  checkParams(params, [rs]);
  const d = new SymptomDiagnosis({ rs, symptom, host, window, inventory, params });
  const src = await readAll(inputs, o, { window, host: host ?? undefined }, (f) => d.observe(f));
  const r = d.result();
  process.stdout.write(o.json ? JSON.stringify(r) + '\n' : renderSymptom(r, window));
  finish(src, o);
}
