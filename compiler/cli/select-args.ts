/**
 * `schedule` and `viz` on a pattern with a `select` clause. Without data they plan the static
 * part (what every call attends to) and say on stderr that the selected blocks are chosen
 * per call; with `--q`/`--k` (or `--input SCORE=...` for a score input) they plan the call:
 * the merged schedule with the selected blocks (`plan-dynamic.ts`).
 */
import type { BoundPattern, ParamValue } from '../2-check/bind.ts';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import { callSelection, lowerDynamicToPlanners, planDynamic } from '../plan-dynamic.ts';
import { lowerToPlanner } from '../pipeline.ts';
import type { NpyArray } from '../../runtime/io/npy.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { selectionBlocks } from '../../runtime/schedule/select-scores.ts';
import { PlanError, type Schedule } from '../../runtime/schedule/types.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { SCORE_INPUT_TYPE } from '../ir/program.ts';
import { readNpyInput, reportFailedAsserts, reportFullyMaskedRows } from './plan-args.ts';

/** The data options of the planning commands. */
export interface SelectDataOptions {
  q?: string;
  k?: string;
  kvHeads?: string;
}

/** The problem the planning options describe. */
export interface ProblemOptions {
  readonly qLen: number;
  readonly kvLen: number;
  readonly heads: number;
  readonly batch: number;
  readonly blockQ: number;
  readonly blockKv: number;
  readonly params: Record<string, ParamValue>;
  readonly inputs: Record<string, Int32Array>;
}

/** A float tensor from a .npy file (float32 or float64), or undefined (reported). */
function readFloats(what: string, file: string, dims: number, diags: Diagnostics): NpyArray | undefined {
  const a = readNpyInput(what, file, diags);
  if (!a) return undefined;
  if (a.dtype !== 'f4' && a.dtype !== 'f8') diags.report('bad_input', `${what} ${file}: expected float32 or float64, got dtype ${a.dtype}`);
  else if (a.shape.length !== dims) diags.report('bad_input', `${what} ${file}: expected a ${dims}-D array, got shape (${a.shape.join(', ')})`);
  else return a;
  return undefined;
}

