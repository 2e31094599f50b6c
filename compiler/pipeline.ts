/**
 * The attnc pipeline, top to bottom. Each phase lives in its own numbered folder and imports
 * only from earlier phases and `ir/`:
 *
 *   1-parse   text -> AST                       (parseFile; via loadProgram for imports)
 *   2-check   AST -> checked mask IR            (checkProgram), then bindParams
 *   3-lower   mask IR -> block-sparse schedule  (lowerPattern: see 3-lower/lower.ts)
 *   4-emit    schedule + IR -> kernels, bindings
 *
 * User mistakes are reported as diagnostics and surface here as a `UserError`; anything
 * else thrown is a compiler bug.
 */
import { Diagnostics, UserError } from './diagnostics/diagnostic.ts';
import type { SourceFile } from './diagnostics/span.ts';
import { loadProgram, type LoadOptions, type ReadFile } from './2-check/load.ts';
import { checkProgram } from './2-check/check.ts';
import type { CheckedPattern, CheckedProgram } from './ir/program.ts';
import type { BoundPattern } from './2-check/bind.ts';
import { lowerPattern } from './3-lower/lower.ts';
import { printPlanner } from './4-emit/planner/print-planner.ts';
import type { PlanIR } from './ir/plan.ts';
import { loadPlanner, type PlannerModule } from '../runtime/schedule/planner.ts';
import { FileReadError, MAX_SOURCE_BYTES, readTextBounded } from '../runtime/io/files.ts';

/**
 * Reads source files from disk: regular files of at most `MAX_SOURCE_BYTES` (see
 * `readFileBounded`). Undefined when missing or unreadable; a refusal for a folder, device,
 * /proc file or a file too large.
 */
export const readFromDisk: ReadFile = (name) => {
  try {
    return readTextBounded(name, MAX_SOURCE_BYTES);
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    return e.code === 'file_not_found' ? undefined : { code: e.code, reason: e.reason };
  }
};

/**
 * Phases 1-2 on one source: parse (with imports) and check. Diagnostics go into `diags`.
 * `options.importRoots` confines imports to those folders (for untrusted sources).
 */
export function checkSource(file: SourceFile, diags: Diagnostics, read: ReadFile = readFromDisk, options: LoadOptions = {}): CheckedProgram | undefined {
  const files = loadProgram(file, read, diags, options);
  if (!files) return undefined;
  return checkProgram(files, diags);
}

/** Checks and picks one pattern (by name, or the only one). Throws `UserError` on errors. */
export function checkPatternFile(file: SourceFile, patternName: string | undefined, diags: Diagnostics, read: ReadFile = readFromDisk, options: LoadOptions = {}): CheckedPattern {
  const prog = checkSource(file, diags, read, options);
  if (!prog) throw new UserError(diags);
  return selectPattern(prog, patternName, diags);
}

/** Picks a pattern from a program: by name, or the only one. */
export function selectPattern(prog: CheckedProgram, name: string | undefined, diags: Diagnostics): CheckedPattern {
  const names = prog.patterns.map((p) => p.name);
  if (name !== undefined) {
    const p = prog.patterns.find((x) => x.name === name);
    if (p) return p;
    diags.report('unknown_pattern', `${prog.file.name} has no pattern \`${name}\` (it has: ${names.join(', ') || 'none'})`);
    throw new UserError(diags);
  }
  if (prog.patterns.length === 1) return prog.patterns[0];
  diags.report('unknown_pattern', prog.patterns.length === 0 ? `${prog.file.name} defines no pattern` : `${prog.file.name} defines ${names.length} patterns; choose one with --pattern (${names.join(', ')})`);
  throw new UserError(diags);
}


/** A lowered pattern: planner IR, its printed source, and that source loaded in process. */
export interface LoweredPattern {
  readonly plan: PlanIR;
  readonly plannerSource: string;
  readonly planner: PlannerModule;
}

/** Phases 3-4 for schedules: lower a bound pattern and load its printed planner. */
export function lowerToPlanner(bp: BoundPattern): LoweredPattern {
  const plan = lowerPattern(bp);
  const plannerSource = printPlanner(plan);
  return { plan, plannerSource, planner: loadPlanner(plannerSource) };
}
