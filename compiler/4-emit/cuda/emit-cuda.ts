/**
 * CUDA backend: renders `templates/cuda/` for one bound pattern into `<name>.cu` (the pattern as
 * a `struct Pattern`: mask, score modifications, interval bounds, asserts; and its extern "C"
 * entry points), `<name>.h`, a PyTorch binding `<name>_torch.cpp` and a Python module
 * `<name>.py`. The kernels, the host planner and the launch code are hand-written C++ in
 * `runtime/cuda/attnc/`, templated on the Pattern; the Python glue is `runtime/python/attnc/`.
 * The view model below holds every decision; the templates hold layout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import type { BoundPattern } from '../../2-check/bind.ts';
import { dependsOnlyOnDiagonal, usesDiagonalBand } from '../../ir/diagonal.ts';
import { show, some, type MExpr } from '../../ir/mask.ts';
import { exprShape } from '../../2-check/elaborate.ts';
import type { PlanIR } from '../../ir/plan.ts';
import { assertMessage, inputLengthNeeds } from '../../ir/program.ts';
import { cBlockComment, cLineComment, cString, pyDocstring, pyLineComment } from '../escape.ts';
import { cTernary, printInterval, type IntervalDialect } from '../planner/print-interval.ts';
import { printCLets, type CLeaves } from './print-c.ts';
import { printBoxClassifier, type BoxDialect } from '../planner/print-box.ts';
import { profitableTileSpecialization } from '../../ir/tile-uniform.ts';
import { packagePath } from '../../../runtime/io/package-root.ts';

const TEMPLATES = packagePath('templates/cuda');

/** The host planner's dialect: 64-bit bounds, helpers from runtime/cuda/attnc/planner.h. */
export const CPP_DIALECT: IntervalDialect = {
  decl: (i, lo, hi) => `const long long l${i} = ${lo}, h${i} = ${hi};`,
  helper: (name, args) => `attnc::host::${name}(${args.join(', ')}, R);`,
  hash: (args) => `attnc::host::ivHash({${args.join(', ')}}, R);`,
  // `tq_in_<name>`, not `in_<name>_q`: inputs `x` and `x_q` would both declare `in_x_q`.
  inputRange: (name, axis, lo, hi) => `t${axis}_${name}->range(${lo}, ${hi}, R);`,
  scratch: ['R[0]', 'R[1]'],
  floorDivPos: (a, c) => `attnc::host::fdiv(${a}, ${c})`,
  minmax: (fn, args) => (args.length === 1 ? args[0] : `std::${fn}<long long>({${args.join(', ')}})`),
  eq: '==',
  ite: cTernary,
  and: '&&',
  or: '||',
  // Sizes, runtime values and slots are `int`: their exact sums and products need 64 bits.
  wide: (v) => (/^-?\d+$/.test(v) ? v : `(long long)${v}`),
};

const deviceLeaves: CLeaves = {
  size: (n) => `P.${n}`,
  param: (n) => `P.p_${n}`,
  input: (n, i) => `P.in_${n}[${i}]`,
  ns: 'attnc::',
};
/** The kernel's mask: eager logic (callers pass q < q_len, k < kv_len). */
const maskLeaves: CLeaves = { ...deviceLeaves, eager: true };
/** `Pattern::tile`: atom i of the tile specialization is the local `u<i>`. */
const tileLeaves: CLeaves = { ...maskLeaves, param: (n) => (n.startsWith('$a') ? `u${n.slice(2)}` : `P.p_${n}`) };
/** `Pattern::mask_tile`: field i of the tile is `t.v<i>`. */
const maskTileLeaves: CLeaves = { ...maskLeaves, param: (n) => (n.startsWith('$t') ? `t.v${n.slice(2)}` : `P.p_${n}`) };

/**
 * The tile-uniform half of a Pattern ([Note: Tile-uniform masks] in compiler/ir/tile-uniform.ts):
 * the fields of `Tile`, the body of `tile(P, b, h, qlo, qhi, klo, khi, t)` and `mask_tile`'s
 * expression; a pattern without a profitable specialization has none (the members are left out).
 */
