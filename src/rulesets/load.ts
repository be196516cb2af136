/**
 * Loading and validating rulesets: the built-in product rulesets in <package root>/rulesets/*.yaml and
 * user files given with --ruleset FILE. Every error is a ConfigError naming file, line and field.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lineOfPath, parseYamlLocated, type LocatedYaml } from '../model/yaml.js';
import { ConfigError } from '../model/errors.js';
import type { ParameterDef, ParameterType, Requirement, Ruleset } from '../model/ruleset.js';
import { PortSpecError, resolvePorts, type ParamValues } from './ports.js';
import { BUILTIN_ROLES, PORTED_TRANSPORTS, rulesetFileSchema, WHEN_OPS, type RulesetFile } from './schema.js';

export { ConfigError } from '../model/errors.js';

import type { PathSeg } from '../model/yaml.js';

// ---------------------------------------------------------------------------------------------------
// Package root and built-in rulesets

let packageRootCache: string | null = null;

/** The directory holding package.json, found by walking up from this module (src/ or dist/src/). */
export function packageRoot(): string {
  if (packageRootCache) return packageRootCache;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return (packageRootCache = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function builtinRulesetDir(): string {
  return path.join(packageRoot(), 'rulesets');
}

/** Built-in ruleset files, sorted by name. */
export function builtinRulesetFiles(): string[] {
  const dir = builtinRulesetDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

let builtinCache: Ruleset[] | null = null;

/** Where the build writes the built-in rulesets, validated and compiled to JSON (scripts/compile-rulesets.mjs). */
export function compiledRulesetsPath(): string {
  return path.join(packageRoot(), 'dist', 'rulesets.compiled.json');
}

interface CompiledRulesets {
  version: 1;
  sources: Array<{ file: string; size: number; mtimeMs: number }>;
  rulesets: Ruleset[];
}

/** The build-time compilation of the built-in rulesets, when it matches the YAML files (name, size, mtime); else null. */
function loadCompiledBuiltins(files: string[]): Ruleset[] | null {
  const p = compiledRulesetsPath();
  if (!existsSync(p)) return null;
  try {
    const c = JSON.parse(readFileSync(p, 'utf8')) as CompiledRulesets;
    if (c.version !== 1 || c.sources.length !== files.length) return null;
    const root = packageRoot();
    for (let i = 0; i < files.length; i++) {
      const src = c.sources[i]!;
      if (path.join(root, src.file) !== files[i]) return null;
      const st = statSync(files[i]!);
      if (st.size !== src.size || st.mtimeMs !== src.mtimeMs) return null;
    }
    return c.rulesets.map((r) => ({ ...r, file: path.join(root, r.file) }));
  } catch {
    return null; // unreadable or from another version: parse the YAML
  }
}

/** Validates the built-in YAML files and returns the JSON the build stores (throws the first ConfigError). */
export function compileBuiltinRulesets(): string {
  const root = packageRoot();
  const files = builtinRulesetFiles();
  const rulesets = files.map((f) => loadRuleset(f));
  const c: CompiledRulesets = {
    version: 1,
    sources: files.map((f) => { const st = statSync(f); return { file: path.relative(root, f), size: st.size, mtimeMs: st.mtimeMs }; }),
    rulesets: rulesets.map((r) => ({ ...r, file: path.relative(root, r.file) })),
  };
  return JSON.stringify(c);
}

/**
 * All built-in rulesets (loaded once per process). Read from the build's compiled JSON when it matches the
 * YAML files (validated once at build time), else parsed and validated from the YAML. A broken built-in file
 * throws its ConfigError.
 */
export function loadBuiltinRulesets(): Ruleset[] {
  if (!builtinCache) {
    const files = builtinRulesetFiles();
    builtinCache = loadCompiledBuiltins(files) ?? files.map((f) => loadRuleset(f));
  }
  return builtinCache;
}

/**
 * Each spec is a built-in id (`gfi-languard`), `all` (every built-in) or a file path.
 * No specs → all built-ins. Two rulesets with the same id are an error.
 */
export function resolveRulesets(specs: string[]): Ruleset[] {
  if (specs.length === 0) return loadBuiltinRulesets();
  const out: Ruleset[] = [];
  const seen = new Map<string, string>();
  const add = (rs: Ruleset, spec: string): void => {
    const prev = seen.get(rs.id);
    if (prev !== undefined) {
      if (prev === rs.file) return;
      throw new ConfigError(`ruleset id "${rs.id}" is also defined by ${prev}`, spec, null, 'id');
    }
    seen.set(rs.id, rs.file);
    out.push(rs);
  };
  for (const spec of specs) {
    if (spec === 'all') {
      for (const rs of loadBuiltinRulesets()) add(rs, rs.file);
      continue;
    }
    const builtin = loadBuiltinRulesets().find((r) => r.id === spec);
    if (builtin && !(existsSync(spec) && statSync(spec).isFile())) {
      add(builtin, spec);
      continue;
    }
    if (existsSync(spec) && statSync(spec).isFile()) {
      add(loadRuleset(spec), spec);
      continue;
    }
    const ids = loadBuiltinRulesets().map((r) => r.id).join(', ');
    throw new ConfigError(`no such ruleset file or built-in ruleset (built-ins: ${ids})`, spec, null, null);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Loading one file

export interface ValidationResult {
  ruleset: Ruleset | null;
  errors: ConfigError[];
}

/** Loads one ruleset file; throws the first ConfigError (the message says how many more there are). */
export function loadRuleset(file: string): Ruleset {
  const r = validateRulesetFile(file);
  if (r.errors.length > 0 || !r.ruleset) {
    const first = r.errors[0]!;
    if (r.errors.length === 1) throw first;
    throw new ConfigError(`${first.message} (and ${r.errors.length - 1} more error(s); run "fwaudit rulesets validate ${file}")`, first.file, first.line, first.field);
  }
  return r.ruleset;
}

export function validateRulesetFile(file: string): ValidationResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ruleset: null, errors: [new ConfigError(`cannot read: ${(e as Error).message}`, file, null, null)] };
  }
  return validateRulesetText(text, file);
}

/** Parses and validates ruleset YAML text; collects every error found. */
export function validateRulesetText(text: string, file: string): ValidationResult {
  let located: LocatedYaml;
  try { located = parseYamlLocated(text, file); } catch (e) {
    if (e instanceof ConfigError) return { ruleset: null, errors: [e] };
    throw e;
  }
  const { doc, lc } = located;
  const raw: unknown = located.value;
  const at = (p: PathSeg[]) => lineOfPath(doc, lc, p);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ruleset: null, errors: [new ConfigError('a ruleset file must be a YAML mapping (id, product, roles, parameters, requirements, symptoms)', file, 1, null)] };
  }
  const parsed = rulesetFileSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ruleset: null,
      errors: parsed.error.issues.map((iss) => {
        const p = iss.path.filter((s): s is PathSeg => typeof s === 'string' || typeof s === 'number');
        if (iss.code === 'unrecognized_keys') {
          return new ConfigError(iss.message, file, at([...p, iss.keys[0]!]), fieldName(raw, [...p, iss.keys[0]!]));
        }
        const missing = p.length > 0 && valueAt(raw, p) === undefined;
        return new ConfigError(missing ? `required field is missing (${iss.message})` : iss.message, file, at(p), fieldName(raw, p) || null);
      }),
    };
  }
  const errors = checkSemantics(parsed.data, (msg, p) => new ConfigError(msg, file, at(p), fieldName(raw, p) || null));
  if (errors.length > 0) return { ruleset: null, errors };
  return { ruleset: toRuleset(parsed.data, file), errors: [] };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function toRuleset(d: RulesetFile, file: string): Ruleset {
  const rs: Ruleset = {
    id: d.id,
    product: d.product,
    roles: d.roles,
    parameters: d.parameters.map((p) => ({ ...p, type: p.type ?? inferType(p.default) })),
    requirements: d.requirements.map((r) => {
      const req: Requirement = { ...r };
      for (const k of Object.keys(req) as Array<keyof Requirement>) if (req[k] === undefined) delete req[k];
      return req;
    }),
    file,
  };
  if (d.version !== undefined) rs.version = d.version;
  if (d.description !== undefined) rs.description = d.description;
  if (d.documents !== undefined) rs.documents = d.documents.map((x) => ({ ...x }));
  if (d.symptoms !== undefined) rs.symptoms = d.symptoms;
  return rs;
}

