/**
 * The checkpoint scan beside the read (src/store/checkpoints.ts `anewWhole`): a plain file that no checkpoint's
 * fingerprint matches, all of whose bytes are to be read, gets the checkpoint `decide` gives — computed over exactly
 * the bytes it had when it was decided, however much it grows while it is read; files whose scan must come first
 * (a held last line, checkpoints to compare, gzip) get none.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { anewWhole, decide, fileFacts, readHead } from '../src/store/checkpoints.js';
import type { CheckpointRow } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-anew-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINES = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}\n`).join('');

async function both(path: string, now: number) {
  const facts = await fileFacts(path);
  const head = await readHead(path, facts.container);
  return { facts, head, early: await anewWhole(path, facts, head, [], now), decided: await decide(path, facts, head, [], now) };
}

describe('anewWhole: the checkpoint of a new file, scanned beside its read', () => {
  it('is the checkpoint decide gives (settled file; recent file ending with a newline), of the bytes it was decided on', async () => {
    const p = join(dir, 'a.log');
    writeFileSync(p, LINES);
    for (const now of [Date.now() + 3_600_000, Date.now()]) {
      const { facts, early, decided } = await both(p, now);
      expect(early).not.toBeNull();
      expect(decided.kind).toBe('anew');
      const scan = await early!.scan();
      expect(scan).toEqual(decided.kind === 'anew' ? decided.scan : null);
      expect(scan.endLine).toBe(3000);
      expect(scan.endOffset).toBe(facts.size);
    }
    // the file grows after the decision: the scan still covers the bytes decided on
    const { facts, early, decided } = await both(p, Date.now() + 3_600_000);
    appendFileSync(p, 'more 1\nmore 2\n');
    const scan = await early!.scan();
    expect(scan).toEqual(decided.kind === 'anew' ? decided.scan : null);
    expect(scan.endOffset).toBe(facts.size);
  });

  it('none for a recent file whose last line has no newline yet, for gzip, for an empty file, or with checkpoints to compare', async () => {
    const p = join(dir, 'b.log');
    writeFileSync(p, `${LINES}partial`);
    expect((await both(p, Date.now())).early).toBeNull();
    // settled: the last line is read, and counted
    utimesSync(p, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const settled = await both(p, Date.now());
    expect(settled.early).not.toBeNull();
    expect((await settled.early!.scan()).endLine).toBe(3001);
    const gz = join(dir, 'c.log.gz');
    writeFileSync(gz, gzipSync(Buffer.from(LINES)));
    expect((await both(gz, Date.now())).early).toBeNull();
    const empty = join(dir, 'd.log');
    writeFileSync(empty, '');
    expect((await both(empty, Date.now())).early).toBeNull();
    const facts = await fileFacts(p);
    const head = await readHead(p, facts.container);
    expect(await anewWhole(p, facts, head, [{ end_offset: 10 } as CheckpointRow], Date.now())).toBeNull();
  });
});
