/**
 * Byte → text decoding. Sniffs the BOM (UTF-8, UTF-16LE, UTF-16BE) and BOM-less UTF-16 (NUL bytes in
 * alternating positions, as PowerShell 5.1 and some exports write). Boundaries between chunks are
 * handled by streaming decoders.
 */
import { StringDecoder } from 'node:string_decoder';
import { isAscii } from 'node:buffer';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export function sniffEncoding(head: Buffer): { encoding: Encoding; bomLength: number } {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  const n = Math.min(head.length, 512) & ~1;
  if (n >= 8) {
    let evenZero = 0, oddZero = 0;
    for (let i = 0; i < n; i += 2) { if (head[i] === 0) evenZero++; if (head[i + 1] === 0) oddZero++; }
    const pairs = n / 2;
    if (oddZero > pairs * 0.7 && evenZero < pairs * 0.1) return { encoding: 'utf-16le', bomLength: 0 };
    if (evenZero > pairs * 0.7 && oddZero < pairs * 0.1) return { encoding: 'utf-16be', bomLength: 0 };
  }
  return { encoding: 'utf-8', bomLength: 0 };
}

export class TextDecoderState {
  private readonly utf8: StringDecoder | null;
  private readonly utf16: TextDecoder | null;
  private skip: number;
  constructor(readonly encoding: Encoding, bomLength: number) {
    this.skip = bomLength;
    this.utf8 = encoding === 'utf-8' ? new StringDecoder('utf8') : null;
    this.utf16 = encoding === 'utf-8' ? null : new TextDecoder(encoding, { ignoreBOM: true });
  }
  /** True while the UTF-8 decoder may hold the first bytes of a character split across chunks. */
  private pending = false;
  write(chunk: Buffer): string {
    if (this.skip > 0) {
      const k = Math.min(this.skip, chunk.length);
      chunk = chunk.subarray(k);
      this.skip -= k;
    }
    if (!this.utf8) return this.utf16!.decode(chunk, { stream: true });
    // Fast path: an all-ASCII chunk (the usual log) decodes byte for byte; latin1 is a plain copy and
    // gives flat one-byte strings, measurably faster to scan than the UTF-8 decoder's output.
    if (!this.pending && isAscii(chunk)) return chunk.toString('latin1');
    this.pending = incompleteUtf8Tail(chunk);
    return this.utf8.write(chunk);
  }
  end(): string {
    return this.utf8 ? this.utf8.end() : this.utf16!.decode();
  }
}

/** Whether a buffer ends inside a multi-byte UTF-8 sequence. */
function incompleteUtf8Tail(b: Buffer): boolean {
  for (let i = b.length - 1, seen = 1; i >= 0 && seen <= 4; i--, seen++) {
    const c = b[i]!;
    if (c < 0x80) return false;            // ASCII: complete
    if (c >= 0xc0) {                        // lead byte: how many bytes does it need?
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return seen < need;
    }
  }
  return false;
}

/** Share of characters in the text that cannot appear in a text log (binary data). */
export function binaryRatio(text: string): number {
  const n = Math.min(text.length, 8192);
  if (n === 0) return 0;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd) bad++;
  }
  return bad / n;
}
