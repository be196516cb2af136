/**
 * Checkpoints: what a run read of each input, so that the next run reads only what is new.
 *
 * A checkpoint holds the fingerprint of the content's head (SHA-256 of its first 4 KiB, or of what was read when
 * shorter; decompressed for gzip),
 * the offset read up to (the end of the last complete line), the line count there and the SHA-256 of the whole
 * content before that offset. For an input the next run then decides:
 * - `skip`: a checkpoint covers all its content (the same file again, or a renamed or gzip-rotated copy of it);
 * - `resume`: a checkpoint covers a prefix (the log grew): only lines after the checkpoint's line are read;
 * - `anew`: no checkpoint's content is a prefix of it (a new, truncated or replaced file).
 * The prefix hash covers every byte, so two different files are never taken for one, whatever their size, head
 * or tail. One shortcut avoids re-hashing unchanged files: the same device, inode, size and modification time
 * as the checkpoint, and a checkpoint that covered the whole file.
 *
 * A last line without a newline is held back (not read, not counted) while the file may still be written:
 * a plain file modified in the last `settleMs` (60 s). A compressed file, an archive or a file left alone for
 * longer is read to its very end.
 *
 * ZIP archives are treated as one opaque content (their raw bytes): skipped when the same bytes were read before,
 * read whole otherwise.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { CheckpointRow } from './store.js';

export const FINGERPRINT_BYTES = 4096;
export const DEFAULT_SETTLE_MS = 60_000;

export type Container = 'plain' | 'gzip' | 'zip';

export interface FileFacts {
  size: number;
  dev: string;
  ino: string;
  mtimeMs: number;
  container: Container;
}

export interface ContentScan {
  fingerprint: string;
  /** Offset of the end of what this run may read (complete lines, or everything when not held back). */
  endOffset: number;
  endLine: number;
  prefixHash: string;
  /** Content length (decompressed for gzip). */
  contentLength: number;
  /** Prefix hash and line count at each probed offset that lies within the content. */
  at: Map<number, { hash: string; lines: number }>;
}

export type Decision =
  | { kind: 'skip'; checkpoint: CheckpointRow }
  | { kind: 'resume'; checkpoint: CheckpointRow; scan: ContentScan }
  | { kind: 'anew'; scan: ContentScan };

export async function fileFacts(path: string): Promise<FileFacts> {
  const st = await fsp.stat(path, { bigint: true });
  const magic = Buffer.alloc(4);
  const fh = await fsp.open(path, 'r');
  try { await fh.read(magic, 0, 4, 0); } finally { await fh.close(); }
  const container: Container = magic[0] === 0x1f && magic[1] === 0x8b ? 'gzip'
    : magic[0] === 0x50 && magic[1] === 0x4b && magic[2] === 0x03 && magic[3] === 0x04 ? 'zip' : 'plain';
  return { size: Number(st.size), dev: String(st.dev), ino: String(st.ino), mtimeMs: Number(st.mtimeMs), container };
}

/**
 * A plain file's bytes [0, end) in one reused 1 MiB buffer: each chunk is valid until the next one is asked for (the
 * consumers hash or copy it at once). A read stream would allocate a new 1 MiB buffer per chunk: hundreds of native
 * allocations freed only by the garbage collector, which grew the process's resident memory during a long ingest.
 */
