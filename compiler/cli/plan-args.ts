/**
 * Shared by `schedule` and `viz`: options that describe a problem, and the path from a
 * file to a verified schedule (check, bind, lower, plan, verify), with every user mistake
 * turned into a coded diagnostic.
 */
import type { Command } from 'commander';
import { bindParams, checkRuntimeValues, parseIntText, resolveParamValues, setOwn, type BoundPattern } from '../2-check/bind.ts';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import { checkPatternFile, lowerToPlanner } from '../pipeline.ts';
import { NpyError, readNpy, toIntArray, type NpyArray } from '../../runtime/io/npy.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import type { PlannerModule } from '../../runtime/schedule/planner.ts';
import { PlanError, type Schedule } from '../../runtime/schedule/types.ts';
import { assertMessage, inputTypeText, type CheckedPattern } from '../ir/program.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { addSourceOptions, collectParam, loadOptions, parseParamArgs, requireSource, type SourceOptions } from './source.ts';
import { FileReadError, MAX_NPY_BYTES, readFileBounded } from '../../runtime/io/files.ts';
import { planProgress } from './progress.ts';
import { parseTilesOption } from './tiles-arg.ts';
import { planSelectFromOptions, type SelectDataOptions } from './select-args.ts';

/** Options every planning command accepts. */
export interface PlanOptions extends SourceOptions, SelectDataOptions {
  pattern?: string;
  qLen: string;
  kvLen?: string;
  heads: string;
  batch?: string;
  blockQ: string;
  blockKv: string;
  param: Record<string, string>;
  input: Record<string, string>;
  tiles: string;
}

/** Adds the planning options to a command. */
export function addPlanOptions(cmd: Command): Command {
  return addSourceOptions(cmd)
    .option('--pattern <name>', 'pattern to use when the file defines several')
    .requiredOption('--q-len <n>', 'query sequence length (tokens; 4k = 4096)')
    .option('--kv-len <n>', 'key/value sequence length (default: --q-len)')
    .option('--heads <n>', 'number of heads (the same default as simulate)', '16')
    .option('--batch <n>', 'batch size (matters only for masks that use b; default: the batch of per-batch --input arrays, else 1)')
    .option('--block-q <n>', 'query block size: a power of two, 16..256', '128')
    .option('--block-kv <n>', 'key/value block size: a power of two, 16..256', '128')
    .option('--tiles <shape>', 'tiles of a pattern with a layout: auto (the cheaper of strips and boxes), strip, or a box such as 8x16 in grid coordinates (axes in layout order; 8x16,16x8 gives the query and the key box)', 'auto')
    .option('--param <name=value>', 'set a parameter (repeatable)', collectParam, {})
    .option('--input <name=file.npy>', 'input array from a .npy file: shape [len], [batch] or [batch, len] as declared, or a select score [batch, heads, q_blocks, kv_blocks] (repeatable)', collectParam, {})
    .option('--q <file.npy>', 'queries [batch, heads, q_len, d] (float32/float64): a pattern with `select` shows the blocks they select')
    .option('--k <file.npy>', 'keys [batch, kv_heads, kv_len, d] (float32/float64), with --q')
    .option('--kv-heads <n>', 'key/value heads (GQA) of a `select ... per kv_head` scored by an input (default: from --k, else --heads)');
}

function intOption(name: string, text: string, diags: Diagnostics): number {
  const v = parseIntText(text);
  if (v === undefined || v < 1) {
    diags.report('bad_size', `--${name} expects a positive integer (like 4096 or 4k), got \`${text}\``);
    return NaN;
  }
  return v;
}

/**
 * An `assert` that depends on the sizes or runtime values fails when planning: each failed one
 * is reported at its line, with the values it was checked against. False when none could be
 * matched to its source (the caller reports the planner's message).
 */
export function reportFailedAsserts(bound: BoundPattern, planner: PlannerModule, sizes: { qLen: number; kvLen: number; heads: number }, runtime: Record<string, number | boolean>, diags: Diagnostics): boolean {
  const failed = new Set(planner.failedAsserts(sizes, runtime));
  const values = [`q_len = ${sizes.qLen}`, `kv_len = ${sizes.kvLen}`, `heads = ${sizes.heads}`, ...Object.entries(runtime).map(([k, v]) => `${k} = ${v}`)];
  let n = 0;
  for (const a of bound.pendingAsserts) {
    if (!failed.has(assertMessage(a))) continue;
    diags.report('assertion_failed', a.message ?? 'assertion failed', a.span, [`with ${values.join(', ')}`]);
    n++;
  }
  return n > 0;
}

