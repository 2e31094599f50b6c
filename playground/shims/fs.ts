/**
 * Browser stand-in for `node:fs`: read-only access to the package files the compiler reads
 * (templates/, profiles/), embedded in the bundle at build time (the `attnc:assets` module of
 * scripts/build-playground.ts). Anything else is not found: the playground reads no disk.
 */
import assets from 'attnc:assets';
import { ROOT } from './package-root.ts';

const rel = (p: string) => (p.startsWith(`${ROOT}/`) ? p.slice(ROOT.length + 1) : undefined);

function notFound(p: string): never {
  throw Object.assign(new Error(`ENOENT: no such file in the playground: ${p}`), { code: 'ENOENT' });
}

export function readFileSync(p: string): string {
  const r = rel(p);
  if (r === undefined || !Object.hasOwn(assets, r)) notFound(p);
  return assets[r];
}

export function existsSync(p: string): boolean {
  const r = rel(p);
  return r !== undefined && (Object.hasOwn(assets, r) || Object.keys(assets).some((k) => k.startsWith(`${r}/`)));
}

export function readdirSync(p: string): string[] {
  const r = rel(p);
  if (r === undefined || !existsSync(p)) notFound(p);
  return [...new Set(Object.keys(assets).filter((k) => k.startsWith(`${r}/`)).map((k) => k.slice(r.length + 1).split('/')[0]))].sort();
}

const realpath = (p: string) => p;
export const realpathSync = Object.assign(realpath, { native: realpath });

export default { readFileSync, existsSync, readdirSync, realpathSync };
