/**
 * Prints a `PlanIR` as the body of a JavaScript planner factory. The same text runs in
 * process (the CLI compiles it with `new Function`) and is embedded in generated bindings,
 * so the schedule a user plans from the command line is the one their code builds.
 *
 *   function (rt) -> {
 *     slots(h, b, sizes, params, inputs)    head-group slot values for one (b, h)
 *     bind(sizes, params, slots, inputs) -> {
 *       classify(q0, q1, k0, k1)            0 none / 1 some / 2 all allowed, inclusive bounds
 *       mask(q, k)                          exact value at one point
 *       classifyBox(qa, qb, ka, kb)         with a layout: the class of a pair of boxes
 *     }
 *     layout: { axes, sizes(sizes, params) } with a layout: the grid (print-box.ts)
 *   }
 */
import type { MExpr } from '../../ir/mask.ts';
import type { PlanIR } from '../../ir/plan.ts';
import { some } from '../../ir/mask.ts';
import { printInterval } from './print-interval.ts';
import { assertMessage } from '../../ir/program.ts';
import { printPointLets } from './print-point.ts';
import { printBoxClassifier, printGrid, printLayoutMember } from './print-box.ts';

const indent = (lines: readonly string[], pad: string) => lines.map((l) => (l ? pad + l : l)).join('\n');

/** The leaves that `e` reads (sizes, runtime scalars, slots, inputs), as `const` bindings. */
function leafBindings(plan: PlanIR, exprs: readonly MExpr[]): string[] {
  const uses = (pred: (n: MExpr) => boolean) => exprs.some((e) => some(e, pred));
  const out: string[] = [];
  if (uses((n) => n.kind === 'size' && n.name === 'q_len')) out.push('const q_len = sizes.qLen;');
  if (uses((n) => n.kind === 'size' && n.name === 'kv_len')) out.push('const kv_len = sizes.kvLen;');
  if (uses((n) => n.kind === 'size' && n.name === 'heads')) out.push('const heads = sizes.heads;');
  for (const p of plan.runtimeParams) {
    if (uses((n) => n.kind === 'param' && n.name === p.name)) out.push(`const p_${p.name} = params[${JSON.stringify(p.name)}];`);
  }
  plan.headSlots.forEach((s, i) => {
    if (uses((n) => n.kind === 'param' && n.name === s.name)) out.push(`const g_${i} = slots[${i}];`);
  });
  for (const p of plan.inputs) {
    if (uses((n) => n.kind === 'input' && n.name === p.name)) out.push(`const in_${p.name} = inputs[${JSON.stringify(p.name)}];`);
  }
  return out;
}

/**
 * The tile class from the mask's interval `[lo, hi]` (1 = true): 2 (all attend) when `lo` is
 * 1, 0 (none) when `hi` is 0, else 1 (partial). A bound that is a literal is decided here, so
 * the source never compares two literals (`0 === 1`), which TypeScript rejects (TS2367) in
 * the generated bindings.
 */
function printClass(lo: string, hi: string): string {
  const isLit = (s: string) => /^-?\d+$/.test(s);
  if (isLit(lo) && Number(lo) === 1) return '2';
  const rest = isLit(hi) ? (Number(hi) === 0 ? '0' : '1') : `${hi} === 0 ? 0 : 1`;
  return isLit(lo) ? rest : `${lo} === 1 ? 2 : ${rest}`;
}

/** JS source of the planner factory body (`rt` is the planner runtime, `runtime/schedule/ops.ts`). */
export function printPlanner(plan: PlanIR): string {
  const iv = printInterval(plan.mask);
  const slotExprs = plan.headSlots.map((s) => s.expr);
  const slotLeaves = leafBindings(plan, slotExprs).filter((l) => !l.startsWith('const g_'));
  const slotCode = printPointLets(slotExprs);
  // Per-batch input arrays (`prefix[b]`) are read in the slots; other planners keep the old signature.
  const slotReadsInputs = slotLeaves.some((l) => l.startsWith('const in_'));
  const slotValues = slotCode.exprs.map((text, i) => (slotExprs[i].type === 'bool' ? `${text} ? 1 : 0` : text));
  const assertCode = printPointLets(plan.asserts.map((a) => a.cond));
  const maskCode = printPointLets([plan.mask]);
  const layout = plan.layout;
  const bindLeaves = leafBindings(plan, layout ? [plan.mask, ...layout.sizes] : [plan.mask]);
  const box = layout && printBoxClassifier(plan.mask, layout);
  const assertExprs = plan.asserts.map((a) => a.cond);
  const meta = {
    pattern: plan.patternName,
    dependsOnBatch: plan.dependsOnBatch,
    runtimeParams: plan.runtimeParams.map((p) => ({ name: p.name, type: p.type, ...(p.range ? { range: p.range } : {}), ...(p.default !== undefined ? { default: p.default } : {}) })),
    inputs: plan.inputs.map((p) => ({ name: p.name, length: p.length, ...(p.batched ? { batched: true } : {}), indexedBy: p.indexedBy ?? [] })),
  };
  return [
    `// Planner for pattern \`${plan.patternName}\`.`,
    `// mask: see the pattern source; head slots: ${plan.headSlots.length}.`,
    'return {',
    `  meta: ${JSON.stringify(meta)},`,
    '  failedAsserts(sizes, params) {',
    indent(leafBindings(plan, assertExprs), '    '),
    '    const failed = [];',
    ...assertCode.lets.map((l) => `    ${l}`),
    ...plan.asserts.map((a, i) => `    if (!${assertCode.exprs[i]}) failed.push(${JSON.stringify(assertMessage(a))});`),
    '    return failed;',
    '  },',
    `  slots(h, b, sizes, params${slotReadsInputs ? ', inputs' : ''}) {`,
    indent(slotLeaves, '    '),
    ...slotCode.lets.map((l) => `    ${l}`),
    `    return [${slotValues.join(', ')}];`,
    '  },',
    ...(layout ? printLayoutMember(layout, leafBindings(plan, layout.sizes)) : []),
    '  bind(sizes, params, slots, inputs) {',
    indent(bindLeaves, '    '),
    ...(layout ? printGrid(layout).map((l) => `    ${l}`) : []),
    '    return {',
    '      classify(q0, q1, k0, k1) {',
    indent(iv.lines, '        '),
    `        return ${printClass(iv.lo, iv.hi)};`,
    '      },',
    '      mask(q, k) {',
    ...maskCode.lets.map((l) => `        ${l}`),
    `        return ${maskCode.exprs[0]};`,
    '      },',
    ...(box ? ['      classifyBox(qa, qb, ka, kb) {', indent(box.lines, '        '), `        return ${printClass(box.lo, box.hi)};`, '      },'] : []),
    '    };',
    '  },',
    '};',
  ].join('\n');
}
