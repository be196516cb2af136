/**
 * Opening inputs as byte streams: files (read 1 MiB at a time), stdin, named pipes and process
 * substitution (`<(cmd)`), character devices, gzip (by magic bytes, also concatenated members) and ZIP
 * archives (every member is its own input, named `archive.zip!member`).
 *
 * - Only regular files are read with positioned reads (magic bytes, the head, a start offset); every
 *   other kind of file is one stream read from its start, with no size assumption.
 * - A named pipe is opened non-blocking and read on the event loop. If no writer sends a first byte
 *   within `fifoWaitMs` (FWAUDIT_FIFO_WAIT_MS, default 30 s), the input is reported as "no writer on
 *   the named pipe" and the run goes on: a FIFO nobody writes to never hangs the run.
 * - A ZIP is read as `unzip` reads it: the end record is searched from the end of the file, so bytes
 *   after it and archive comments are accepted. A member whose name is unsafe (absolute, `..`, control
 *   characters) is skipped and reported; a member that cannot be read is reported; later members are
 *   still read.
 */
import { createReadStream, constants as FS, promises as fsp, openSync, read as fsRead, type Stats } from 'node:fs';
import net from 'node:net';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createRequire } from 'node:module';
import { escapeText } from '../model/sanitize.js';
import { pickFileTime, type FileTime } from '../model/time.js';

const require = createRequire(import.meta.url);
const yauzl = require('yauzl') as typeof import('yauzl');

export const READ_SIZE = 1 << 20;
export const FIFO_WAIT_MS = 30_000;

export interface Source {
  name: string;
  /** The file's time (year inference, time window): `fileTime.ms`. */
  mtimeMs: number;
  /**
   * The time the input's lines are checked against (src/model/time.ts TimeWindow): a file's mtime, a ZIP
   * member's own time, a gzip member's MTIME when set, the time of reading for a stream.
   */
  fileTime?: FileTime;
  /** Size of the file on disk (compressed size for gzip; uncompressed size of a zip member). */
  size: number | null;
  /** 'gzip' | 'zip' | null */
  container: string | null;
  /** Content is gzip-compressed (the stream gives it decompressed). */
  compressed: boolean;
  device: number | null;
  inode: number | null;
  /** The stream begins at this content offset (a plain file opened at ReadOptions.startOffsets). */
  startOffset: number;
  /**
   * When the stream starts at `startOffset` > 0: the file's first bytes (up to 64 KiB, before the
   * offset) for format detection and the fingerprint. For compressed content, `skipBytes` is set
   * instead: the stream still holds those bytes and the reader discards them.
   */
  prologue: Buffer | null;
  skipBytes: number;
  /** Not readable: the reason (unsafe zip member name, unreadable member). The stream is empty. */
  error?: string;
  stream: AsyncIterable<Buffer>;
}

export type OpenResult = { sources: AsyncIterable<Source> } | { error: string };

export interface OpenOptions {
  startOffset?: number;
  fifoWaitMs?: number;
  /** What the input `-` reads (default: process.stdin). */
  stdin?: AsyncIterable<Buffer | string>;
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'no such file or directory';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EISDIR') return 'is a directory';
  if (err?.code === 'ELOOP') return 'too many levels of symbolic links';
  if (err?.code === 'ENXIO') return 'no such device';
  return escapeText(err?.message ?? String(e));
}

/** Decompresses a byte stream; destroying the result (early stop) destroys the source too. */
function gunzip(src: AsyncIterable<Buffer> | Readable): Readable {
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  const input = src instanceof Readable ? src : Readable.from(src, { objectMode: false });
  pipeline(input, gz, () => { /* errors surface on gz's iterator */ });
  return gz;
}

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const isZip = (b: Buffer) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

function base(name: string, st: Stats | null, rest: Partial<Source> & { stream: AsyncIterable<Buffer> }): Source {
  return {
    name, mtimeMs: st?.mtimeMs ?? Date.now(), size: null, container: null, compressed: false,
    device: null, inode: null, startOffset: 0, prologue: null, skipBytes: 0, ...rest,
  };
}

