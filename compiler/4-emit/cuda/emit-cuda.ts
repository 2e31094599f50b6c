/**
 * CUDA backend: renders `templates/cuda/` for one bound pattern into `<name>.cu`,
 * `<name>.h`, a PyTorch extension binding `<name>_torch.cpp` and a Python loader
 * `<name>.py`. The view model below holds every decision; the templates hold layout.
 * The kernel inlines the pattern's mask and score modifications; the host part embeds the
 * planner (interval bounds printed as C++, plus `templates/cuda/planner.h`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { BoundPattern } from '../../2-check/bind.ts';
import { dependsOnlyOnDiagonal, usesDiagonalBand } from '../../ir/diagonal.ts';
import { children, show, type MExpr } from '../../ir/mask.ts';
import type { PlanIR } from '../../ir/plan.ts';
import { inputLengthNeeds } from '../../ir/program.ts';
import { printInterval, type IntervalDialect } from '../planner/print-interval.ts';
import { printC, type CLeaves } from './print-c.ts';
import { wgmmaWrappers } from './wgmma.ts';

const TEMPLATES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../templates/cuda');

const CPP_DIALECT: IntervalDialect = {
  decl: (i, lo, hi) => `const long long l${i} = ${lo}, h${i} = ${hi};`,
  helper: (name, args) => `attnc_rt::${name}(${args.join(', ')}, R);`,
  hash: (args) => `attnc_rt::ivHash({${args.join(', ')}}, R);`,
  inputRange: (name, axis, lo, hi) => `${name}_${axis}->range(${lo}, ${hi}, R);`,
  scratch: ['R[0]', 'R[1]'],
  floorDivPos: (a, c) => `attnc_rt::fdiv(${a}, ${c})`,
  minmax: (fn, args) => (args.length === 1 ? args[0] : `std::${fn}<long long>({${args.join(', ')}})`),
  eq: '==',
};

const deviceLeaves: CLeaves = {
  size: (n) => `P.${n}`,
  param: (n) => `P.p_${n}`,
  input: (n, i) => `P.in_${n}[${i}]`,
  ns: '',
};
/** The kernel's mask: eager logic (callers pass q < q_len, k < kv_len). */
const maskLeaves: CLeaves = { ...deviceLeaves, eager: true };
const hostLeaves: CLeaves = {
  size: (n) => n,
  param: (n) => (n.startsWith('$g') ? `g_${n.slice(2)}` : `p_${n}`),
  input: (n, i) => `in_${n}[${i}]`,
  ns: '',
};
const slotLeaves: CLeaves = { ...hostLeaves, size: (n) => `P.${n}`, param: (n) => `P.p_${n}` };

const ctype = (t: string) => (t === 'float' ? 'float' : t === 'bool' ? 'bool' : 'int');

let compiled: { cu: Handlebars.TemplateDelegate; kernel: Handlebars.TemplateDelegate; kernelSm90: Handlebars.TemplateDelegate; h: Handlebars.TemplateDelegate; cpp: Handlebars.TemplateDelegate; py: Handlebars.TemplateDelegate; planner: string } | undefined;
function templates() {
  if (!compiled) {
    const read = (f: string) => fs.readFileSync(path.join(TEMPLATES, f), 'utf8');
    const c = (f: string) => Handlebars.compile(read(f), { noEscape: true, strict: true });
    compiled = { cu: c('pattern.cu.hbs'), kernel: c('kernel.cuh.hbs'), kernelSm90: c('kernel-sm90.cuh.hbs'), h: c('pattern.h.hbs'), cpp: c('torch.cpp.hbs'), py: c('loader.py.hbs'), planner: read('planner.h') };
  }
  return compiled;
}

/** Nodes of a mask expression: a measure of the registers its evaluation keeps live. */
export function maskSize(x: MExpr): number {
  return 1 + children(x).reduce((n, c) => n + maskSize(c), 0);
}

/** Whether the mask divides by, or takes a remainder by, a value that is not a compile-time constant. */
function hasRuntimeDivision(x: MExpr): boolean {
  if (x.kind === 'arith' && (x.op === '/' || x.op === '%') && x.b.kind !== 'const') return true;
  return children(x).some(hasRuntimeDivision);
}

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