function tileView(mask: MExpr) {
  const s = profitableTileSpecialization(mask);
  if (!s) return { tileUniform: false };
  const body: string[] = [], sameKeys: string[] = [];
  // Atom i at the first and last row (key) of the range, into u<i> and u<i>_end.
  const atomAt = (i: number, on: 'q' | 'k', lo: string, hi: string, out: string[]) => {
    const x = printCLets([s.atoms[i].expr], maskLeaves);
    const lets = x.lets.map((l) => `${l} `).join('');
    out.push(`int u${i}, u${i}_end;`);
    out.push(`{ const int ${on} = ${lo}; ${lets}u${i} = ${x.exprs[0]}; }`);
    out.push(`{ const int ${on} = ${hi}; ${lets}u${i}_end = ${x.exprs[0]}; }`);
    out.push(`if (u${i} != u${i}_end) return false;`);
  };
  s.atoms.forEach((a, i) => {
    atomAt(i, a.on, a.on === 'q' ? 'qlo' : 'klo', a.on === 'q' ? 'qhi' : 'khi', body);
    if (a.on === 'k') atomAt(i, 'k', 'ka', 'kb', sameKeys);
  });
  sameKeys.push('return true;');
  const fields = printCLets(s.fields, tileLeaves);
  body.push(...fields.lets, ...fields.exprs.map((x, i) => `t.v${i} = ${x};`), 'return true;');
  const m = printCLets([s.mask], maskTileLeaves);
  return {
    tileUniform: true,
    keyAtoms: s.atoms.some((a) => a.on === 'k'),
    sameKeysBody: statements(sameKeys, '    '),
    tileFields: s.fields.map((f, i) => ({ ctype: ctype(f.type), name: `v${i}` })),
    tileBody: statements(body, '    '),
    tileMaskLets: statements(m.lets, '    '),
    tileMask: m.exprs[0],
  };
}
const hostLeaves: CLeaves = {
  size: (n) => n,
  param: (n) => (n.startsWith('$g') ? `g_${n.slice(2)}` : `p_${n}`),
  input: (n, i) => `in_${n}[${i}]`,
  ns: 'attnc::',
};
const slotLeaves: CLeaves = { ...hostLeaves, size: (n) => `P.${n}`, param: (n) => `P.p_${n}`, input: (n, i) => `P.in_${n}[${i}]` };

/** The host planner's box half (print-box.ts): 64-bit locals; sizes and parameters are `Host` fields. */
const CPP_BOX: BoxDialect = {
  interval: CPP_DIALECT,
  decl: (pairs) => `const long long ${pairs.map(([n, v]) => `${n} = ${v}`).join(', ')};`,
  values: (exprs) => printCLets(exprs, hostLeaves),
  ownGrid: true,
};

/** Layouts of up to this many axes get box tiles on the host (runtime/cuda/attnc/planner.h: MAX_LAYOUT_AXES). */
const MAX_LAYOUT_AXES = 4;

/**
 * The box half of `Pattern::Host` (docs/schedule.md, "Box tiles"): the number of layout axes
 * (0 without a layout of 2 to MAX_LAYOUT_AXES axes), and the bodies of `layoutSizes(n)` and
 * `classifyBox(qa, qb, ka, kb)`.
 */
function boxView(plan: PlanIR): { layoutAxes: number; layoutSizesBody: string; classifyBoxBody: string } {
  const layout = plan.layout;
  const pad = (lines: readonly string[]) => lines.map((l) => `      ${l}`).join('\n');
  if (!layout || layout.axes.length < 2 || layout.axes.length > MAX_LAYOUT_AXES) {
    return { layoutAxes: 0, layoutSizesBody: pad(['(void)n;']), classifyBoxBody: pad(['(void)qa; (void)qb; (void)ka; (void)kb;', 'return 1;']) };
  }
  const sizes = printCLets(layout.sizes, hostLeaves);
  const box = printBoxClassifier(plan.mask, layout, CPP_BOX);
  return {
    layoutAxes: layout.axes.length,
    layoutSizesBody: pad([...sizes.lets, ...sizes.exprs.map((x, i) => `n[${i}] = ${x};`)]),
    classifyBoxBody: pad(['long long R[2];', '(void)R; (void)qa; (void)qb; (void)ka; (void)kb;', ...box.lines, `return ${box.lo} == 1 ? 2 : ${box.hi} == 0 ? 0 : 1;`]),
  };
}

