/**
 * Loads a file and, transitively, the files it imports. Import paths are relative to the
 * importing file. Each file is parsed once; a cycle of imports is an error.
 */
import * as path from 'node:path';
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { SourceFile } from '../diagnostics/span.ts';
import { parseFile } from '../1-parse/parse.ts';
import type { FileAst } from '../ir/ast.ts';

/** A parsed file of the program. */
export interface LoadedFile {
  readonly file: SourceFile;
  readonly ast: FileAst;
}

/** Reads a file's text, or returns undefined when it does not exist or cannot be read. */
export type ReadFile = (name: string) => string | undefined;

/**
 * Parses `entry` and everything it imports. Returns the files with the entry first, or
 * undefined when any file failed to parse or load (diagnostics say why).
 */
export function loadProgram(entry: SourceFile, read: ReadFile, diags: Diagnostics): LoadedFile[] | undefined {
  const loaded = new Map<string, LoadedFile>();
  let ok = true;
  const visit = (file: SourceFile, stack: readonly string[]) => {
    const ast = parseFile(file, diags);
    if (!ast) { ok = false; return; }
    loaded.set(file.name, { file, ast });
    for (const imp of ast.imports) {
      const target = path.normalize(path.join(path.dirname(file.name), imp.path));
      if (stack.includes(target) || target === file.name) {
        diags.report('import_cycle', `\`${imp.path}\` imports back into ${file.name}`, imp.span, [`cycle: ${[...stack, file.name, target].join(' -> ')}`]);
        ok = false;
        continue;
      }
      if (loaded.has(target)) continue;
      const text = read(target);
      if (text === undefined) {
        diags.report('missing_import', `cannot read imported file \`${imp.path}\` (looked for ${target})`, imp.span);
        ok = false;
        continue;
      }
      visit({ name: target, text }, [...stack, file.name]);
    }
  };
  visit(entry, []);
  return ok ? [...loaded.values()] : undefined;
}
