/**
 * Input expansion: files, directories (recursive, sorted), globs (`*`, `?`, `**`, `[...]`) and `-` for
 * stdin. A path that does not exist is kept as is: opening it reports the error for that input only.
 *
 * - A path given explicitly is read even when it is a symbolic link (the user named it).
 * - Inside a directory walk or a glob, symbolic links are not followed by default. A link whose target
 *   is inside the walked directory is skipped silently (the target is read under its own name); a
 *   link that points outside it is refused and reported ("not read: symbolic link to a path outside
 *   …"), so a log directory cannot make fwaudit read /etc/shadow.
 * - With `followSymlinks`, links are followed; directories already visited (same device + inode: a
 *   loop, a self-link) are not walked again, and a file reached twice is read once.
 * - A glob is expanded segment by segment from its literal prefix: `/*.x` reads the directory `/`
 *   only; `**` walks only below the literal prefix.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, resolve, sep } from 'node:path';

const GLOB_CHARS = /[*?[]/;

export interface ExpandOptions { followSymlinks?: boolean }

export interface Expanded {
  /** Inputs to read, in order. */
  files: string[];
  /** Paths found but not read, with the reason (symbolic links pointing outside the walked directory). */
  refused: Array<{ path: string; reason: string }>;
}

export function expandInputs(specs: string[], opts: ExpandOptions = {}): string[] {
  return expandInputsDetailed(specs, opts).files;
}

interface Walk {
  follow: boolean;
  root: string;          // real path of the directory the walk started from
  seenDirs: Set<string>; // dev:ino
  seenFiles: Set<string>;
  out: Expanded;
}

export function expandInputsDetailed(specs: string[], opts: ExpandOptions = {}): Expanded {
  const out: Expanded = { files: [], refused: [] };
  const follow = opts.followSymlinks === true;
  for (const spec of specs) {
    if (spec === '-') { out.files.push('-'); continue; }
    let st: Stats | null;
    try { st = statSync(spec); } catch { st = null; }
    if (st?.isDirectory()) {
      const w = newWalk(spec, follow, out);
      w.seenDirs.add(idOf(st));
      walkDir(spec, w);
      continue;
    }
    if (st || !GLOB_CHARS.test(spec)) { out.files.push(spec); continue; }
    const before = out.files.length;
    expandGlob(spec, follow, out);
    if (out.files.length === before && !out.refused.some((r) => r.path.startsWith(globPrefix(spec)))) out.files.push(spec); // "no such file"
  }
  return out;
}

function newWalk(dir: string, follow: boolean, out: Expanded): Walk {
  let root: string;
  try { root = realpathSync(dir); } catch { root = resolve(dir); }
  return { follow, root, seenDirs: new Set(), seenFiles: new Set(), out };
}

const idOf = (st: Stats) => `${st.dev}:${st.ino}`;

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Classifies one directory entry: 'dir' to descend, 'file' to read, or null (skipped; refusals are
 * recorded). Symbolic links follow the policy in the module comment.
 */
function classify(p: string, w: Walk): 'dir' | 'file' | null {
  let lst: Stats;
  try { lst = lstatSync(p); } catch { w.out.files.push(p); return null; }
  let st = lst;
  if (lst.isSymbolicLink()) {
    let target: string;
    try { target = realpathSync(p); st = statSync(p); } catch {
      if (w.follow) w.out.refused.push({ path: p, reason: 'not read: broken or looping symbolic link' });
      return null;
    }
    if (!w.follow) {
      if (!inside(w.root, target)) {
        w.out.refused.push({ path: p, reason: 'not read: symbolic link to a path outside the directory (--follow-symlinks reads it)' });
      }
      return null;
    }
  }
  if (st.isDirectory()) {
    const id = idOf(st);
    if (w.seenDirs.has(id)) return null; // a loop or a directory reached twice
    w.seenDirs.add(id);
    return 'dir';
  }
  if (st.isFile()) {
    const id = idOf(st);
    if (w.seenFiles.has(id)) return null;
    w.seenFiles.add(id);
    return 'file';
  }
  return null; // FIFOs, sockets, devices inside a directory are not log files (name them explicitly to read them)
}