const ctype = (t: string) => (t === 'float' ? 'float' : t === 'bool' ? 'bool' : 'int');

type Templates = Record<'cu' | 'h' | 'cpp' | 'py', Handlebars.TemplateDelegate>;
let compiled: Templates | undefined;
function templates(): Templates {
  if (!compiled) {
    const read = (f: string) => fs.readFileSync(path.join(TEMPLATES, f), 'utf8');
    const hb = Handlebars.create();
    hb.registerPartial('patternStruct', read('pattern-struct.hbs'));
    const c = (f: string) => hb.compile(read(f), { noEscape: true, strict: true });
    compiled = { cu: c('pattern.cu.hbs'), h: c('pattern.h.hbs'), cpp: c('torch.cpp.hbs'), py: c('loader.py.hbs') };
  }
  return compiled;
}

/**
 * Nodes of a mask expression, expanded (a shared node counted at each use, saturating at
 * 2^53): a measure of the registers its evaluation keeps live, and the one the threshold
 * below was measured with. Memoised per node, so linear in the DAG.
 */
export function maskSize(x: MExpr): number {
  return exprShape(x).size;
}

/** Whether the mask divides by, or takes a remainder by, a value that is not a compile-time constant. */
function hasRuntimeDivision(x: MExpr): boolean {
  return some(x, (n) => n.kind === 'arith' && (n.op === '/' || n.op === '%') && n.b.kind !== 'const');
}

/** `lets` as statements of a function body indented by `pad` (each line ends the statement), or ''. */
const statements = (lets: readonly string[], pad: string) => lets.map((l) => `${pad}${l}\n`).join('');

/**
 * Masks up to this size evaluate all 16 column groups of a PARTIAL tile together, so that the
 * independent evaluations overlap. Measured on an H200 at 16k against 2 at a time:
 *   - Longformer (13 nodes) ran 11% faster, Swin 9%, natten_2d (57) 8% and natten_1d 3%.
 *   - fixed ran 1% slower.
 * Three kinds of mask keep 2 groups at a time, because they spill in the Hopper kernel when
 * fully unrolled (test/cuda/nvcc.test.ts holds every bundled pattern to zero spills):
 *   - larger masks, such as BigBird's (66 nodes) and radial's (419);
 *   - masks with score modifications;
 *   - masks that divide by a runtime value (S2-Attention's `h * max(1, 8 / heads)`), whose
 *     expansion keeps several registers live per evaluation.
 */
export const FULL_MASK_UNROLL_NODES = 60;

export function maskUnroll(bp: Pick<BoundPattern, 'mask' | 'inputs' | 'bias' | 'softcap'>): number {
  if (bp.inputs.length > 0) return 16;  // loads of input arrays overlap
  const small = maskSize(bp.mask) <= FULL_MASK_UNROLL_NODES && !hasRuntimeDivision(bp.mask);
  return small && !bp.bias && !bp.softcap ? 16 : 2;
}

