/**
 * Minimal in-memory driver for unit tests of one parser module: splits text into lines (or parses JSON)
 * and collects flows and skips. End-to-end behaviour (encodings, gzip, detection) is tested through the
 * real pipeline and CLI elsewhere.
 */
import type { Action, Flow } from '../../src/model/flow.js';
import { YearInferrer, ZoneConverter } from '../../src/model/time.js';
import type { Detection, ParserModule, SkipKind } from '../../parsers/types.js';

export interface Collected {
  flows: Flow[];
  skips: Array<{ reason: string; line: number; kind: SkipKind }>;
  notes: Record<string, number>;
  detection: Detection;
}

export function parseText(
  mod: ParserModule,
  text: string,
  o: { tz?: string; year?: number; refMs?: number; file?: string; format?: string; actionMap?: Map<string, Action> } = {},
): Collected {
  const file = o.file ?? 'test.log';
  const det = o.format ? mod.forced(o.format, text.slice(0, 65536)) : mod.detect(text.slice(0, 65536), file);
  if (!det) throw new Error(`${mod.family}: not detected`);
  const out: Collected = { flows: [], skips: [], notes: {}, detection: det };
  const p = mod.create(
    det,
    {
      file,
      zone: new ZoneConverter(o.tz ?? 'UTC'),
      years: new YearInferrer(o.year, o.refMs ?? Date.UTC(2026, 11, 31)),
      actionMap: o.actionMap ?? new Map(),
    },
    {
      flow: (f) => out.flows.push(f),
      skip: (reason, line, kind) => out.skips.push({ reason, line, kind }),
      note: (name, n) => { out.notes[name] = (out.notes[name] ?? 0) + n; },
    },
  );
  if (det.framing === 'json') {
    const t = text.trim();
    let lineNo = 0;
    if (t.startsWith('[')) for (const v of JSON.parse(t) as unknown[]) p.record!(v, ++lineNo);
    else {
      try {
        const v = JSON.parse(t) as Record<string, unknown>;
        const arr = Object.values(v).find((x) => Array.isArray(x)) as unknown[] | undefined;
        if (arr) for (const x of arr) p.record!(x, ++lineNo);
        else p.record!(v, 1);
      } catch {
        for (const l of text.split(/\r?\n/)) { lineNo++; if (l.trim()) p.record!(JSON.parse(l), lineNo); }
      }
    }
  } else if (det.framing === 'xml-events') {
    const lines = text.split(/\r?\n/);
    let buf = '', start = 0;
    lines.forEach((l, i) => {
      if (!buf && l.indexOf('<Event') >= 0) start = i + 1;
      buf += (buf ? '\n' : '') + l;
      if (l.indexOf('</Event>') >= 0) { p.line!(buf, start); buf = ''; }
    });
  } else {
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    lines.forEach((l, i) => p.line!(l.replace(/\r$/, '').replace(/\0/g, ''), i + 1));
  }
  p.end?.();
  return out;
}
