/**
 * Golden files through the real CLI: every `fixtures/<family>/<dialect>.<ext>` with an
 * `<dialect>.expected.jsonl` beside it is parsed by `fwaudit parse` (detection, decoding and framing
 * included) and compared field by field, flow by flow, with the reviewed expected output.
 * A new fixture is covered by adding the two files (and, if needed, its options in fixtures/golden.json).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, jsonLines } from './helpers/cli.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/golden.json'), 'utf8')) as Record<string, { tz?: string; year?: number }>;
const FAMILIES = ['winfw', 'wfp', 'iptables', 'panos'];

const cases: Array<{ input: string; expected: string }> = [];
for (const fam of FAMILIES) {
  const dir = join(ROOT, 'fixtures', fam);
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.expected.jsonl')) continue;
    const stem = name.slice(0, -'.expected.jsonl'.length);
    const input = readdirSync(dir).find((n) => n !== name && !n.endsWith('.expected.jsonl') && (n === stem || n.replace(/\.[^.]+$/, '') === stem || n.replace(/\./g, '-') === stem));
    if (input) cases.push({ input: `fixtures/${fam}/${input}`, expected: `fixtures/${fam}/${name}` });
  }
}

describe('golden fixtures through fwaudit parse', () => {
  it('has a golden fixture for every family', () => {
    for (const fam of FAMILIES) expect(cases.some((c) => c.input.startsWith(`fixtures/${fam}/`)), fam).toBe(true);
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });
  for (const c of cases) {
    it(c.input, () => {
      const o = manifest[c.input] ?? {};
      const args = ['parse', c.input, '--tz', o.tz ?? 'UTC', ...(o.year ? ['--year', String(o.year)] : [])];
      const r = runCli(args);
      expect(r.code, r.stderr).toBe(0);
      const got = jsonLines(r.stdout).map(({ community_id: _c, ...rest }) => rest);
      const want = jsonLines(readFileSync(join(ROOT, c.expected), 'utf8'));
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i], `${c.input} flow #${i + 1}`).toEqual(want[i]);
    });
  }
  it('every expected file has its input', () => {
    for (const fam of FAMILIES) {
      for (const n of readdirSync(join(ROOT, 'fixtures', fam)).filter((x) => x.endsWith('.expected.jsonl'))) {
        expect(cases.some((c) => c.expected === `fixtures/${fam}/${n}`), n).toBe(true);
      }
    }
    expect(existsSync(join(ROOT, 'fixtures/golden.json'))).toBe(true);
  });
});