function walkDir(dir: string, w: Walk): void {
  let names: string[];
  try { names = readdirSync(dir).sort(); } catch { w.out.files.push(dir); return; }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const kind = classify(p, w);
    if (kind === 'dir') walkDir(p, w);
    else if (kind === 'file') w.out.files.push(p);
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

function globPrefix(spec: string): string {
  const parts = spec.split(sep).join('/').split('/');
  const k = parts.findIndex((p) => GLOB_CHARS.test(p));
  return parts.slice(0, k).join('/');
}

/** Expands a glob segment by segment from its literal prefix (see the module comment). */
function expandGlob(spec: string, follow: boolean, out: Expanded): void {
  const norm = spec.split(sep).join('/');
  const parts = norm.split('/');
  const k = parts.findIndex((p) => GLOB_CHARS.test(p));
  const baseParts = parts.slice(0, k);
  const base = baseParts.join('/') || (norm.startsWith('/') ? '/' : '.');
  const segs = parts.slice(k).filter((s) => s !== '' && s !== '.');
  let st: Stats;
  try { st = statSync(base); } catch { return; }
  if (!st.isDirectory()) return;
  const w = newWalk(base, follow, out);
  const found = new Set<string>();
  const join2 = (d: string, n: string) => (d === '.' && !norm.startsWith('./') ? n : d === '/' ? `/${n}` : `${d}/${n}`);
  const visit = (dir: string, i: number, seen: Set<string>): void => {
    if (i === segs.length) return;
    const seg = segs[i]!;
    if (seg === '**') {
      visit(dir, i + 1, seen); // zero directories
      for (const name of list(dir)) {
        if (name.startsWith('.')) continue;
        const p = join2(dir, name);
        if (kindOf(p, w, seen) === 'dir') visit(p, i, seen);
      }
      return;
    }
    const last = i === segs.length - 1;
    if (!GLOB_CHARS.test(seg)) {
      const p = join2(dir, seg);
      const kind = kindOf(p, w, seen);
      if (kind === 'dir' && !last) visit(p, i + 1, seen);
      else if (kind === 'file' && last) found.add(p);
      return;
    }
    const re = globToRegExp(seg);
    for (const name of list(dir)) {
      if (name.startsWith('.') && !seg.startsWith('.')) continue;
      if (!re.test(name)) continue;
      const p = join2(dir, name);
      const kind = kindOf(p, w, seen);
      if (kind === 'dir' && !last) visit(p, i + 1, seen);
      else if (kind === 'file' && last) found.add(p);
    }
  };
  w.seenDirs.add(idOf(st));
  visit(base, 0, new Set());
  const files = [...found];
  // A file reached twice (through links, or `**/**`) is read once.
  const ids = new Set<string>();
  for (const f of files) {
    let id = f;
    try { id = idOf(statSync(f)); } catch { /* reported when opened */ }
    if (ids.has(id)) continue;
    ids.add(id);
    out.files.push(f);
  }
}

function list(dir: string): string[] {
  try { return readdirSync(dir).sort(); } catch { return []; }
}

/** classify() for glob walking: directories may be visited again by different `**` branches, so loops are cut per path. */
function kindOf(p: string, w: Walk, seen: Set<string>): 'dir' | 'file' | null {
  let lst: Stats;
  try { lst = lstatSync(p); } catch { return null; }
  let st = lst;
  if (lst.isSymbolicLink()) {
    let target: string;
    try { target = realpathSync(p); st = statSync(p); } catch { return null; }
    if (!w.follow) {
      if (!inside(w.root, target) && !w.out.refused.some((r) => r.path === p)) {
        w.out.refused.push({ path: p, reason: 'not read: symbolic link to a path outside the directory (--follow-symlinks reads it)' });
      }
      return null;
    }
    if (st.isDirectory()) {
      // a followed link to a directory: a loop when the target contains this path
      const real = target;
      let here: string;
      try { here = realpathSync(join(p, '..')); } catch { here = ''; }
      if (inside(real, here)) return null;
      if (seen.has(idOf(st))) return null;
      seen.add(idOf(st));
    }
  }
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return null;
}
