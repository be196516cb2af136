/**
 * YAML for user-supplied files (rulesets, inventory, fwaudit.yaml) with line numbers for errors:
 * one parse that keeps the document's nodes, and path → line lookups for validation messages.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from './errors.js';

export type PathSeg = string | number;

export interface LocatedYaml {
  doc: Document;
  lc: LineCounter;
  /** The plain JavaScript value. */
  value: unknown;
}

/** Parses YAML; a syntax error becomes a ConfigError naming the file and line of the first error. */
export function parseYamlLocated(text: string, file: string, o: { uniqueKeys?: boolean } = {}): LocatedYaml {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: o.uniqueKeys ?? true });
  if (doc.errors.length > 0) {
    // later errors are nearly always consequences of the first one
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line;
    throw new ConfigError(`YAML syntax error: ${e.message.split('\n')[0]}`, file, line, null);
  }
  return { doc, lc, value: doc.toJS() as unknown };
}

/** Line where a node starts, or null. */
export function nodeLine(node: unknown, lc: LineCounter): number | null {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? lc.linePos(r[0]).line : null;
}

/** Line of the node at `p` (the key's line for a mapping entry); the nearest existing ancestor if absent. */
export function lineOfPath(doc: Document, lc: LineCounter, p: readonly PathSeg[]): number | null {
  let node: unknown = doc.contents;
  let best: number | null = nodeLine(node, lc);
  for (const seg of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => {
        const k = it.key as { value?: unknown } | null;
        return k !== null && typeof k === 'object' && String(k.value) === String(seg);
      });
      if (!pair) break;
      const kl = nodeLine(pair.key, lc);
      if (kl !== null) best = kl;
      node = pair.value;
      const vl = nodeLine(node, lc);
      // a block value (map / sequence) starts on a later line: keep the key line for the field itself
      if (vl !== null && !(isMap(node) || isSeq(node))) best = vl;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      const l = nodeLine(node, lc);
      if (l !== null) best = l;
    } else break;
  }
  return best;
}