/** Checks, binds, lowers and plans; returns the verified schedule. Throws `UserError`. */
export function planFromOptions(file: string, o: PlanOptions, diags: Diagnostics): { schedule: Schedule; plannerSource: string } {
  const load = loadOptions(o, diags);
  const src = requireSource(file, diags);
  const qLen = intOption('q-len', o.qLen, diags);
  const kvLen = o.kvLen === undefined ? qLen : intOption('kv-len', o.kvLen, diags);
  const heads = intOption('heads', o.heads, diags);
  const batchOpt = o.batch === undefined ? undefined : intOption('batch', o.batch, diags);
  const blockQ = intOption('block-q', o.blockQ, diags);
  const blockKv = intOption('block-kv', o.blockKv, diags);
  const params = parseParamArgs(o.param, diags);
  const tiles = parseTilesOption(o.tiles ?? 'auto', diags);
  if (diags.hasErrors) throw new UserError(diags);

  const pattern = checkPatternFile(src, o.pattern, diags, undefined, load);
  const bound = bindParams(pattern, params, diags);
  const runtimeValues = resolveParamValues(pattern, params, diags, ['runtime']);
  const loaded = loadInputArrays(pattern, o.input, diags, batchOpt);
  const inputs = loaded.inputs;
  const batch = batchOpt ?? loaded.batch ?? 1;
  if (bound) checkRuntimeValues(bound, runtimeValues, diags);
  if (!bound || diags.hasErrors) throw new UserError(diags);

  if (bound.select && tiles !== 'auto' && tiles !== 'strip') {
    diags.report('bad_tile_shape', `pattern \`${pattern.name}\` has a \`select\` clause, whose blocks are strips of the flat index: plan it with --tiles strip`);
    throw new UserError(diags);
  }
  if (bound.select) return { schedule: planSelectFromOptions(bound, o, { qLen, kvLen, heads, batch, blockQ, blockKv, params: runtimeValues, inputs }, diags), plannerSource: lowerToPlanner(bound).plannerSource };
  const lowered = lowerToPlanner(bound);
  let schedule: Schedule;
  const progress = planProgress(`planning ${pattern.name}`);
  try {
    schedule = planSchedule(lowered.planner, { qLen, kvLen, heads, batch, blockQ, blockKv, params: runtimeValues, inputs, tiles }, progress.report, progress.afterMs);
  } catch (e) {
    if (e instanceof PlanError) {
      if (e.code === 'assertion_failed' && reportFailedAsserts(bound, lowered.planner, { qLen, kvLen, heads }, runtimeValues, diags)) throw new UserError(diags);
      diags.report(e.code, e.message);
      throw new UserError(diags);
    }
    throw e;
  } finally {
    progress.done();
  }
  verifySchedule(schedule);
  reportFullyMaskedRows(schedule, diags);
  reportUnprovenTiles(schedule, diags);
  return { schedule, plannerSource: lowered.plannerSource };
}


/** Reads `--input name=file.npy` arrays for a pattern's `input` parameters (coded errors; a missing one is an error unless `omitMissing`). */
export function loadInputs(pattern: CheckedPattern, raw: Record<string, string>, diags: Diagnostics, omitMissing = false): Record<string, Int32Array> {
  return loadInputArrays(pattern, raw, diags, undefined, omitMissing).inputs;
}

/**
 * Reads `--input name=file.npy` arrays, flattened row-major: shape `[len]` for `int[q_len]`/
 * `int[kv_len]`, `[batch]` for `int[batch]`, `[batch, len]` for `int[batch, kv_len]`. `batch`
 * is the batch size their shapes agree on (undefined when no array has a batch dimension);
 * each must match `wantBatch` (named `batchSource`: `--batch`) when that is given.
 */
