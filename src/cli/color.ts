/** ANSI colours for statuses and confidences (only when `colorEnabled`; see src/cli/io.ts). */
const SGR: Record<string, string> = {
  violated: '31;1', intermittent: '33', ok: '32', unobserved: '2',
  confirmed: '31;1', probable: '33', conditional: '35', 'port-only': '36',
  error: '31;1', warning: '33',
};

export type Paint = (word: string, kind?: string) => string;

export function painter(enabled: boolean): Paint {
  if (!enabled) return (w) => w;
  return (w, kind) => {
    const code = SGR[(kind ?? w).toLowerCase()];
    return code ? `\x1b[${code}m${w}\x1b[0m` : w;
  };
}

/**
 * Colours the status and confidence words of already-sanitised terminal text (the renderers stay
 * colour-free; sanitised text has no ESC of its own, so the only escapes are these).
 */
export function colorize(text: string, paint: Paint): string {
  // diagnose: the verdict word (…-blocked → red, partly → yellow, reachable/ok → green, no-evidence → dim)
  text = text.replace(/^(Verdict: )(\S+)/gm, (_m, head: string, v: string) => head + paint(v,
    /blocked$/.test(v) ? 'violated' : /partly/.test(v) ? 'intermittent' : /^(reachable|ok)$/.test(v) ? 'ok' : 'unobserved'));
  return text.replace(/\b(VIOLATED|INTERMITTENT|UNOBSERVED|CONFIRMED|PROBABLE|CONDITIONAL|PORT-ONLY|violated|intermittent|confirmed|probable|port-only)\b/g, (w) => paint(w));
}