/** What the templates print of one bound pattern, around its mask `bp.mask` planned as `plan`. */
function patternView(bp: BoundPattern, plan: PlanIR, source: string) {
  const name = bp.pattern.name;
  const iv = printInterval(plan.mask, CPP_DIALECT);
  const oneLine = (e: MExpr | undefined) => (e ? show(e) : '');
  // Text from the pattern file and the file system, escaped for each place it lands in: the
  // `//` comments of the .cu and _torch.cpp, the .h's `//` header and `/* */` field comments,
  // and the .py's `#` header and docstring.
  const userText = (comment: (s: string) => string, doc: (s: string) => string = comment) => ({
    source: comment(source),
    // The doc's first paragraph as one line (its first line alone can stop mid-sentence).
    doc: doc((bp.pattern.doc.split(/\n\s*\n/)[0] ?? '').replace(/\s+/g, ' ').trim()),
    maskText: comment(oneLine(bp.mask)),
    biasText: comment(oneLine(bp.bias)),
    softcapText: comment(oneLine(bp.softcap)),
    runtimeParams: plan.runtimeParams.map((p) => ({ name: p.name, type: p.type, ctype: ctype(p.type), doc: doc(p.doc.replace(/\s+/g, ' ').trim()) })),
    inputs: plan.inputs.map((p) => {
      // `length` is what comments and the loader's docstring say; `count*` the C expressions of the
      // entries (`batch * kv_len` for a row per batch element, flat and row-major); `shape` the
      // loader's declaration (`batch,kv_len`), which the Python runtime checks and flattens.
      const last = p.length ?? 'kv_len';
      return {
        name: p.name,
        length: p.batched ? `batch * ${last}` : last,
        countArrow: p.batched ? `a->batch * a->${last}` : `a->${last}`,
        countDot: p.batched ? `a.batch * a.${last}` : `a.${last}`,
        shape: p.batched ? `batch,${last}` : last,
        pyLength: p.batched ? `a [batch, ${last}] tensor` : `${last} entries`,
        doc: doc(p.doc.replace(/\s+/g, ' ').trim()),
      };
    }),
  });
  // Each function of the Pattern binds the nodes its expressions share to locals once.
  const deviceMask = printCLets([bp.mask], deviceLeaves);
  const eagerMask = printCLets([bp.mask], maskLeaves);
  const score = printCLets([bp.softcap, bp.bias].filter((e): e is MExpr => Boolean(e)), deviceLeaves);
  const grad = printCLets(bp.softcap ? [bp.softcap] : [], deviceLeaves);
  const hostMask = printCLets([plan.mask], hostLeaves);
  const asserts = printCLets(plan.asserts.map((a) => a.cond), hostLeaves);
  const slots = printCLets(plan.headSlots.map((s) => s.expr), slotLeaves);
  const view = {
    name,
    constText: Object.entries(bp.constValues).map(([k, v]) => `${k} = ${v}`).join(', ') || 'none',
    slots: plan.headSlots.map((_, index) => ({ index })),
    dependsOnBatch: plan.dependsOnBatch,
    hasScoreMod: Boolean(bp.bias || bp.softcap),
    maskDiagonal: dependsOnlyOnDiagonal(bp.mask),
    diagonalBand: usesDiagonalBand(bp),
    maskUnroll: maskUnroll(bp),
    deviceMask: deviceMask.exprs[0],
    deviceMaskLets: statements(deviceMask.lets, '    '),
    eagerMask: eagerMask.exprs[0],
    eagerMaskLets: statements(eagerMask.lets, '    '),
    ...tileView(bp.mask),
    softcap: bp.softcap ? score.exprs[0] : '',
    bias: bp.bias ? score.exprs[score.exprs.length - 1] : '',
    scoreLets: statements(score.lets, '    '),
    gradLets: statements(grad.lets, '    '),
    classifyBody: [...iv.lines, `return ${iv.lo} == 1 ? 2 : ${iv.hi} == 0 ? 0 : 1;`].map((l) => `      ${l}`).join('\n'),
    hostMask: hostMask.exprs[0],
    hostMaskLets: statements(hostMask.lets, '      '),
    assertLets: statements(asserts.lets, '      '),
    asserts: [
      ...plan.asserts.map((a, i) => ({ cond: asserts.exprs[i], message: cString(assertMessage(a)) })),
      // An input array read at every q (or k) needs that many entries: `doc: int[kv_len]` read
      // as doc[q] is refused when q_len > kv_len (the kernel would read past its end).
      ...inputLengthNeeds(plan.inputs).map((x) => ({ cond: `${x.need} <= ${x.have}`, message: cString(`input array \`${x.name}\` has ${x.have} entries but is read at every ${x.at}: ${x.need} must not exceed ${x.have}`) })),
    ],
    slotLets: statements(slots.lets, '    '),
    slotValues: plan.headSlots.map((s, i) => (s.expr.type === 'bool' ? `${slots.exprs[i]} ? 1 : 0` : `(long long)${slots.exprs[i]}`)).join(', '),
    ...boxView(plan),
  };
  return { view, userText };
}