function deviceFunctions(bp: BoundPattern): string {
  const maskFunction = (doc: string, name: string, leaves: CLeaves) => [
    `/** ${doc} */`,
    'template <typename T>',
    `__host__ __device__ __forceinline__ bool ${name}(const Params<T>& P, int b, int h, int q, int k) {`,
    '  (void)P; (void)b; (void)h; (void)q; (void)k;',
    `  return ${printC(bp.mask, leaves)};`,
    '}',
  ];
  const lines = [
    ...maskFunction("mask(b, h, q, k): the pattern's predicate, inlined into PARTIAL tiles.", 'attnc_mask', deviceLeaves),
    ...maskFunction('The same predicate without short-circuits (no branches); needs q < q_len and k < kv_len.', 'attnc_mask_eager', maskLeaves),
    '/** The predicate depends on q and k only through q - k: PARTIAL tiles evaluate it once per diagonal. */',
    `constexpr bool ATTNC_MASK_DIAGONAL = ${dependsOnlyOnDiagonal(bp.mask)};`,
    '/** Column groups of a PARTIAL tile whose mask is evaluated together: all 16 when the mask reads input arrays (their loads overlap) or is small, else 2 (fewer live registers). */',
    `constexpr int ATTNC_MASK_UNROLL = ${maskUnroll(bp)};`,
  ];
  if (bp.bias || bp.softcap) {
    lines.push(
      '/** Score modifications in natural units: soft-cap, then bias. */',
      'template <typename T>',
      '__host__ __device__ __forceinline__ float attnc_score(const Params<T>& P, int b, int h, int q, int k, float x) {',
      '  (void)P; (void)b; (void)h; (void)q; (void)k;',
    );
    if (bp.softcap) lines.push(`  const float cap = ${printC(bp.softcap, deviceLeaves)};`, '  x = cap * tanhf(x / cap);');
    if (bp.bias) lines.push(`  x += ${printC(bp.bias, deviceLeaves)};`);
    lines.push('  return x;', '}');
  }
  return lines.join('\n');
}

/** The files of the CUDA target, keyed by name. */
export function emitCuda(bp: BoundPattern, plan: PlanIR, source: string): Record<string, string> {
  const t = templates();
  const name = bp.pattern.name;
  const iv = printInterval(plan.mask, CPP_DIALECT);
  const runtimeParams = plan.runtimeParams.map((p) => ({ name: p.name, type: p.type, ctype: ctype(p.type), doc: p.doc.replace(/\s+/g, ' ') }));
  const inputs = plan.inputs.map((p) => ({ name: p.name, length: p.length ?? 'kv_len', doc: p.doc.replace(/\s+/g, ' ') }));
  const oneLine = (e: MExpr | undefined) => (e ? show(e) : '');
  const view = {
    name,
    source,
    doc: bp.pattern.doc.split('\n')[0] ?? '',
    maskText: oneLine(bp.mask),
    biasText: oneLine(bp.bias),
    softcapText: oneLine(bp.softcap),
    constText: Object.entries(bp.constValues).map(([k, v]) => `${k} = ${v}`).join(', ') || 'none',
    runtimeParams,
    inputs,
    slots: plan.headSlots.map((_, index) => ({ index })),
    dependsOnBatch: plan.dependsOnBatch,
    hasScoreMod: Boolean(bp.bias || bp.softcap),
    diagonalBand: usesDiagonalBand(bp),
    plannerRuntime: t.planner,
    classifyBody: [...iv.lines, `return ${iv.lo} == 1 ? 2 : ${iv.hi} == 0 ? 0 : 1;`].map((l) => `    ${l}`).join('\n'),
    hostMask: printC(plan.mask, hostLeaves),
    asserts: [
      ...plan.asserts.map((a) => ({ cond: printC(a.cond, hostLeaves), message: JSON.stringify(a.message ?? `assertion failed: line ${a.span.line}`) })),
      // An input array read at every q (or k) needs that many entries: `doc: int[kv_len]` read
      // as doc[q] is refused when q_len > kv_len (the kernel would read past its end).
      ...inputLengthNeeds(plan.inputs).map((x) => ({ cond: `${x.need} <= ${x.have}`, message: JSON.stringify(`input array \`${x.name}\` has ${x.have} entries but is read at every ${x.at}: ${x.need} must not exceed ${x.have}`) })),
    ],
    slotValues: plan.headSlots.map((s) => (s.expr.type === 'bool' ? `${printC(s.expr, slotLeaves)} ? 1 : 0` : `(long long)${printC(s.expr, slotLeaves)}`)).join(', '),
  };
  const kernel = t.kernel(view);
  const kernelSm90 = t.kernelSm90({ ...view, wgmmaWrappers: wgmmaWrappers() });
  return {
    [`${name}.cu`]: t.cu({ ...view, maskFunctions: deviceFunctions(bp), kernel, kernelSm90 }),
    [`${name}.h`]: t.h(view),
    [`${name}_torch.cpp`]: t.cpp(view),
    [`${name}.py`]: t.py(view),
  };
}

