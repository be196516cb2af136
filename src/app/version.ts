/**
 * Use case "version": fwaudit's version, the built-in rulesets' versions and the DuckDB version the
 * store uses — read from @duckdb/node-api's package.json, so DuckDB itself is not loaded.
 */
import { existsSync, readFileSync } from 'node:fs';
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

export async function versionInfo(): Promise<VersionInfo> {
  const { loadBuiltinRulesets } = await import('../rulesets/load.js');
  const pkg = duckdbPackageVersion();
  return {
    schema_version: 1,
    fwaudit: VERSION,
    node: process.versions.node,
    // "1.5.6-r.1" is node-api release 1 of DuckDB 1.5.6.
    duckdb: pkg ? pkg.replace(/-r\.\d+$/, '') : null,
    rulesets: loadBuiltinRulesets().map((r) => ({ id: r.id, version: r.version ?? null })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

export function versionText(v: VersionInfo): string {
  const lines = [`fwaudit ${v.fwaudit}`, `DuckDB ${v.duckdb ?? 'not installed'}`, `Node.js ${v.node}`, 'Rulesets:'];
  for (const r of v.rulesets) lines.push(`  ${r.id} ${r.version ?? '(no version)'}`);
  return lines.join('\n') + '\n';
}
