/**
 * Deployment inventory: which products run where, in which roles, with which parameters.
 *
 * ```yaml
 * hosts:                         # static name resolution for hostname requirements
 *   mirror.updateng.finjan.com: [203.0.113.10]
 * deployments:
 *   - product: groundlabs-er
 *     params: {}                 # overrides of ruleset parameters (version, ports)
 *     roles:
 *       master: [10.10.0.11]
 *       node-agent: [10.40.0.0/24, 10.41.0.1-10.41.0.99]
 * ```
 * Role entries are IPv4/IPv6 addresses, CIDRs, ranges `a-b`, or hostnames listed under `hosts` / in the
 * `--hosts` file. Every error is a ConfigError naming file, line and field.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isSeq, isScalar, type Node, type Pair } from 'yaml';
import { nodeLine, parseYamlLocated } from '../model/yaml.js';
import { ConfigError } from '../model/errors.js';
import { canonicalIp } from '../model/ip.js';
import type { Ruleset } from '../model/ruleset.js';
import { resolvePorts, PortSpecError } from '../rulesets/ports.js';
import { paramValues, requirementApplies } from '../rulesets/load.js';
import { AddrParseError, addToSet, emptyAddrSet, looksLikeAddress, normalizeSet, parseAddrEntry, parseV4Fast, type AddrSet } from './addr.js';

export interface Deployment {
  /** Ruleset id (gfi-languard, escan, groundlabs-er, finjan-vsos, …). */
  product: string;
  ruleset: Ruleset;
  /** Overrides as written; combine with ruleset defaults through `effectiveParams`. */
  params: Record<string, number | string | boolean>;
  roles: Map<string, AddrSet>;
  line: number;
}

export interface Inventory {
  file: string;
  /** Lower-case hostname → canonical addresses (inventory `hosts` plus the `--hosts` file). */
  hosts: Map<string, string[]>;
  deployments: Deployment[];
}

export interface InventoryOptions {
  /** Already-parsed `/etc/hosts`-style file (see parseHostsFile). */
  extraHosts?: Map<string, string[]>;
}

const HOSTNAME_RE = /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;

function addHost(map: Map<string, string[]>, name: string, ip: string): void {
  const key = name.toLowerCase().replace(/\.$/, '');
  const list = map.get(key);
  if (!list) map.set(key, [ip]);
  else if (!list.includes(ip)) list.push(ip);
}

/** Parses an `/etc/hosts`-style file: `ADDRESS NAME [ALIAS…]`, `#` comments. */
export function parseHostsFile(text: string, file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') continue;
    const parts = body.split(/\s+/);
    const ip = canonicalIp(parts[0]!);
    if (ip === null) throw new ConfigError(`"${parts[0]}" is not an IP address`, file, i + 1, 'address');
    if (parts.length < 2) throw new ConfigError(`address ${ip} has no hostname`, file, i + 1, 'hostname');
    for (const name of parts.slice(1)) {
      if (!HOSTNAME_RE.test(name)) throw new ConfigError(`"${name}" is not a hostname`, file, i + 1, 'hostname');
      addHost(out, name, ip);
    }
  }
  return out;
}

export async function loadHostsFile(path: string): Promise<Map<string, string[]>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read hosts file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path, null, null);
  }
  return parseHostsFile(text, path);
}

export async function loadInventory(path: string, rulesets: Ruleset[], opts: InventoryOptions = {}): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read inventory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path, null, null);
  }
  return parseInventory(text, path, rulesets, opts);
}

interface Run { values: string[]; lines: number[] }

const RUN_MIN = 32;
const RUN_KEY = /^\s+[A-Za-z0-9_.-]+:\s*$/;

/** Whether the character may be part of a run item's value (an address, CIDR or range: [0-9A-Fa-f.:/-]). */
function valueChar(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46 || c === 47 || c === 45;
}

/**
 * A run item line `<indent>- <value>` (indent: spaces, value: address characters, then only spaces, tabs or
 * a CR): the value's [start, end), its indent as the length, or null. Anything else is left to YAML.
 */