/** The selection of a dynamic pattern, for the CUDA templates (see emitCudaDynamic). */
export interface CudaSelect {
  /** The static patterns: A && R (`bp` of the dynamic pattern itself), R and R && !A, each bound and planned. */
  readonly restriction: { readonly bp: BoundPattern; readonly plan: PlanIR };
  readonly candidates: { readonly bp: BoundPattern; readonly plan: PlanIR };
  /** A and R as masks over q, k (and whatever the pattern reads), for the kernels' mask. */
  readonly allow: MExpr;
  readonly restrictionMask: MExpr;
  readonly score: 'SELECT_DOT_MEAN' | 'SELECT_DOT_MAX' | 'SELECT_BOUND' | 'SELECT_INPUT';
  /** The score input of SELECT_INPUT (`float[batch, heads, q_blocks, kv_blocks]`), its name and doc. */
  readonly scoreInput?: { readonly name: string; readonly doc: string };
  readonly perKvHead: boolean;
  /** C expressions over `a` (the Args) of the number of picks and the selection blocks. */
  readonly topk: string;
  readonly blockQ: string;
  readonly blockKv: string;
  /** The block sizes where they are compile-time constants (the mask divides by constants then). */
  readonly blockQConst?: number;
  readonly blockKvConst?: number;
  /** The clause as written, for a comment. */
  readonly text: string;
}

/** The files of the CUDA target, keyed by name; `select` for a pattern with a `select` clause. */
export function emitCuda(bp: BoundPattern, plan: PlanIR, source: string, select?: CudaSelect): Record<string, string> {
  if (bp.select && !select) throw new Error(`internal error (a bug in attnc): pattern ${bp.pattern.name} has a select clause but was emitted without it (cudaSelect)`);
  const t = templates();
  const name = bp.pattern.name;
  const { view, userText } = patternView(bp, plan, source);
  const structs = [{ ...view, ...userText(cLineComment), structName: select ? 'Static' : 'Pattern' }];
  let dynamic: Record<string, unknown> | false = false;
  if (select) {
    for (const [structName, part] of [['Restriction', select.restriction], ['Candidates', select.candidates]] as const) {
      const v = patternView(part.bp, part.plan, source);
      structs.push({ ...v.view, ...v.userText(cLineComment), structName });
    }
    const device = printCLets([select.allow, select.restrictionMask], deviceLeaves);
    const eager = printCLets([select.allow, select.restrictionMask], maskLeaves);
    dynamic = {
      // The cells' address per element keeps more registers live than an input array's: 2 column
      // groups at a time (16 spilled up to 120 bytes in the Hopper forward of an NSA-style pattern).
      maskUnroll: 2,
      maskLets: statements(device.lets, '    '),
      allow: device.exprs[0],
      restriction: device.exprs[1],
      eagerLets: statements(eager.lets, '    '),
      eagerAllow: eager.exprs[0],
      eagerRestriction: eager.exprs[1],
      score: select.score,
      perKvHead: select.perKvHead,
      topk: select.topk,
      blockQ: select.blockQ,
      blockKv: select.blockKv,
      bqConst: select.blockQConst ?? 0,
      bkConst: select.blockKvConst ?? 0,
      text: cBlockComment(select.text),
    };
  }
  const all = { ...view, structs, dynamic };
  // The score input (a name, so an identifier) with its doc escaped as userText's are.
  const scoreInput = (doc: (s: string) => string) => ({
    scoreInput: select?.scoreInput ? { name: select.scoreInput.name, doc: doc(select.scoreInput.doc.replace(/\s+/g, ' ').trim()) } : false,
  });
  return {
    [`${name}.cu`]: t.cu({ ...all, ...userText(cLineComment), ...scoreInput(cLineComment) }),
    [`${name}.h`]: t.h({ ...all, ...userText(cLineComment, cBlockComment), ...scoreInput(cBlockComment) }),
    [`${name}_torch.cpp`]: t.cpp({ ...all, ...userText(cLineComment), ...scoreInput(cLineComment) }),
    [`${name}.py`]: t.py({ ...all, ...userText(pyLineComment, pyDocstring), ...scoreInput(pyDocstring) }),
  };
}

