/** Writing a generated multi-file program to disk (the fuzz worker, tests, scripts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FuzzProgram } from './generate.ts';

/**
 * Writes a multi-file program under `dir/src/root/` (the entry is `main.attn` there; other
 * files may lie beside `root/`), with its links and folders. Returns the entry's path.
 */
export function writeProgramFiles(prog: FuzzProgram, dir: string): string {
  const root = path.join(dir, 'src', 'root');
  fs.mkdirSync(root, { recursive: true });
  const entry = path.join(root, 'main.attn');
  fs.writeFileSync(entry, prog.text);
  for (const [name, text] of Object.entries(prog.files ?? {})) {
    const f = path.join(root, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  }
  for (const d of prog.dirs ?? []) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const [name, target] of Object.entries(prog.links ?? {})) {
    const f = path.join(root, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.symlinkSync(target, f);
  }
  return entry;
}