async function* plainChunks(path: string, end: number | undefined): AsyncGenerator<Buffer> {
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; end === undefined || pos < end;) {
      const { bytesRead } = await fh.read(buf, 0, end === undefined ? buf.length : Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

function contentStream(path: string, container: Container, limit?: number): AsyncIterable<Buffer> {
  // (`limit`: the first `limit` bytes of a plain file only)
  if (limit !== undefined && limit <= 0) return (async function* () { /* nothing */ })();
  if (container === 'plain') return plainChunks(path, limit);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (container !== 'gzip') return raw;
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  raw.on('error', (e) => gz.destroy(e));
  return raw.pipe(gz);
}

/** The first FINGERPRINT_BYTES of the content (all of it when shorter). */
export async function readHead(path: string, container: Container): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  const stream = contentStream(path, container);
  for await (const chunk of stream) {
    const take = Math.min(chunk.length, FINGERPRINT_BYTES - got);
    parts.push(Buffer.from(chunk.subarray(0, take)));
    got += take;
    if (got >= FINGERPRINT_BYTES) break;
  }
  (stream as { destroy?: () => void }).destroy?.();
  return Buffer.concat(parts);
}

/**
 * Fingerprint of a content's head: `<length>:<sha256 of the first length bytes>`, the length being
 * min(FINGERPRINT_BYTES, what the checkpoint covered), so that a small log that grew still finds its checkpoint.
 */
export function fingerprintFor(head: Buffer, length: number, container: Container): string {
  const n = Math.min(length, head.length, FINGERPRINT_BYTES);
  return `${container === 'zip' ? 'zip:' : ''}${n}:${createHash('sha256').update(head.subarray(0, n)).digest('hex')}`;
}

/** Fingerprints under which checkpoints of this content may be stored (`shortLengths`: lengths < 4 KiB in use). */
export function candidateFingerprints(head: Buffer, container: Container, shortLengths: number[]): string[] {
  const out = new Set<string>([fingerprintFor(head, FINGERPRINT_BYTES, container)]);
  for (const n of shortLengths) if (n <= head.length) out.add(fingerprintFor(head, n, container));
  return [...out];
}

/**
 * One pass over the content: prefix hashes at the probed offsets, the end of the last complete line, the line
 * count there and the hash of everything before it. `holdPartial` holds back a last line without a newline.
 */
export async function scanContent(path: string, container: Container, probes: number[], holdPartial: boolean, limit?: number): Promise<ContentScan> {
  const fingerprint = '';
  const hash = createHash('sha256');
  const wanted = [...new Set(probes)].filter((p) => p > 0).sort((a, b) => a - b);
  const at = new Map<number, { hash: string; lines: number }>();
  let pos = 0, lines = 0, lastNl = -1, linesAtLastNl = 0;
  let hashAtLastNl: Hash | null = null;
  let pending = 0;
  const countLines = container !== 'zip';
  for await (const chunk of contentStream(path, container, limit)) {
    let from = 0;
    while (from < chunk.length) {
      // Stop at the next probe inside this chunk to snapshot the hash there (probes are > pos here).
      const probe = pending < wanted.length ? wanted[pending]! : Infinity;
      const len = Math.min(chunk.length - from, probe - pos);
      const slice = chunk.subarray(from, from + len);
      if (countLines) {
        let last = -1;
        for (let i = slice.indexOf(10); i >= 0; i = slice.indexOf(10, i + 1)) { lines++; last = i; }
        if (last >= 0) {
          lastNl = pos + last;
          if (holdPartial) {
            hashAtLastNl = hash.copy();
            hashAtLastNl.update(slice.subarray(0, last + 1));
            linesAtLastNl = lines;
          }
        }
      }
      hash.update(slice);
      pos += len;
      from += len;
      while (pending < wanted.length && wanted[pending]! === pos) {
        at.set(pos, { hash: hash.copy().digest('hex'), lines });
        pending++;
      }
    }
  }
  const contentLength = pos;
  const partialTail = countLines && contentLength > 0 && lastNl !== contentLength - 1;
  if (holdPartial && partialTail) {
    const endOffset = lastNl + 1;
    const prefixHash = endOffset === 0 ? createHash('sha256').digest('hex') : hashAtLastNl!.digest('hex');
    return { fingerprint, endOffset, endLine: endOffset === 0 ? 0 : linesAtLastNl, prefixHash, contentLength, at };
  }
  return { fingerprint, endOffset: contentLength, endLine: lines + (partialTail ? 1 : 0), prefixHash: hash.digest('hex'), contentLength, at };
}

/**
 * A plain file that no checkpoint's fingerprint matches is read anew, whatever its content: when its `facts.size`
 * bytes are all to be read (it ends with a newline, or it has settled), the read may start before its scan, which
 * gives the checkpoint (prefix hash, line count) of exactly those bytes. Null when the scan must come first.
 */
export async function anewWhole(path: string, facts: FileFacts, head: Buffer, candidates: CheckpointRow[], now = Date.now(), settleMs = DEFAULT_SETTLE_MS): Promise<{ scan: () => Promise<ContentScan> } | null> {
  if (facts.container !== 'plain' || candidates.length > 0 || facts.size <= 0) return null;
  const holdPartial = now - facts.mtimeMs < settleMs;
  if (holdPartial) {
    const last = Buffer.alloc(1);
    const fh = await fsp.open(path, 'r');
    try { if ((await fh.read(last, 0, 1, facts.size - 1)).bytesRead !== 1 || last[0] !== 10) return null; } finally { await fh.close(); }
  }
  return {
    scan: async () => {
      const scan = await scanContent(path, 'plain', [], holdPartial, facts.size);
      scan.fingerprint = fingerprintFor(head, scan.endOffset, 'plain');
      return scan;
    },
  };
}

/**
 * Decides what to read of an input given the checkpoints with its fingerprint (longest first).
 * `now` is for the settle rule of a last line without newline.
 */
export async function decide(path: string, facts: FileFacts, head: Buffer, candidates: CheckpointRow[], now = Date.now(), settleMs = DEFAULT_SETTLE_MS): Promise<Decision> {
  // Unchanged file (same inode, size and mtime as a checkpoint that covered all of it): skip without hashing.
  for (const c of candidates) {
    if (facts.container === 'plain' && c.dev === facts.dev && c.ino === facts.ino && c.size === facts.size
      && c.mtime_ms === facts.mtimeMs && c.end_offset === facts.size) return { kind: 'skip', checkpoint: c };
  }
  const holdPartial = facts.container === 'plain' && now - facts.mtimeMs < settleMs;
  const scan = await scanContent(path, facts.container, candidates.map((c) => c.end_offset), holdPartial);
  scan.fingerprint = fingerprintFor(head, scan.endOffset, facts.container);
  for (const c of candidates) {
    if (c.end_offset > scan.contentLength) continue;
    const here = c.end_offset === scan.contentLength && !scan.at.has(c.end_offset)
      ? { hash: scan.prefixHash, lines: scan.endLine } : scan.at.get(c.end_offset);
    if (!here || here.hash !== c.prefix_hash) continue;
    if (c.end_offset >= scan.endOffset) return { kind: 'skip', checkpoint: c };
    if (facts.container === 'zip') continue; // an archive is read whole or not at all
    return { kind: 'resume', checkpoint: c, scan };
  }
  return { kind: 'anew', scan };
}
