/**
 * Browser stand-in for `node:path`: the POSIX functions the compiler uses (import resolution in
 * `2-check/load.ts`, template and profile paths), over `/`-separated names. The current
 * folder is `/`.
 */
export const sep = '/';

export function normalize(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !abs) out.push(part);
  }
  const s = out.join('/');
  return abs ? `/${s}` : s || '.';
}

export const join = (...parts: string[]) => normalize(parts.filter(Boolean).join('/') || '.');
export const isAbsolute = (p: string) => p.startsWith('/');
export const resolve = (...parts: string[]) => normalize(parts.reduce((acc, p) => (isAbsolute(p) ? p : `${acc}/${p}`), '/'));

export function dirname(p: string): string {
  const n = p.replace(/\/+$/, '');
  const i = n.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : n.slice(0, i);
}

export function basename(p: string, ext?: string): string {
  const b = p.replace(/\/+$/, '').split('/').pop() ?? '';
  return ext && b.endsWith(ext) && b !== ext ? b.slice(0, -ext.length) : b;
}

export const extname = (p: string) => /(?<!^)\.[^./]*$/.exec(basename(p))?.[0] ?? '';

export function relative(from: string, to: string): string {
  const a = resolve(from).split('/').filter(Boolean), b = resolve(to).split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

const path = { sep, normalize, join, isAbsolute, resolve, dirname, basename, extname, relative };
export const posix = path;
export default path;
