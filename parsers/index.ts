/** The parser families, in detection order. */
import type { ParserModule } from './types.js';
import { winfw } from './winfw.js';
import { wfp } from './wfp.js';
import { iptables } from './iptables.js';
import { panos } from './panos/index.js';

export const PARSERS: readonly ParserModule[] = [winfw, wfp, iptables, panos];

export function allFormats(): string[] {
  return PARSERS.flatMap((p) => [p.family, ...p.formats.filter((f) => f !== p.family)]);
}
