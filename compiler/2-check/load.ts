/**
 * Loads a file and, transitively, the files it imports. Import paths are relative to the
 * importing file. Each file is parsed once; a cycle of imports is an error.
 *
 * Only `.attn` files are imported, so a diagnostic never shows lines of another kind of file
 * (`import "../../etc/passwd"` is refused before it is read): the name must end in `.attn`,
 * and so must the file a symbolic link leads to (a link `x.attn` to /etc/passwd or
 * /dev/zero is refused too). A caller compiling untrusted
 * sources passes `importRoots`: every import must then lie inside one of those folders, both
 * as written (after `..` is resolved) and after symbolic links are followed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { SourceFile } from '../diagnostics/span.ts';
import { parseFile } from '../1-parse/parse.ts';
import type { FileAst } from '../ir/ast.ts';

/** A parsed file of the program. */
export interface LoadedFile {
  readonly file: SourceFile;
  readonly ast: FileAst;
}

/** Why a file that exists was not read: a folder or device, or too large. */
export interface ReadRefusal {
  readonly code: Extract<DiagnosticCode, 'not_a_regular_file' | 'file_too_large'>;
  /** Words that follow the file name: "is a folder, not a regular file". */
  readonly reason: string;
}

/**
 * Reads a file's text; undefined when it does not exist or cannot be read, a `ReadRefusal`
 * when it exists but is not read.
 */
export type ReadFile = (name: string) => string | undefined | ReadRefusal;

/** How imports are found. */
export interface LoadOptions {
  /**
   * Folders imports must lie in. Absent: any `.attn` file can be imported. Each import is
   * checked as written (with `..` resolved) and, when it exists on disk, with symbolic links
   * followed, so neither `..` nor a link leads out.
   */
  readonly importRoots?: readonly string[];
}

/** The file extension of importable files. */
export const SOURCE_EXTENSION = '.attn';

const realpath = (p: string): string | undefined => {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return undefined;
  }
};

const isInside = (file: string, root: string): boolean => {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
};

/** The import roots, resolved: as written, and with links followed where they exist. */
function resolveRoots(roots: readonly string[]): { lexical: string[]; real: string[] } {
  const lexical = roots.map((r) => path.resolve(r));
  return { lexical, real: lexical.map((r) => realpath(r) ?? r) };
}

/**
 * Parses `entry` and everything it imports. Returns the files with the entry first, or
 * undefined when any file failed to parse or load (diagnostics say why).
 */
export function loadProgram(entry: SourceFile, read: ReadFile, diags: Diagnostics, options: LoadOptions = {}): LoadedFile[] | undefined {
  const loaded = new Map<string, LoadedFile>();
  const roots = options.importRoots ? resolveRoots(options.importRoots) : undefined;
  let ok = true;
  // Depth-first, with an explicit stack rather than recursion: a chain of thousands of
  // imports must not overflow the call stack. `chain` is the import path to the file being
  // read (for cycles); names are compared normalised, so an entry given as `./main.attn` is
  // the same file as `main.attn` imported back.
  interface Frame { readonly file: SourceFile; readonly imports: FileAst['imports']; next: number }
  const frames: Frame[] = [];
  const chain: string[] = [];
  const onChain = new Set<string>();
  const enter = (file: SourceFile) => {
    const ast = parseFile(file, diags);
    if (!ast) { ok = false; return; }
    const key = path.normalize(file.name);
    loaded.set(key, { file, ast });
    frames.push({ file, imports: ast.imports, next: 0 });
    chain.push(file.name);
    onChain.add(key);
  };
  enter(entry);
  while (frames.length) {
    const top = frames[frames.length - 1];
    if (top.next >= top.imports.length) {
      frames.pop();
      chain.pop();
      onChain.delete(path.normalize(top.file.name));
      continue;
    }
    const file = top.file;
    const imp = top.imports[top.next++];
    const target = path.normalize(path.join(path.dirname(file.name), imp.path));
    if (!target.endsWith(SOURCE_EXTENSION) || path.basename(target) === SOURCE_EXTENSION) {
      diags.report('import_refused', `\`${imp.path}\` is not an .attn file; only .attn files can be imported`, imp.span);
      ok = false;
      continue;
    }
    if (onChain.has(target)) {
      diags.report('import_cycle', `\`${imp.path}\` imports back into ${file.name}`, imp.span, [`cycle: ${[...chain, target].join(' -> ')}`]);
      ok = false;
      continue;
    }
    if (loaded.has(target)) continue;
    const abs = path.resolve(target);
    const real = realpath(abs);
    if (real !== undefined && !real.endsWith(SOURCE_EXTENSION)) {
      diags.report('import_refused', `\`${imp.path}\` is a link to a file that is not an .attn file; only .attn files can be imported`, imp.span);
      ok = false;
      continue;
    }
    if (roots) {
      const outside = !roots.lexical.some((r) => isInside(abs, r)) ? abs : real !== undefined && !roots.real.some((r) => isInside(real, r)) ? real : undefined;
      if (outside !== undefined) {
        diags.report('import_refused', `\`${imp.path}\` is outside the folders imports may come from`, imp.span, [`it resolves to ${outside}`, `imports are allowed from: ${roots.lexical.join(', ')}`]);
        ok = false;
        continue;
      }
    }
    const text = read(target);
    if (text === undefined) {
      diags.report('missing_import', `cannot read imported file \`${imp.path}\` (looked for ${target})`, imp.span);
      ok = false;
      continue;
    }
    if (typeof text !== 'string') {
      diags.report(text.code, `imported file \`${imp.path}\` ${text.reason}`, imp.span);
      ok = false;
      continue;
    }
    enter({ name: target, text });
  }
  return ok ? [...loaded.values()] : undefined;
}
