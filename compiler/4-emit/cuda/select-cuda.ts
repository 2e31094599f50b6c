/**
 * The CUDA target of a pattern with a `select` clause: the three static patterns the runtime
 * plans (lowerDynamic: Static A && R, Restriction R, Candidates R && !A), the masks the kernels
 * combine with the selected cells, and the clause's count, block sizes and score as C.
 */
import type { BoundPattern } from '../../2-check/bind.ts';
import { lowerDynamic } from '../../3-lower/lower.ts';
import { and, not, show, type MExpr } from '../../ir/mask.ts';
import type { SelectScore } from '../../ir/program.ts';
import { assertNever } from '../../diagnostics/diagnostic.ts';
import type { CudaSelect } from './emit-cuda.ts';
import { printCLets, type CLeaves } from './print-c.ts';

/** Leaves of the clause's int expressions, read from the C argument struct `a`. */
const argLeaves: CLeaves = {
  size: (n) => `a->${n}`,
  param: (n) => `a->p_${n}`,
  input: (n) => {
    throw new Error(`internal error (a bug in attnc): a select count or block size reads input array ${n}`);
  },
  ns: 'attnc::',
};

/** The runtime's score kind. */
export function cudaScore(score: SelectScore): CudaSelect['score'] {
  switch (score.kind) {
    case 'bound':
      return 'SELECT_BOUND';
    case 'dot':
      return score.kPool === 'max' ? 'SELECT_DOT_MAX' : 'SELECT_DOT_MEAN';
    case 'input':
      return 'SELECT_INPUT';
    default:
      return assertNever(score);
  }
}

/** `x` as the body of a C function over `a`: its shared nodes bound first. */
function cFunctionBody(x: MExpr): string {
  const printed = printCLets([x], argLeaves);
  return [...printed.lets, `return ${printed.exprs[0]};`].join(' ');
}

/** `{ [key]: value }` where `x` is a positive int constant that fits a C int; else nothing. */
function constant(key: 'blockQConst' | 'blockKvConst', x: MExpr): Partial<Record<typeof key, number>> {
  return x.kind === 'const' && typeof x.value === 'number' && Number.isInteger(x.value) && x.value > 0 && x.value < 2 ** 31 ? { [key]: x.value } : {};
}

/** The clause as one line for comments. */
function clauseText(bp: BoundPattern): string {
  const s = bp.select!;
  const score = s.score.kind === 'dot' ? `dot(mean(q), ${s.score.kPool}(k))` : s.score.kind === 'bound' ? 'bound(mean(q), k)' : s.score.name;
  return `select top(${show(s.k)}) blocks(${show(s.blockQ)}, ${show(s.blockKv)}) by ${score}${s.perKvHead ? ' per kv_head' : ''}`;
}

/** The score input a clause reads (its name and doc), if it scores by one. */
function scoreInput(bp: BoundPattern): CudaSelect['scoreInput'] {
  const score = bp.select?.score;
  if (score?.kind !== 'input') return undefined;
  const param = bp.pattern.params.find((p) => p.name === score.name);
  if (!param) throw new Error(`internal error (a bug in attnc): select score input ${score.name} is not a parameter of ${bp.pattern.name}`);
  return { name: param.name, doc: param.doc };
}

/** What emitCuda needs of a dynamic pattern; undefined for a static one. */
export function cudaSelect(bp: BoundPattern): CudaSelect | undefined {
  const sel = bp.select;
  if (!sel) return undefined;
  const score = cudaScore(sel.score);
  const dyn = lowerDynamic(bp);
  return {
    restriction: { bp: { ...bp, mask: sel.restriction }, plan: dyn.restriction },
    candidates: { bp: { ...bp, mask: and([sel.restriction, not(sel.allow)]) }, plan: dyn.candidates },
    allow: sel.allow,
    restrictionMask: sel.restriction,
    score,
    ...(scoreInput(bp) ? { scoreInput: scoreInput(bp) } : {}),
    perKvHead: sel.perKvHead,
    topk: cFunctionBody(sel.k),
    blockQ: cFunctionBody(sel.blockQ),
    blockKv: cFunctionBody(sel.blockKv),
    ...constant('blockQConst', sel.blockQ),
    ...constant('blockKvConst', sel.blockKv),
    text: clauseText(bp),
  };
}
