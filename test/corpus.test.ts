/**
 * The public corpus against Elastic's expected outputs: every `*-expected.json` beside a log in
 * ../shared/corpus is parsed with the parser family of its directory, read in the expected event's own
 * `event.timezone` (UTC when it has none, as Elastic's pipelines assume), and every flow's `ts` must be
 * the expected `@timestamp`, flow by flow. Skipped (not passed) when the corpus is absent.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { panos } from '../parsers/panos/index.js';
import { wfp } from '../parsers/wfp.js';
import { iptables } from '../parsers/iptables.js';
import type { ParserModule } from '../parsers/types.js';
import { parseText } from './helpers/parse-text.js';
import { missingPath } from './helpers/prereqs.js';

const CORPUS = join(fileURLToPath(new URL('..', import.meta.url)), '..', 'shared', 'corpus');
const DIRS: Array<[string, ParserModule]> = [['panos', panos], ['wfp-events', wfp], ['iptables', iptables]];

function flatten(o: unknown, pre = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) flatten(v, pre ? `${pre}.${k}` : k, out);
  } else out[pre] = o;
  return out;
}

const cases: Array<{ dir: string; mod: ParserModule; expected: string; input: string }> = [];
if (existsSync(CORPUS)) {
  for (const [dir, mod] of DIRS) {
    for (const n of readdirSync(join(CORPUS, dir)).filter((x) => x.endsWith('-expected.json')).sort()) {
      cases.push({ dir, mod, expected: n, input: n.slice(0, -'-expected.json'.length) });
    }
  }
}

describe.skipIf(missingPath(CORPUS))('corpus: timestamps agree with Elastic expected @timestamp (event.timezone)', () => {
  it('finds the Elastic expected files', () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
  });
  for (const c of cases) {
    it(`${c.dir}/${c.input}`, () => {
      const raw = JSON.parse(readFileSync(join(CORPUS, c.dir, c.expected), 'utf8')) as unknown;
      const events = (Array.isArray(raw) ? raw : (raw as { expected: unknown[] }).expected).map((e) => flatten(e));
      const tzs = new Set(events.map((e) => (e['event.timezone'] as string | undefined) ?? 'UTC'));
      expect(tzs.size, 'one zone per expected file').toBe(1);
      const tz = [...tzs][0]!;
      const r = parseText(c.mod, readFileSync(join(CORPUS, c.dir, c.input), 'utf8'), { file: c.input, tz, year: 2026 });
      expect(r.flows).toHaveLength(events.length);
      events.forEach((e, i) => {
        const want = Date.parse(String(e['@timestamp']));
        expect(Number.isFinite(want), `@timestamp of event ${i + 1}`).toBe(true);
        expect([i + 1, new Date(r.flows[i]!.ts!).toISOString()]).toEqual([i + 1, new Date(want).toISOString()]);
      });
    });
  }
});
