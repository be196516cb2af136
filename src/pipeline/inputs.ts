/**
 * Input expansion: files, directories (recursive, sorted), globs (`*`, `?`, `**`, `[...]`) and `-` for
 * stdin. A path that does not exist is kept as is: opening it reports the error for that input only.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const GLOB_CHARS = /[*?[]/;

export function expandInputs(specs: string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    if (spec === '-') { out.push('-'); continue; }
    let st;
    try { st = statSync(spec); } catch { st = null; }
    if (st?.isDirectory()) { walk(spec, out); continue; }
    if (st || !GLOB_CHARS.test(spec)) { out.push(spec); continue; }
    const matches = expandGlob(spec);
    if (matches.length === 0) out.push(spec); // reported as "no such file" by the reader
    else out.push(...matches);
  }
  return out;
}

function walk(dir: string, out: string[]): void {
  let names: string[];
  try { names = readdirSync(dir).sort(); } catch { out.push(dir); return; }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let st;
    try { st = statSync(p); } catch { out.push(p); continue; }
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else { re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`; i = end; }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function expandGlob(spec: string): string[] {
  const norm = spec.split(sep).join('/');
  const parts = norm.split('/');
  const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
  const base = parts.slice(0, firstGlob).join('/') || (norm.startsWith('/') ? '/' : '.');
  const re = globToRegExp(norm.startsWith('./') ? norm.slice(2) : norm);
  const all: string[] = [];
  walk(base, all);
  return all.filter((p) => {
    const rel = p.split(sep).join('/');
    const cand = base === '.' ? relative('.', p).split(sep).join('/') : rel;
    return re.test(cand);
  });
}