/** Plans a dynamic pattern for `schedule`/`viz`. Throws `UserError`. */
export function planSelectFromOptions(bound: BoundPattern, o: SelectDataOptions & { input: Record<string, string>; batch?: string; kvLen?: string }, p: ProblemOptions, diags: Diagnostics): Schedule {
  const sel = bound.select!;
  const name = bound.pattern.name;
  const scoreInput = sel.score.kind === 'input' ? sel.score.name : undefined;
  const gateFile = scoreInput !== undefined && Object.hasOwn(o.input, scoreInput) ? o.input[scoreInput] : undefined;
  if (scoreInput === undefined && (o.q === undefined) !== (o.k === undefined)) diags.report('bad_input', `pattern \`${name}\` scores blocks by the queries and the keys: give both --q and --k`);
  if (scoreInput !== undefined && (o.q !== undefined || o.k !== undefined)) diags.report('bad_input', `pattern \`${name}\` scores blocks by its input \`${scoreInput}\`, not by --q/--k: give it with --input ${scoreInput}=FILE.npy (${SCORE_INPUT_TYPE})`);
  if (diags.hasErrors) throw new UserError(diags);
  const withData = scoreInput === undefined ? o.q !== undefined : gateFile !== undefined;
  try {
    if (!withData) return planStatic(bound, p);
    const q = o.q === undefined ? undefined : readFloats('--q', o.q, 4, diags);
    const k = o.k === undefined ? undefined : readFloats('--k', o.k, 4, diags);
    const gate = gateFile === undefined ? undefined : readFloats(`input \`${scoreInput}\``, gateFile, 4, diags);
    if (diags.hasErrors) throw new UserError(diags);
    let { batch, heads, qLen, kvLen } = p;
    let kvHeads = heads, headDim = 1;
    const mismatch = (what: string, want: number, got: number, from: string, fix?: string) => {
      if (want !== got) diags.report('bad_input', `${from} has ${what} ${got}, but the problem has ${want}${fix ? `: give ${fix} ${got}` : ''}`, undefined, ['the queries are [batch, heads, q_len, d], the keys [batch, kv_heads, kv_len, d]; --q-len, --kv-len, --heads and --batch must agree with them']);
    };
    if (q && k) {
      const [qb, qh, ql, qd] = q.shape, [kb, kh, kl, kd] = k.shape;
      mismatch('q_len', qLen, ql, `--q (${q.shape.join(', ')})`, '--q-len');
      if (o.kvLen !== undefined) mismatch('kv_len', kvLen, kl, `--k (${k.shape.join(', ')})`, '--kv-len');
      if (o.batch !== undefined) mismatch('batch', batch, qb, `--q (${q.shape.join(', ')})`, '--batch');
      mismatch('heads', heads, qh, `--q (${q.shape.join(', ')})`, '--heads');
      mismatch('batch', qb, kb, `--k (${k.shape.join(', ')})`);
      mismatch('head dim', qd, kd, `--k (${k.shape.join(', ')})`);
      if (kh < 1 || qh % kh !== 0) diags.report('bad_input', `--k has ${kh} heads, which must divide the ${qh} heads of --q`);
      if (o.kvHeads !== undefined && Number(o.kvHeads) !== kh) diags.report('bad_input', `--k (${k.shape.join(', ')}) has ${kh} kv heads, but --kv-heads is ${o.kvHeads}`);
      ({ batch, kvLen } = { batch: qb, kvLen: kl });
      kvHeads = kh;
      headDim = qd;
    } else if (o.kvHeads !== undefined) {
      kvHeads = Number(o.kvHeads);
      if (!Number.isSafeInteger(kvHeads) || kvHeads < 1 || heads % kvHeads !== 0) diags.report('bad_size', `--kv-heads must be a positive divisor of --heads (${heads}), got \`${o.kvHeads}\``);
    }
    if (diags.hasErrors) throw new UserError(diags);
    const call = { batch, heads, kvHeads, qLen, kvLen, headDim, blockQ: p.blockQ, blockKv: p.blockKv, params: p.params, inputs: p.inputs };
    if (gate) {
      if (o.batch === undefined) batch = gate.shape[0];
      const { shape } = callSelection(bound, { ...call, batch });
      const { nQ, nK } = selectionBlocks(shape);
      const want = [batch, heads, nQ, nK];
      if (gate.shape.join() !== want.join()) {
        diags.report('bad_input', `input \`${scoreInput}\` has shape (${gate.shape.join(', ')}), but the call needs [batch, heads, q_blocks, kv_blocks] = [${want.join(', ')}]`, undefined, [`q_blocks = ceil(q_len / ${shape.blockQ}), kv_blocks = ceil(kv_len / ${shape.blockKv})`]);
        throw new UserError(diags);
      }
    }
    const plan = planDynamic(bound, lowerDynamicToPlanners(bound), { ...call, batch, q: q?.data as ArrayLike<number> | undefined, k: k?.data as ArrayLike<number> | undefined, gate: gate?.data as ArrayLike<number> | undefined });
    verifySchedule(plan.schedule);
    reportFullyMaskedRows(plan.schedule, diags);
    return plan.schedule;
  } catch (e) {
    if (!(e instanceof PlanError)) throw e;
    if (e.code === 'assertion_failed') {
      const { planner } = lowerToPlanner(bound);
      if (reportFailedAsserts(bound, planner, p, p.params, diags)) throw new UserError(diags);
    }
    const values = [`q_len = ${p.qLen}`, `kv_len = ${p.kvLen}`, `heads = ${p.heads}`, ...Object.entries(p.params).map(([n, v]) => `${n} = ${v}`)];
    diags.report(e.code, e.message, e.code === 'bad_select' ? sel.span : undefined, e.code === 'bad_select' ? [`with ${values.join(', ')}`] : []);
    throw new UserError(diags);
  }
}

/** The static part alone (the blocks every call attends to), with a note that the rest is chosen per call. */
function planStatic(bound: BoundPattern, p: ProblemOptions): Schedule {
  callSelection(bound, { ...p, kvHeads: p.heads });
  const schedule = planSchedule(lowerToPlanner(bound).planner, p);
  verifySchedule(schedule);
  const data = bound.select!.score.kind === 'input' ? `--input ${bound.select!.score.name}=FILE.npy` : '--q FILE.npy --k FILE.npy';
  process.stderr.write(`note: pattern \`${bound.pattern.name}\` selects key blocks per call from the data (\`select\`): this is only its static part, the blocks every call attends to; give ${data} to see the blocks a call selects\n`);
  return schedule;
}
