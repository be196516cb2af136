/**
 * Checkpoints for durable ingest (Vector's file source, Filebeat's registry): an input is known by a
 * fingerprint of its content's head, not by its name, and the byte offset read so far. A restart then
 * neither loses nor repeats a line; a renamed or gzip-rotated copy of a log already read is skipped.
 *
 *   previous {fingerprint, fingerprintBytes, offset, size}  +  current {head, size}
 *     → skip            same content, nothing beyond what was read
 *     → resume(offset)  same head, the file grew: ReadOptions.startOffsets.set(path, offset)
 *     → read            new file, or truncated / replaced (different head, shrank): read from 0
 *
 * The fingerprint is the hex SHA-256 of the first FINGERPRINT_BYTES bytes of the decompressed content
 * (of the whole content when shorter): a log and its gzip-compressed rotation have the same one.
 * Limitation (as in Vector): a file truncated and then rewritten with the same first 4 KiB and grown
 * past the old size between two reads is taken for the same file; compare device+inode as well when
 * the log is rotated by renaming.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';

export const FINGERPRINT_BYTES = 4096;

/** What a store keeps per input after a read (from InputSummary). */
export interface Checkpoint {
  fingerprint: string;
  /** How many leading content bytes the fingerprint covers (≤ FINGERPRINT_BYTES). */
  fingerprintBytes: number;
  /** InputSummary.endOffset of the last read. */
  offset: number;
  /** Content size at the last read (decompressed bytes; = offset when read to the end). */
  size: number;
}

/** The current state of a file: the first FINGERPRINT_BYTES content bytes and its content size. */
export interface CurrentContent {
  head: Buffer;
  /** Content size in bytes; null when unknown without decompressing the whole input (gzip). */
  size: number | null;
}

export type CheckpointDecision =
  | { action: 'skip' }
  | { action: 'resume'; offset: number }
  | { action: 'read'; reason: 'new' | 'replaced' | 'truncated' };

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Fingerprint of a content head (only the first FINGERPRINT_BYTES bytes count). */
export function fingerprintOf(head: Buffer): { fingerprint: string; fingerprintBytes: number } {
  const h = head.length > FINGERPRINT_BYTES ? head.subarray(0, FINGERPRINT_BYTES) : head;
  return { fingerprint: sha256Hex(h), fingerprintBytes: h.length };
}

/** Skip, resume or read anew — see the module comment. Pure. */
export function decideCheckpoint(prev: Checkpoint | null, cur: CurrentContent): CheckpointDecision {
  if (!prev) return { action: 'read', reason: 'new' };
  if (cur.head.length < prev.fingerprintBytes) {
    // Fewer bytes than the head we saw: the file shrank (truncated) or is another file.
    return { action: 'read', reason: cur.size !== null && cur.size < prev.size ? 'truncated' : 'replaced' };
  }
  if (sha256Hex(cur.head.subarray(0, prev.fingerprintBytes)) !== prev.fingerprint) return { action: 'read', reason: 'replaced' };
  if (cur.size !== null) {
    if (cur.size < prev.size || cur.size < prev.offset) return { action: 'read', reason: 'truncated' };
    if (cur.size === prev.offset) return { action: 'skip' };
  }
  // Same head, grown (or size unknown for a compressed copy: reading resumes after the part already
  // read; the pipeline reports an input shorter than its start offset as an error).
  return { action: 'resume', offset: prev.offset };
}

/** Head, content size and identity of a file on disk; gzip is decompressed only as far as the head. */
export async function probeFile(path: string): Promise<{
  head: Buffer; size: number | null; compressed: boolean; device: number; inode: number;
}> {
  const fh = await fsp.open(path, 'r');
  try {
    const st = await fh.stat();
    const buf = Buffer.alloc(FINGERPRINT_BYTES);
    const { bytesRead } = await fh.read(buf, 0, FINGERPRINT_BYTES, 0);
    const raw = buf.subarray(0, bytesRead);
    if (!(raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b)) {
      return { head: raw, size: st.size, compressed: false, device: st.dev, inode: st.ino };
    }
    const head = await gunzipHead(fh, FINGERPRINT_BYTES);
    return { head, size: null, compressed: true, device: st.dev, inode: st.ino };
  } finally {
    await fh.close();
  }
}

/** The first `want` decompressed bytes of a gzip file (fewer if it is shorter or corrupt). */
async function gunzipHead(fh: import('node:fs/promises').FileHandle, want: number): Promise<Buffer> {
  const gz = createGunzip();
  const out: Buffer[] = [];
  let have = 0;
  let done = false;
  const finished = new Promise<void>((resolve) => {
    gz.on('data', (c: Buffer) => { if (have < want) { out.push(c); have += c.length; } if (have >= want) { done = true; resolve(); } });
    gz.on('end', () => { done = true; resolve(); });
    gz.on('error', () => { done = true; resolve(); });
  });
  const chunk = Buffer.alloc(64 * 1024);
  let pos = 0;
  while (!done) {
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
    if (bytesRead === 0) { gz.end(); break; }
    pos += bytesRead;
    const ok = gz.write(Buffer.from(chunk.subarray(0, bytesRead)));
    if (!ok && !done) await Promise.race([new Promise<void>((r) => gz.once('drain', () => r())), finished]);
  }
  await finished;
  gz.destroy();
  const all = Buffer.concat(out);
  return all.subarray(0, Math.min(want, all.length));
}