function runItem(text: string, a: number, b: number): { indent: number; v0: number; v1: number } | null {
  let i = a;
  while (i < b && text.charCodeAt(i) === 32) i++;
  const indent = i - a;
  if (indent === 0 || i + 2 >= b || text.charCodeAt(i) !== 45 || text.charCodeAt(i + 1) !== 32) return null;
  const v0 = i + 2;
  let j = v0;
  while (j < b && valueChar(text.charCodeAt(j))) j++;
  if (j === v0) return null;
  for (let k = j; k < b; k++) { const c = text.charCodeAt(k); if (c !== 32 && c !== 9 && c !== 13) return null; }
  return { indent, v0, v1: j };
}

/** Inventory YAML with long address lists taken out (`extractRuns`). */
interface Extracted { text: string; runs: Run[]; origLine: (line: number) => number }

/**
 * Long block lists of plain addresses under a role key (`client:` then `- 10.1.2.3` lines) are taken out of
 * the YAML text before parsing and replaced by one placeholder line each: the YAML parser costs ~30 µs a
 * line, the address parser well under 1 µs. Line numbers of everything else are mapped back (`origLine`).
 * The text is scanned in place (no string per line but the values kept), so a 100,000-entry inventory leaves
 * little garbage.
 */
function extractRuns(text: string): Extracted {
  const pieces: string[] = [];
  const runs: Run[] = [];
  const shifts: Array<[number, number]> = []; // [new line of the placeholder (1-based), lines removed]
  let kept = 0;        // text before this offset is in `pieces` (or replaced by a placeholder)
  let removed = 0;     // lines removed so far
  let prevA = -1, prevB = -1;
  let line = 0;        // 0-based number of the line at `a`
  for (let a = 0; a <= text.length;) {
    let b = text.indexOf('\n', a);
    if (b < 0) b = text.length;
    const item = prevA >= 0 ? runItem(text, a, b) : null;
    if (item) {
      const key = text.slice(prevA, prevB);
      if (RUN_KEY.test(key) && item.indent > key.search(/\S/)) {
        const values: string[] = [], nums: number[] = [];
        let a2 = a, b2 = b, l2 = line, lastA = a, it: ReturnType<typeof runItem> = item;
        while (it && it.indent === item.indent) {
          values.push(text.slice(it.v0, it.v1)); nums.push(l2 + 1);
          l2++; lastA = a2;
          if (b2 >= text.length) { a2 = text.length + 1; break; }
          a2 = b2 + 1;
          b2 = text.indexOf('\n', a2); if (b2 < 0) b2 = text.length;
          it = runItem(text, a2, b2);
        }
        // a more indented line after the run may continue the last item's plain scalar: that item is YAML's
        if (a2 <= text.length && values.length > 0) {
          let i = a2;
          while (i < b2 && text.charCodeAt(i) === 32) i++;
          if (i - a2 > item.indent && i < b2 && text.charCodeAt(i) !== 13) { values.pop(); nums.pop(); a2 = lastA; l2--; }
        }
        if (values.length >= RUN_MIN) {
          pieces.push(text.slice(kept, a), `${' '.repeat(item.indent)}- __fwaudit_run_${runs.length}__${a2 <= text.length ? '\n' : ''}`);
          shifts.push([line - removed + 1, values.length - 1]);
          removed += values.length - 1;
          runs.push({ values, lines: nums });
          kept = Math.min(a2, text.length);
          prevA = -1; prevB = -1;
          a = a2; line = l2;
          continue;
        }
      }
    }
    prevA = a; prevB = b;
    a = b + 1; line++;
  }
  if (runs.length === 0) return { text, runs, origLine: (l) => l };
  pieces.push(text.slice(kept));
  return {
    text: pieces.join(''), runs,
    origLine: (l) => { let o = l; for (const [at, n] of shifts) if (l > at) o += n; return o; },
  };
}

