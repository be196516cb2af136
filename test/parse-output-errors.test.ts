/**
 * A write error of the output file while the inputs are still being read (a full disk) is an OutputError
 * naming the path, on one thread and when the workers render, never an internal error.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseLogs } from '../src/app/parse.js';
import { OutputError } from '../src/model/errors.js';
import { ROOT } from './helpers/cli.js';

const tiny = { rangeBytes: 2000, splitMinBytes: 0, minTotalBytes: 0, split: true };
const unused = new Writable({ write(_c, _e, cb) { cb(); } });

describe('parse: the output cannot be written', () => {
  for (const jobs of [1, 2]) {
    it.skipIf(!existsSync('/dev/full'))(`/dev/full (${jobs === 1 ? 'one thread' : 'rendered in the workers'}): OutputError naming the path`, async () => {
      const inputs = [join(ROOT, 'fixtures/demo/logs')];
      const err = await parseLogs({ inputs, read: { tz: 'UTC', year: 2026, jobs, poolTuning: tiny }, out: '/dev/full', outFormat: 'jsonl', schema: 'native', stdout: unused }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutputError);
      expect((err as OutputError).message).toBe('cannot write /dev/full: ENOSPC');
      expect((err as OutputError).path).toBe('/dev/full');
    });
  }
});
