/**
 * Use case "version": fwaudit's version, the built-in rulesets' versions and the DuckDB version the
 * store uses — read from @duckdb/node-api's package.json, so DuckDB itself is not loaded.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot, VERSION } from '../version.js';

export interface VersionInfo {
  schema_version: 1;
  fwaudit: string;
  node: string;
  /** DuckDB release of the bundled @duckdb/node-api (null when it is not installed). */
  duckdb: string | null;
  rulesets: Array<{ id: string; version: string | null }>;
}

/** Version of @duckdb/node-api ("1.5.6-r.1"), looked up in node_modules from the package root upwards. */
function duckdbPackageVersion(): string | null {
  let dir = packageRoot();
  for (let i = 0; i < 8; i++) {
    const p = join(dir, 'node_modules', '@duckdb', 'node-api', 'package.json');
    if (existsSync(p)) {
      try { return (JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? null; } catch { return null; }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** A top-level scalar of a ruleset file (`id: x`, `version: "9.2"`), read without loading the YAML parser. */
function topLevelScalar(text: string, key: string): string | null {
  const m = new RegExp(`^${key}:[ \\t]*(.*?)[ \\t]*$`, 'm').exec(text);
  if (!m || m[1] === undefined || m[1] === '' || m[1].startsWith('#')) return null;
  const v = m[1];
  if (v.startsWith('"')) { try { return JSON.parse(v) as string; } catch { return v; } }
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  return v.replace(/\s+#.*$/, '');
}

/** Ids and versions of the built-in rulesets (the files under rulesets/ of the package). */
function builtinRulesetVersions(): Array<{ id: string; version: string | null }> {
  const dir = join(packageRoot(), 'rulesets');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f)).sort().map((f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    return { id: topLevelScalar(text, 'id') ?? f.replace(/\.ya?ml$/i, ''), version: topLevelScalar(text, 'version') };
  });
}

export async function versionInfo(): Promise<VersionInfo> {
  const pkg = duckdbPackageVersion();
  return {
    schema_version: 1,
    fwaudit: VERSION,
    node: process.versions.node,
    // "1.5.6-r.1" is node-api release 1 of DuckDB 1.5.6.
    duckdb: pkg ? pkg.replace(/-r\.\d+$/, '') : null,
    rulesets: builtinRulesetVersions(),
  };
}

export function versionText(v: VersionInfo): string {
  const lines = [`fwaudit ${v.fwaudit}`, `DuckDB ${v.duckdb ?? 'not installed'}`, `Node.js ${v.node}`, 'Rulesets:'];
  for (const r of v.rulesets) lines.push(`  ${r.id} ${r.version ?? '(no version)'}`);
  return lines.join('\n') + '\n';
}
