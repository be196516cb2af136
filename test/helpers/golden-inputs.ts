/** The golden fixtures (inputs with an `.expected.jsonl` beside them) and their reading options. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface GoldenInput { input: string; tz: string; year?: number }

export function goldenInputs(): GoldenInput[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/golden.json'), 'utf8')) as Record<string, { tz?: string; year?: number }>;
  const out: GoldenInput[] = [];
  for (const fam of ['winfw', 'wfp', 'iptables', 'panos']) {
    const dir = join(ROOT, 'fixtures', fam);
    const names = readdirSync(dir).sort();
    for (const name of names) {
      if (!name.endsWith('.expected.jsonl')) continue;
      const stem = name.slice(0, -'.expected.jsonl'.length);
      const input = names.find((n) => n !== name && !n.endsWith('.expected.jsonl') && (n === stem || n.replace(/\.[^.]+$/, '') === stem || n.replace(/\./g, '-') === stem));
      if (!input) continue;
      const rel = `fixtures/${fam}/${input}`;
      const o = manifest[rel] ?? {};
      out.push({ input: rel, tz: o.tz ?? 'UTC', ...(o.year ? { year: o.year } : {}) });
    }
  }
  return out;
}