// ---------------------------------------------------------------------------------------------------
// Semantic checks

function inferType(v: number | string | boolean): ParameterType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  try {
    resolvePorts(v);
    return 'ports';
  } catch {
    return 'string';
  }
}

function checkSemantics(d: RulesetFile, err: (msg: string, p: PathSeg[]) => ConfigError): ConfigError[] {
  const errors: ConfigError[] = [];
  const roles = new Set<string>([...Object.keys(d.roles), ...BUILTIN_ROLES]);
  for (const r of BUILTIN_ROLES) if (r in d.roles) errors.push(err(`"${r}" is a built-in role; do not declare it`, ['roles', r]));

  // parameters
  const params = new Map<string, ParameterDef & { type: ParameterType }>();
  d.parameters.forEach((p, i) => {
    if (params.has(p.id)) errors.push(err(`duplicate parameter id "${p.id}"`, ['parameters', i, 'id']));
    const type = p.type ?? inferType(p.default);
    params.set(p.id, { ...p, type });
    const bad = (m: string) => errors.push(err(m, ['parameters', i, 'default']));
    switch (type) {
      case 'boolean':
        if (typeof p.default !== 'boolean') bad(`default of a boolean parameter must be true or false`);
        break;
      case 'number':
        if (typeof p.default !== 'number') bad(`default of a number parameter must be a number`);
        break;
      case 'port':
        if (typeof p.default !== 'number' || !Number.isInteger(p.default) || p.default < 0 || p.default > 65535)
          bad(`default of a port parameter must be a port number 0-65535`);
        break;
      case 'ports':
        if (typeof p.default === 'boolean') bad('default of a ports parameter must be a port spec such as "1072-1170"');
        else {
          try {
            resolvePorts(typeof p.default === 'number' ? p.default : p.default);
          } catch (e) {
            bad((e as Error).message);
          }
        }
        break;
      case 'string':
        break;
    }
  });
  const defaults: Record<string, number | string | boolean> = {};
  for (const [id, p] of params) defaults[id] = p.default;

  // documents
  const docs = d.documents ? new Set(d.documents.map((x) => x.file)) : null;

  // requirements
  const reqIds = new Set<string>();
  d.requirements.forEach((r, i) => {
    const P = (...rest: PathSeg[]): PathSeg[] => ['requirements', i, ...rest];
    if (reqIds.has(r.id)) errors.push(err(`duplicate requirement id "${r.id}"`, P('id')));
    reqIds.add(r.id);
    if (!roles.has(r.from)) errors.push(err(`unknown role "${r.from}" (declared: ${[...roles].join(', ')})`, P('from')));
    if (r.to !== undefined && !roles.has(r.to)) errors.push(err(`unknown role "${r.to}" (declared: ${[...roles].join(', ')})`, P('to')));
    if (r.to === undefined && r.hosts === undefined) errors.push(err('a requirement needs `to` (a role) or `hosts` (destination names)', P('from')));
    const ported = (PORTED_TRANSPORTS as readonly string[]).includes(r.transport);
    if (ported && r.ports === null) errors.push(err(`${r.transport} requirements need ports`, P('ports')));
    if (!ported && r.ports !== null) errors.push(err(`${r.transport} has no ports; write ports: null`, P('ports')));
    if (r.ports !== null) {
      const atoms = Array.isArray(r.ports) ? r.ports : [r.ports];
      let refsOk = true;
      atoms.forEach((a, j) => {
        if (typeof a !== 'string') return;
        for (const m of a.matchAll(/\$\{([^}]*)\}/g)) {
          const p = params.get(m[1]!);
          const where = Array.isArray(r.ports) ? P('ports', j) : P('ports');
          if (!p) {
            errors.push(err(`unknown parameter "${m[1]}" (declared: ${[...params.keys()].join(', ') || 'none'})`, where));
            refsOk = false;
          } else if (p.type !== 'port' && p.type !== 'ports') {
            errors.push(err(`parameter "${m[1]}" is a ${p.type}, not a port or port spec`, where));
            refsOk = false;
          }
        }
      });
      if (refsOk) {
        try {
          resolvePorts(r.ports, defaults as ParamValues);
        } catch (e) {
          if (!(e instanceof PortSpecError)) throw e;
          errors.push(err(e.message, P('ports')));
        }
      }
    }
    if (r.necessity === 'conditional') {
      if (!r.when) errors.push(err('a conditional requirement needs `when` (a condition on a parameter)', P('necessity')));
      if (!r.condition) errors.push(err('a conditional requirement needs `condition` (the condition in words)', P('necessity')));
    }
    if (r.necessity === 'required' && r.when) errors.push(err('a required requirement cannot have `when`; use necessity: conditional', P('when')));
    if (r.when) {
      const p = params.get(r.when.param);
      if (!p) errors.push(err(`unknown parameter "${r.when.param}" (declared: ${[...params.keys()].join(', ') || 'none'})`, P('when', 'param')));
      else {
        const op = WHEN_OPS.find((o) => (r.when as Record<string, unknown>)[o] !== undefined)!;
        const v = (r.when as Record<string, unknown>)[op];
        if (p.type === 'boolean' && !((op === 'eq' || op === 'ne') && typeof v === 'boolean'))
          errors.push(err(`parameter "${p.id}" is boolean: use eq: true|false or ne: true|false`, P('when', op)));
        else if ((op === 'lt' || op === 'lte' || op === 'gt' || op === 'gte') && !(p.type === 'number' || p.type === 'port' || p.type === 'string'))
          errors.push(err(`${op} needs a number (or version) parameter; "${p.id}" is ${p.type}`, P('when', op)));
      }
    }
    if (docs && !docs.has(r.source.document))
      errors.push(err(`source document "${r.source.document}" is not listed under documents`, P('source', 'document')));
  });

  // symptoms
  const symIds = new Set<string>();
  (d.symptoms ?? []).forEach((s, i) => {
    if (symIds.has(s.id)) errors.push(err(`duplicate symptom id "${s.id}"`, ['symptoms', i, 'id']));
    symIds.add(s.id);
    s.requirements.forEach((rid, j) => {
      if (!reqIds.has(rid)) errors.push(err(`unknown requirement "${rid}"`, ['symptoms', i, 'requirements', j]));
    });
  });
  return errors;
}

// ---------------------------------------------------------------------------------------------------
// Mapping a data path to a line and a readable field name

function valueAt(raw: unknown, p: PathSeg[]): unknown {
  let cur: unknown = raw;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** `requirements[agent-to-server].ports`, `parameters[agent_port].default`, `roles.server`. */
function fieldName(raw: unknown, p: PathSeg[]): string {
  let out = '';
  let cur: unknown = raw;
  for (const seg of p) {
    if (typeof seg === 'number') {
      const item = Array.isArray(cur) ? cur[seg] : undefined;
      const id = item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? (item as { id: string }).id : null;
      out += id ? `[${id}]` : `[${seg}]`;
      cur = item;
    } else {
      out += out ? `.${seg}` : seg;
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

export { evaluateWhen, paramValues, requirementApplies } from './conditions.js';
