/** Checkpoint decisions (skip / resume / read anew) and the fingerprint of plain and gzip content. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decideCheckpoint, fingerprintOf, probeFile, sha256Hex, FINGERPRINT_BYTES, type Checkpoint } from '../src/pipeline/checkpoint.js';

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `line ${i + from} ${'x'.repeat(40)}\n`).join('');

function checkpointOf(content: Buffer, offset = content.length): Checkpoint {
  return { ...fingerprintOf(content), offset, size: content.length };
}

describe('fingerprintOf', () => {
  it('hashes the first 4 KiB, or the whole content when shorter', () => {
    const big = Buffer.from(lines(200));
    expect(fingerprintOf(big)).toEqual({ fingerprint: sha256Hex(big.subarray(0, FINGERPRINT_BYTES)), fingerprintBytes: 4096 });
    const small = Buffer.from('abc\n');
    expect(fingerprintOf(small)).toEqual({ fingerprint: sha256Hex(small), fingerprintBytes: 4 });
    expect(fingerprintOf(small).fingerprint).toBe('edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb');
  });
});

describe('decideCheckpoint', () => {
  const v1 = Buffer.from(lines(200));
  it('reads a file never seen', () => {
    expect(decideCheckpoint(null, { head: v1, size: v1.length })).toEqual({ action: 'read', reason: 'new' });
  });
  it('skips the same content fully read', () => {
    expect(decideCheckpoint(checkpointOf(v1), { head: v1.subarray(0, 4096), size: v1.length })).toEqual({ action: 'skip' });
  });
  it('resumes a grown file at the old offset', () => {
    const v2 = Buffer.concat([v1, Buffer.from(lines(10, 200))]);
    expect(decideCheckpoint(checkpointOf(v1), { head: v2.subarray(0, 4096), size: v2.length })).toEqual({ action: 'resume', offset: v1.length });
  });
  it('resumes a small file that grew past the fingerprint length (head compared over the old length)', () => {
    const small = Buffer.from('first\n');
    const grown = Buffer.concat([small, Buffer.from(lines(200))]);
    expect(decideCheckpoint(checkpointOf(small), { head: grown.subarray(0, 4096), size: grown.length })).toEqual({ action: 'resume', offset: 6 });
  });
  it('resumes at the held partial line when the size is unchanged but the offset is short of it', () => {
    const cp = checkpointOf(v1, v1.length - 10);
    expect(decideCheckpoint(cp, { head: v1.subarray(0, 4096), size: v1.length })).toEqual({ action: 'resume', offset: v1.length - 10 });
  });
  it('reads anew a truncated file (same head, smaller)', () => {
    const short = v1.subarray(0, 5000);
    expect(decideCheckpoint(checkpointOf(v1), { head: short.subarray(0, 4096), size: short.length })).toEqual({ action: 'read', reason: 'truncated' });
    const tiny = v1.subarray(0, 100);
    expect(decideCheckpoint(checkpointOf(v1), { head: tiny, size: tiny.length })).toEqual({ action: 'read', reason: 'truncated' });
  });
  it('reads anew a replaced file (other head)', () => {
    const other = Buffer.from(lines(300, 7));
    expect(decideCheckpoint(checkpointOf(v1), { head: other.subarray(0, 4096), size: other.length })).toEqual({ action: 'read', reason: 'replaced' });
  });
  it('resumes a compressed copy (size unknown) after the part read', () => {
    expect(decideCheckpoint(checkpointOf(v1), { head: v1.subarray(0, 4096), size: null })).toEqual({ action: 'resume', offset: v1.length });
  });
});

describe('probeFile', () => {
  it('gives the same fingerprint for a log and its gzip-rotated copy, and the plain size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-cp-'));
    const content = Buffer.from(lines(500));
    writeFileSync(join(dir, 'kern.log'), content);
    writeFileSync(join(dir, 'kern.log.2.gz'), gzipSync(content));
    const plain = await probeFile(join(dir, 'kern.log'));
    const gz = await probeFile(join(dir, 'kern.log.2.gz'));
    expect(plain.compressed).toBe(false);
    expect(plain.size).toBe(content.length);
    expect(plain.inode).toBeGreaterThan(0);
    expect(gz.compressed).toBe(true);
    expect(gz.size).toBeNull();
    expect(fingerprintOf(gz.head)).toEqual(fingerprintOf(plain.head));
    expect(fingerprintOf(plain.head).fingerprintBytes).toBe(4096);
    // a grown log is resumed where the earlier read stopped
    const cp = checkpointOf(content);
    appendFileSync(join(dir, 'kern.log'), 'one more\n');
    const grown = await probeFile(join(dir, 'kern.log'));
    expect(decideCheckpoint(cp, grown)).toEqual({ action: 'resume', offset: content.length });
  });
});