/** Parses inventory YAML text. Products must be among `rulesets` (matched by ruleset id). */
export function parseInventory(text0: string, file: string, rulesets: Ruleset[], opts: InventoryOptions = {}): Inventory {
  const { text, runs, origLine } = extractRuns(text0);
  const { doc, lc } = parseYamlLocated(text, file, { uniqueKeys: false });
  const lineOf = (n: Node | null | undefined): number | null => { const l = nodeLine(n, lc); return l === null ? null : origLine(l); };
  const fail = (msg: string, n: Node | null | undefined, field: string): never => {
    throw new ConfigError(msg, file, lineOf(n), field);
  };

  const root = doc.contents as Node | null;
  if (!root || !isMap(root)) fail('an inventory is a mapping with `deployments:` (and optional `hosts:`)', root, 'deployments');
  const rootMap = root as unknown as { items: Pair<Node, Node>[] };
  const byId = new Map(rulesets.map((r) => [r.id, r] as const));

  // hosts
  const hosts = new Map<string, string[]>();
  if (opts.extraHosts) for (const [n, ips] of opts.extraHosts) for (const ip of ips) addHost(hosts, n, ip);
  let deploymentsNode: Node | null = null;
  for (const item of rootMap.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '';
    if (key === 'hosts') {
      const hn = item.value;
      if (hn === null || (isScalar(hn) && hn.value === null)) continue;
      if (!isMap(hn)) fail('`hosts` maps hostnames to lists of addresses', hn, 'hosts');
      for (const hp of (hn as unknown as { items: Pair<Node, Node>[] }).items) {
        const name = isScalar(hp.key) ? String(hp.key.value) : '';
        if (!HOSTNAME_RE.test(name) || name.startsWith('*')) fail(`"${name}" is not a hostname`, hp.key, 'hosts');
        const vals = isSeq(hp.value) ? hp.value.items as Node[] : [hp.value];
        for (const v of vals) {
          const s = isScalar(v) ? String(v.value) : '';
          const ip = canonicalIp(s);
          if (ip === null) fail(`"${s}" is not an IP address`, v ?? hp.key, `hosts.${name}`);
          addHost(hosts, name, ip!);
        }
      }
    } else if (key === 'deployments') {
      deploymentsNode = item.value;
    } else {
      fail(`unknown key "${key}" (expected hosts, deployments)`, item.key as Node, key);
    }
  }
  if (!deploymentsNode || !isSeq(deploymentsNode)) fail('`deployments` must be a list', deploymentsNode ?? root, 'deployments');

  const deployments: Deployment[] = [];
  (deploymentsNode as unknown as { items: Node[] }).items.forEach((dn, di) => {
    const where = `deployments[${di}]`;
    if (!isMap(dn)) fail('a deployment is a mapping with product, params, roles', dn, where);
    let productNode: Node | null = null, paramsNode: Node | null = null, rolesNode: Node | null = null;
    for (const p of (dn as unknown as { items: Pair<Node, Node>[] }).items) {
      const k = isScalar(p.key) ? String(p.key.value) : '';
      if (k === 'product') productNode = p.value;
      else if (k === 'params') paramsNode = p.value;
      else if (k === 'roles') rolesNode = p.value;
      else if (k === 'name' || k === 'notes' || k === 'description') continue;
      else fail(`unknown key "${k}" (expected product, params, roles)`, p.key, `${where}.${k}`);
    }
    const product = productNode && isScalar(productNode) ? String(productNode.value) : '';
    if (!product) fail('missing `product`', dn, `${where}.product`);
    const rs = byId.get(product);
    if (!rs) fail(`unknown product "${product}" (known: ${[...byId.keys()].sort().join(', ') || 'none loaded'})`, productNode ?? dn, `${where}.product`);
    const ruleset = rs!;

    // params
    const params: Record<string, number | string | boolean> = {};
    const paramLines = new Map<string, Node>();
    if (paramsNode && !(isScalar(paramsNode) && paramsNode.value === null)) {
      if (!isMap(paramsNode)) fail('`params` must be a mapping of parameter → value', paramsNode, `${where}.params`);
      const known = new Set((ruleset.parameters ?? []).map((p) => p.id));
      for (const p of (paramsNode as unknown as { items: Pair<Node, Node>[] }).items) {
        const k = isScalar(p.key) ? String(p.key.value) : '';
        if (!known.has(k)) fail(`unknown parameter "${k}" for ${product} (known: ${[...known].sort().join(', ') || 'none'})`, p.key, `${where}.params.${k}`);
        const v = isScalar(p.value) ? p.value.value : undefined;
        if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') {
          fail(`parameter "${k}" must be a number, text or true/false`, p.value ?? p.key, `${where}.params.${k}`);
        }
        const def = (ruleset.parameters ?? []).find((d) => d.id === k)!;
        const type = def.type ?? (typeof def.default === 'boolean' ? 'boolean' : typeof def.default === 'number' ? 'number' : undefined);
        if ((type === 'number' || type === 'port') && !(typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)*$/.test(v.trim())))) {
          fail(`parameter "${k}" must be a number, got "${String(v)}"`, p.value ?? p.key, `${where}.params.${k}`);
        }
        if (type === 'boolean' && typeof v !== 'boolean') fail(`parameter "${k}" must be true or false, got "${String(v)}"`, p.value ?? p.key, `${where}.params.${k}`);
        params[k] = v as number | string | boolean;
        paramLines.set(k, (p.value ?? p.key) as Node);
      }
    }
    // Every active requirement's ports must resolve with these params.
    const eff = paramValues(ruleset, params);
    for (const req of ruleset.requirements) {
      if (!requirementApplies(req, eff)) continue;
      try {
        resolvePorts(req.ports, eff);
      } catch (e) {
        if (!(e instanceof PortSpecError)) throw e;
        const ref = /\$\{([A-Za-z0-9_.-]+)\}/.exec(JSON.stringify(req.ports))?.[1];
        const at = (ref && paramLines.get(ref)) || paramsNode || dn;
        fail(`requirement ${req.id}: ${e.message}`, at, `${where}.params${ref ? `.${ref}` : ''}`);
      }
    }

    // roles
    const roles = new Map<string, AddrSet>();
    if (!rolesNode || !isMap(rolesNode)) fail('`roles` must be a mapping of role → list of addresses', rolesNode ?? dn, `${where}.roles`);
    for (const p of (rolesNode as unknown as { items: Pair<Node, Node>[] }).items) {
      const role = isScalar(p.key) ? String(p.key.value) : '';
      if (!(role in ruleset.roles) && role !== 'internet') {
        fail(`unknown role "${role}" for ${product} (roles: ${Object.keys(ruleset.roles).sort().join(', ')})`, p.key, `${where}.roles.${role}`);
      }
      const set = roles.get(role) ?? emptyAddrSet();
      const vals: Node[] = isSeq(p.value) ? (p.value.items as Node[]) : p.value && isScalar(p.value) && p.value.value !== null ? [p.value] : [];
      if (vals.length === 0) fail(`role "${role}" lists no addresses`, p.value ?? p.key, `${where}.roles.${role}`);
      const field = `${where}.roles.${role}`;
      /** One entry: from a run (`line` known: no YAML node) or a YAML scalar `v`. */
      const add = (s: string, v: Node, line: number | null): void => {
        const hostname = !looksLikeAddress(s) && HOSTNAME_RE.test(s);
        if (!hostname) {
          const fast = parseV4Fast(s);
          if (fast) { set.v4.push(fast); set.text.push(s); return; }
          try { addToSet(set, parseAddrEntry(s)); } catch (e) {
            if (!(e instanceof AddrParseError)) throw e;
            if (line !== null) throw new ConfigError(e.message, file, line, field);
            fail(e.message, v, field);
          }
          set.text.push(s);
          return;
        }
        const ips = hosts.get(s.toLowerCase().replace(/\.$/, ''));
        if (!ips) {
          const msg = `hostname "${s}" does not resolve (list it under hosts: or in the --hosts file)`;
          if (line !== null) throw new ConfigError(msg, file, line, field);
          fail(msg, v, field);
        }
        for (const ip of ips!) addToSet(set, parseAddrEntry(ip));
        set.text.push(s);
      };
      for (const v of vals) {
        const s = isScalar(v) ? String(v.value).trim() : '';
        const rm = /^__fwaudit_run_(\d+)__$/.exec(s);
        if (rm) {
          const run = runs[Number(rm[1])]!;
          for (let k = 0; k < run.values.length; k++) add(run.values[k]!, v, run.lines[k]!);
        } else add(s, v, null);
      }
      roles.set(role, normalizeSet(set));
    }
    deployments.push({ product, ruleset, params, roles, line: lineOf(dn) ?? 0 });
  });

  return { file, hosts, deployments };
}
