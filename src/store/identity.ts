/**
 * Content identity of an input: its size plus a SHA-256 over the first and the last MiB.
 * Renaming or moving a file keeps its identity; appending to a log changes it (size and tail).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export interface InputIdentity {
  /** `<size>:<sha256 hex>` */
  id: string;
  size: number;
  /** The path the input was read from (not part of the identity). */
  path: string;
}

const MIB = 1024 * 1024;

export async function inputIdentity(path: string): Promise<InputIdentity> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const hash = createHash('sha256');
    const headLen = Math.min(MIB, size);
    const head = Buffer.alloc(headLen);
    if (headLen > 0) await fh.read(head, 0, headLen, 0);
    hash.update(head);
    const tailStart = Math.max(0, size - MIB);
    const tail = Buffer.alloc(size - tailStart);
    if (tail.length > 0) await fh.read(tail, 0, tail.length, tailStart);
    hash.update(tail);
    return { id: `${size}:${hash.digest('hex')}`, size, path };
  } finally {
    await fh.close();
  }
}

/** Identity of in-memory content (stdin, archive members), computed the same way. */
export function bufferIdentity(buf: Uint8Array, path: string): InputIdentity {
  const size = buf.length;
  const hash = createHash('sha256');
  hash.update(buf.subarray(0, Math.min(MIB, size)));
  hash.update(buf.subarray(Math.max(0, size - MIB)));
  return { id: `${size}:${hash.digest('hex')}`, size, path };
}
