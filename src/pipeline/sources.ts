/**
 * Opening inputs as byte streams: files (read 1 MiB at a time), stdin, gzip (by magic bytes, also
 * concatenated members) and ZIP archives (every member is its own input, named `archive.zip!member`).
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const yauzl = require('yauzl') as typeof import('yauzl');

export const READ_SIZE = 1 << 20;

export interface Source {
  name: string;
  mtimeMs: number;
  size: number | null;
  /** 'gzip' | 'zip' | null */
  container: string | null;
  stream: AsyncIterable<Buffer>;
}

export type OpenResult = { sources: AsyncIterable<Source> } | { error: string };

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'no such file or directory';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EISDIR') return 'is a directory';
  return err?.message ?? String(e);
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

function gunzip(src: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  const input = Readable.from(src, { objectMode: false });
  input.on('error', (e) => gz.destroy(e));
  input.pipe(gz);
  return gz;
}

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const isZip = (b: Buffer) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

export async function openInput(path: string, stdin: AsyncIterable<Buffer | string> = process.stdin): Promise<OpenResult> {
  if (path === '-') {
    const it = (stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const first = await it.next();
    const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
    const stream = prepend(head, it);
    const gz = isGzip(head);
    return { sources: single({ name: '-', mtimeMs: Date.now(), size: null, container: gz ? 'gzip' : null, stream: gz ? gunzip(stream) : stream }) };
  }
  let st;
  try {
    st = await fsp.stat(path);
    if (st.isDirectory()) return { error: 'is a directory' };
  } catch (e) { return { error: describe(e) }; }
  const magic = Buffer.alloc(4);
  try {
    const fh = await fsp.open(path, 'r');
    try { await fh.read(magic, 0, 4, 0); } finally { await fh.close(); }
  } catch (e) { return { error: describe(e) }; }
  if (isZip(magic)) return { sources: zipMembers(path, st.mtimeMs) };
  const file = createReadStream(path, { highWaterMark: READ_SIZE });
  return {
    sources: single({
      name: path, mtimeMs: st.mtimeMs, size: st.size, container: isGzip(magic) ? 'gzip' : null,
      stream: isGzip(magic) ? gunzip(file) : file,
    }),
  };
}

async function* single(s: Source): AsyncGenerator<Source> { yield s; }

async function* zipMembers(path: string, mtimeMs: number): AsyncGenerator<Source> {
  const zip = await new Promise<import('yauzl').ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, z) => (err || !z ? reject(err ?? new Error('cannot open zip')) : resolve(z))));
  try {
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
      if (entry.fileName.endsWith('/')) continue;
      const stream = await new Promise<Readable>((resolve, reject) =>
        zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('cannot read member')) : resolve(s))));
      const name = `${path}!${entry.fileName}`;
      const isGz = entry.fileName.endsWith('.gz');
      yield { name, mtimeMs: entry.getLastModDate?.().getTime() ?? mtimeMs, size: entry.uncompressedSize, container: 'zip', stream: isGz ? gunzip(stream) : stream };
    }
  } finally {
    zip.close();
  }
}
