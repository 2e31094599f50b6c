/**
 * Prints the host half of a pattern's `select` clause as the body of a JavaScript factory
 * (`function (rt) { ... }`, like a planner, see `print-planner.ts`): the planners of the
 * restriction R and of the candidates C = R && !A (`lowerDynamic`; the static part S is the
 * pattern's own planner), the clause's count and block sizes as a function of the sizes and
 * runtime values, and its score. The WebGPU runtime (`runtime/webgpu/select.ts`) plans S and
 * R at the kernel's tiles and C at the clause's blocks once per shape, and selects per call
 * on the GPU. The same text runs in process (`loadSelection`) and is embedded in generated
 * bindings.
 */
import type { BoundPattern } from '../../2-check/bind.ts';
import { invariant } from '../../diagnostics/diagnostic.ts';
import { lowerDynamic } from '../../3-lower/lower.ts';
import { some, type MExpr } from '../../ir/mask.ts';
import { printPlanner } from './print-planner.ts';
import { printPointLets } from './print-point.ts';

const indent = (text: string, pad: string) => text.split('\n').map((l) => (l ? pad + l : l)).join('\n');

/** JS source of the selection factory body of `bp` (which has a `select` clause). */
export function printSelection(bp: BoundPattern): string {
  const sel = bp.select;
  invariant(sel, `pattern ${bp.pattern.name} has no select clause`);
  const dyn = lowerDynamic(bp);
  const exprs: MExpr[] = [sel.k, sel.blockQ, sel.blockKv];
  const uses = (pred: (n: MExpr) => boolean) => exprs.some((e) => some(e, pred));
  const leaves: string[] = [];
  if (uses((n) => n.kind === 'size' && n.name === 'q_len')) leaves.push('const q_len = sizes.qLen;');
  if (uses((n) => n.kind === 'size' && n.name === 'kv_len')) leaves.push('const kv_len = sizes.kvLen;');
  if (uses((n) => n.kind === 'size' && n.name === 'heads')) leaves.push('const heads = sizes.heads;');
  for (const p of bp.runtimeParams) {
    if (uses((n) => n.kind === 'param' && n.name === p.name)) leaves.push(`const p_${p.name} = params[${JSON.stringify(p.name)}];`);
  }
  const values = printPointLets(exprs);
  const score = sel.score.kind === 'dot' ? { kind: 'dot', kPool: sel.score.kPool } : sel.score.kind === 'bound' ? { kind: 'bound' } : { kind: 'input', name: sel.score.name };
  return [
    `// Selection of pattern \`${bp.pattern.name}\`: the planners of R and C = R && !A, the count and block sizes.`,
    'const restriction = (() => {',
    indent(printPlanner(dyn.restriction), '  '),
    '})();',
    'const candidates = (() => {',
    indent(printPlanner(dyn.candidates), '  '),
    '})();',
    'return {',
    `  score: ${JSON.stringify(score)},`,
    `  perKvHead: ${sel.perKvHead},`,
    '  restriction,',
    '  candidates,',
    '  values(sizes, params) {',
    ...leaves.map((l) => `    ${l}`),
    ...values.lets.map((l) => `    ${l}`),
    `    return { k: ${values.exprs[0]}, blockQ: ${values.exprs[1]}, blockKv: ${values.exprs[2]} };`,
    '  },',
    '};',
  ].join('\n');
}
