/**
 * Phase 2 entry: checks a loaded program. Functions first (they are shared), then each
 * pattern of the entry file.
 */
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { CheckedPattern, CheckedProgram } from '../ir/program.ts';
import { checkFns } from './check-fns.ts';
import { checkPattern } from './check-pattern.ts';
import type { LoadedFile } from './load.ts';

/** Checks all files; returns the entry file's checked patterns, or undefined on errors. */
export function checkProgram(files: readonly LoadedFile[], diags: Diagnostics): CheckedProgram | undefined {
  const fns = checkFns(files, diags);
  const entry = files[0];
  const patterns: CheckedPattern[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    for (const p of f.ast.patterns) {
      const prev = seen.get(p.name.text);
      if (prev !== undefined) {
        diags.report('duplicate_definition', `pattern \`${p.name.text}\` is defined twice`, p.name.span, [`first defined in ${prev}`]);
        continue;
      }
      seen.set(p.name.text, f.file.name);
      // Imported files are checked too, so their mistakes surface; only the entry file's
      // patterns are the program's.
      const checked = checkPattern(p, fns, diags);
      if (checked && f === entry) patterns.push(checked);
    }
  }
  if (diags.hasErrors) return undefined;
  return { file: entry.file, patterns };
}