/** A stream of unknown kind (stdin, pipe, device): gzip recognised from its first bytes. */
async function fromStream(name: string, st: Stats | null, src: AsyncIterable<Buffer | string>, firstByteWaitMs: number | null): Promise<OpenResult> {
  const readable = { destroy: () => { if (src instanceof Readable) src.destroy(); } };
  const it = (src as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer | string>;
  if (firstByteWaitMs === null) first = await it.next();
  else {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), firstByteWaitMs); });
    const next = it.next();
    next.catch(() => { /* after a timeout the stream is destroyed: nobody awaits this any more */ });
    const got = await Promise.race([next, timeout]);
    clearTimeout(timer);
    if (got === 'timeout') {
      readable.destroy();
      return { error: `no writer on the named pipe (nothing within ${Math.round(firstByteWaitMs / 1000)} s)` };
    }
    first = got;
  }
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  // A stream (stdin, FIFO, device) has no useful modification time: its lines are as recent as its reading.
  const fileTime = pickFileTime(null, 'time of reading', null);
  if (isZip(head)) { readable.destroy(); return { error: 'a ZIP archive must be a regular file (save it to a file first)' }; }
  const stream = prepend(head, it, readable);
  const gz = isGzip(head);
  return { sources: single(base(name, st, { mtimeMs: fileTime.ms, fileTime, container: gz ? 'gzip' : null, compressed: gz, stream: gz ? gunzip(stream) : stream })) };
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer | string>, owner: { destroy(): void }): AsyncGenerator<Buffer> {
  try {
    if (first.length) yield first;
    for (;;) {
      const r = await rest.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  } finally {
    owner.destroy();
  }
}

export async function openInput(path: string, opts: OpenOptions = {}): Promise<OpenResult> {
  if (path === '-') return fromStream('-', null, opts.stdin ?? process.stdin, null);
  let st: Stats;
  try {
    st = await fsp.stat(path);
    if (st.isDirectory()) return { error: 'is a directory' };
  } catch (e) { return { error: describe(e) }; }

  if (st.isFIFO() || st.isSocket()) {
    // Non-blocking open: never waits for a writer; reading happens on the event loop.
    let fd: number;
    try { fd = openSync(path, FS.O_RDONLY | FS.O_NONBLOCK); } catch (e) { return { error: describe(e) }; }
    const sock = new net.Socket({ fd, readable: true, writable: false });
    const wait = opts.fifoWaitMs ?? envInt('FWAUDIT_FIFO_WAIT_MS') ?? FIFO_WAIT_MS;
    return fromStream(path, st, sock, wait);
  }
  if (!st.isFile()) {
    // character/block device: one sequential stream, no positioned read
    return fromStream(path, st, createReadStream(path, { highWaterMark: READ_SIZE }), null);
  }

  const startOffset = opts.startOffset ?? 0;
  let magic: Buffer;
  let prologue: Buffer | null = null;
  let gzipMtime = 0;
  try {
    const fh = await fsp.open(path, 'r');
    try {
      const want = startOffset > 0 ? Math.min(startOffset, 64 * 1024) : 8;
      const buf = Buffer.alloc(Math.max(want, 8));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      magic = buf.subarray(0, Math.min(4, bytesRead));
      if (bytesRead >= 8) gzipMtime = buf.readUInt32LE(4) * 1000; // RFC 1952 MTIME (0: not set)
      if (startOffset > 0) {
        prologue = buf.subarray(0, Math.min(bytesRead, want));
        if (!isGzip(magic) && startOffset <= st.size && !(await atLineBoundary(fh, startOffset))) {
          return { error: `start offset ${startOffset} is not at a line boundary (file replaced?)` };
        }
      }
    } finally { await fh.close(); }
  } catch (e) { return { error: describe(e) }; }
  const ident = { device: st.dev, inode: st.ino, size: st.size };
  if (isZip(magic)) return { sources: zipMembers(path, st) };
  if (isGzip(magic)) {
    const file = createReadStream(path, { highWaterMark: READ_SIZE });
    // The first member's MTIME (the compressed file's own time) when set and plausible, else the file's mtime.
    const fileTime = pickFileTime(gzipMtime, 'gzip MTIME', { ms: st.mtimeMs, source: 'mtime', live: false });
    return { sources: single(base(path, st, { ...ident, mtimeMs: fileTime.ms, fileTime, container: 'gzip', compressed: true, skipBytes: startOffset, startOffset, stream: gunzip(file) })) };
  }
  if (startOffset > st.size) return { error: `start offset ${startOffset} is beyond the end of the file (${st.size} bytes): truncated or replaced?` };
  const file = createReadStream(path, { highWaterMark: READ_SIZE, start: startOffset });
  return { sources: single(base(path, st, { ...ident, startOffset, prologue, stream: file })) };
}

/** Whether the content before `offset` ends with a newline (UTF-8 LF, or UTF-16 LF in either byte order). */
async function atLineBoundary(fh: import('node:fs/promises').FileHandle, offset: number): Promise<boolean> {
  const b = Buffer.alloc(2);
  const from = Math.max(0, offset - 2);
  const { bytesRead } = await fh.read(b, 0, offset - from, from);
  const last = b[bytesRead - 1];
  return last === 0x0a || (bytesRead === 2 && b[0] === 0x0a && last === 0);
}

function envInt(name: string): number | null {
  const v = process.env[name];
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

async function* single(s: Source): AsyncGenerator<Source> { yield s; }

// ---- ZIP ------------------------------------------------------------------------------------------

/**
 * The size the archive would have without trailing bytes: the end of the last "end of central
 * directory" record (plus its comment) found from the end, as unzip does. Null when there is none.
 */
async function zipLogicalSize(fh: import('node:fs/promises').FileHandle, size: number): Promise<number | null> {
  const tail = Math.min(size, 1 << 20);
  const buf = Buffer.alloc(tail);
  await fh.read(buf, 0, tail, size - tail);
  for (let i = buf.length - 22; i >= 0; i--) {
    if (buf[i] !== 0x50 || buf[i + 1] !== 0x4b || buf[i + 2] !== 0x05 || buf[i + 3] !== 0x06) continue;
    const at = size - tail + i;
    const commentLen = buf.readUInt16LE(i + 20);
    const cdSize = buf.readUInt32LE(i + 12);
    const cdOffset = buf.readUInt32LE(i + 16);
    const end = at + 22 + commentLen;
    if (end > size) continue;
    if (cdOffset !== 0xffffffff && cdOffset + cdSize > at) continue;
    return end;
  }
  return null;
}

/** Why a member name is not read, or null when it is a safe relative path. */
export function unsafeMemberName(name: string): string | null {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return 'absolute path';
  if (name.split(/[\\/]/).includes('..')) return "'..' in the path";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 'control characters in the name';
  }
  return null;
}

async function* zipMembers(path: string, st: Stats): AsyncGenerator<Source> {
  const fh = await fsp.open(path, 'r');
  let zip: import('yauzl').ZipFile;
  try {
    const logical = await zipLogicalSize(fh, st.size);
    if (logical === null) throw new Error('not a ZIP archive (no end of central directory record)');
    const reader = new FileReader(fh.fd);
    zip = await new Promise<import('yauzl').ZipFile>((resolve, reject) =>
      yauzl.fromRandomAccessReader(reader as unknown as import('yauzl').RandomAccessReader, logical,
        { lazyEntries: true, autoClose: false, decodeStrings: false, strictFileNames: false },
        (err, z) => (err || !z ? reject(err ?? new Error('cannot open zip')) : resolve(z))));
  } catch (e) {
    await fh.close();
    throw e;
  }
  try {
    let index = 0;
    for (;;) {
      const entry = await new Promise<import('yauzl').Entry | null>((resolve, reject) => {
        const onEntry = (e: import('yauzl').Entry) => { cleanup(); resolve(e); };
        const onEnd = () => { cleanup(); resolve(null); };
        const onErr = (e: Error) => { cleanup(); reject(e); };
        const cleanup = () => { zip.off('entry', onEntry); zip.off('end', onEnd); zip.off('error', onErr); };
        zip.on('entry', onEntry); zip.on('end', onEnd); zip.on('error', onErr);
        zip.readEntry();
      });
      if (!entry) return;
      index++;
      const raw = entry.fileName as unknown as Buffer;
      const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0;
      const fileName = raw.toString(utf8 ? 'utf8' : 'latin1');
      if (fileName.endsWith('/')) continue;
      const bad = unsafeMemberName(fileName);
      const mtimeMs = st.mtimeMs;
      const empty = (async function* () { /* nothing */ })();
      if (bad) {
        yield base(`${path}!#${index}`, st, { container: 'zip', error: `ZIP member #${index} skipped: unsafe name (${bad}): ${escapeText(fileName).slice(0, 120)}`, stream: empty });
        continue;
      }
      const name = `${path}!${fileName}`;
      let stream: Readable;
      try {
        stream = await new Promise<Readable>((resolve, reject) =>
          zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('cannot read member')) : resolve(s))));
      } catch (e) {
        yield base(escapeText(name), st, { container: 'zip', error: `cannot read ZIP member: ${escapeText((e as Error).message)}`, stream: empty });
        continue;
      }
      const isGz = fileName.endsWith('.gz');
      // The member's own time unless implausible (1980-01-01, the DOS epoch, in reproducible archives).
      const fileTime = pickFileTime(entry.getLastModDate?.().getTime(), 'zip member time', { ms: mtimeMs, source: 'mtime', live: false });
      yield base(escapeText(name), st, {
        mtimeMs: fileTime.ms, fileTime, size: entry.uncompressedSize, container: 'zip',
        compressed: isGz, stream: isGz ? gunzip(stream) : stream,
      });
    }
  } finally {
    zip.close();
    await fh.close();
  }
}

/** yauzl random-access reader over an open file descriptor (the archive's logical size is ours). */
class FileReader extends (yauzl.RandomAccessReader as unknown as new () => NodeJS.EventEmitter) {
  constructor(private readonly fd: number) { super(); }
  /** Positioned reads; destroying the stream never closes the shared descriptor (a ReadStream would). */
  _readStreamForRange(start: number, end: number): Readable {
    let pos = start;
    const fd = this.fd;
    return new Readable({
      highWaterMark: 256 * 1024,
      read(size) {
        const n = Math.min(Math.max(size, 64 * 1024), end - pos);
        if (n <= 0) { this.push(null); return; }
        const buf = Buffer.allocUnsafe(n);
        fsRead(fd, buf, 0, n, pos, (err, got) => {
          if (err) { this.destroy(err); return; }
          if (got === 0) { this.push(null); return; }
          pos += got;
          this.push(got < n ? buf.subarray(0, got) : buf);
        });
      },
    });
  }
}