export function loadInputArrays(pattern: CheckedPattern, raw: Record<string, string>, diags: Diagnostics, wantBatch?: number, omitMissing = false, batchSource = '--batch'): { inputs: Record<string, Int32Array>; batch?: number } {
  const inputs: Record<string, Int32Array> = {};
  let batch: { n: number; from?: string } | undefined = wantBatch === undefined ? undefined : { n: wantBatch };
  for (const [name, path] of Object.entries(parseParamArgs(raw, diags, '--input', 'name=file.npy'))) {
    const decl = pattern.params.find((p) => p.name === name);
    // A select score input is read with the call's data (`select-args.ts`).
    if (decl?.type === 'float[]') continue;
    if (!decl || decl.mode !== 'input') {
      diags.report('bad_input', `pattern \`${pattern.name}\` has no input array \`${name}\``);
      continue;
    }
    const arr = readNpyInput(`input \`${name}\``, path, diags);
    if (!arr) continue;
    const type = inputTypeText(decl);
    const perBatch = decl.batched || decl.length === 'batch';
    try {
      const dims = decl.batched ? 2 : 1;
      if (arr.shape.length !== dims) throw new NpyError(`\`${name}\` is ${type}: expected a ${dims}-D array${decl.batched ? ` of shape [batch, ${decl.length}]` : ''}, got shape (${arr.shape.join(', ')})`);
      if (perBatch) {
        const n = arr.shape[0];
        if (batch && batch.n !== n) throw new NpyError(`\`${name}\` is ${type} with batch ${n}, but ${batch.from === undefined ? `${batchSource} is` : `input \`${batch.from}\` has batch`} ${batch.n}`);
        batch ??= { n, from: name };
      }
      setOwn(inputs, name, toIntArray(arr));
    } catch (e) {
      if (!(e instanceof NpyError)) throw e;
      diags.report('bad_input', `input \`${name}\` from ${path}: ${e.message}`);
    }
  }
  if (!omitMissing) {
    for (const p of pattern.params) {
      if (p.mode === 'input' && p.type === 'int[]' && !Object.hasOwn(raw, p.name)) {
        const shape = p.batched ? `a 2-D integer .npy file of shape [batch, ${p.length}]` : p.length === 'batch' ? 'a 1-D integer .npy file of one entry per batch element' : `a 1-D integer .npy file (${String(p.length ?? 'kv_len')} entries)`;
        diags.report('bad_input', `input array \`${p.name}\` is required: pass it with --input ${p.name}=FILE.npy, ${shape}`);
      }
    }
  }
  return { inputs, batch: batch?.n };
}

/**
 * Reads a .npy file (a regular file of at most `MAX_NPY_BYTES`) for `what` (`--q`, `input
 * \`doc\``), or reports why not: `bad_input` when it is missing or not a valid .npy,
 * `not_a_regular_file` or `file_too_large`.
 */
export function readNpyInput(what: string, path: string, diags: Diagnostics): NpyArray | undefined {
  try {
    const bytes = readFileBounded(path, MAX_NPY_BYTES);
    // A plain Uint8Array view: readNpy copies with `slice`, which on a Buffer would not copy.
    return readNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof FileReadError) diags.report(e.code === 'file_not_found' ? 'bad_input' : e.code, `${what}: ${path} ${e.reason}`);
    else if (e instanceof NpyError) diags.report('bad_input', `${what} from ${path}: ${e.message}`);
    else throw e;
    return undefined;
  }
}

/** Tiles the planner's budget left undecided (`groupRefineBudget` in plan.ts): sound, but computed. */
export function reportUnprovenTiles(s: Schedule, diags: Diagnostics): void {
  const n = s.stats.unprovenPartialTiles;
  if (n > 0) {
    diags.report('unproven_tiles', `${n} of the ${s.stats.partialTiles} PARTIAL tiles could not be decided within the planner's budget and are listed PARTIAL: sound, but the kernels compute them, so the schedule may be denser than the pattern`, undefined, [
      'the interval classifier could not bound the mask over these tiles (a `hash` of single tokens, say); smaller blocks may let it',
    ]);
  }
}

/** [Note: Fully masked rows] is where the planner finds them; here the user hears of them. */
export function reportFullyMaskedRows(s: Schedule, diags: Diagnostics): void {
  const notes: string[] = [];
  let rows = 0;
  s.groups.forEach((g, gi) => {
    if (!g.fullyMaskedRows.length) return;
    for (const [a, b] of g.fullyMaskedRows) rows += b - a;
    const shown = g.fullyMaskedRows.slice(0, 8).map(([a, b]) => (b - a === 1 ? `${a}` : `${a}..${b}`));
    const more = g.fullyMaskedRows.length > 8 ? `, ... (${g.fullyMaskedRows.length} ranges)` : '';
    notes.push(`group ${gi} (heads ${Array.from(g.members).slice(0, 8).join(',')}${g.members.length > 8 ? ',...' : ''}): query rows ${shown.join(', ')}${more}`);
  });
  if (notes.length) {
    diags.report('fully_masked_rows', `${rows} query row${rows === 1 ? '' : 's'} attend${rows === 1 ? 's' : ''} to no key; attnc kernels output 0 there (the schedule flags them)`, undefined, notes);
  }
}
