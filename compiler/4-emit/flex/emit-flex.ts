/**
 * FlexAttention backend: one Python module, `<name>_flex.py`, holding the pattern's
 * `mask_mod`, its `score_mod` when it has a bias or a soft-cap, and its planner (the tile
 * classifier printed from the planner IR in a Python dialect of `print-interval.ts`, the exact
 * point mask and the head slots, as `print-planner.ts` prints them for JavaScript), so that
 * `block_mask(q_len, kv_len, ...)` returns the `BlockMask` of attnc's schedule for any lengths
 * without evaluating the mask on every point. The planning loop and the BlockMask assembly are
 * hand-written in `runtime/python/attnc/flex.py`; the integer operations are
 * `runtime/python/attnc/int_ops.py`, printed from `runtime/schedule/int-semantics.ts`.
 *
 * The module is `<name>_flex.py`, not `<name>.py`: a module named `document` or `causal_mask`
 * would shadow (or be shadowed by) other code on the import path, and the CUDA target's
 * loader already takes `<name>.py`.
 */
import type { BoundPattern } from '../../2-check/bind.ts';
import { FLEX_MODULE_NAMES } from '../../2-check/builtins.ts';
import { invariant } from '../../diagnostics/diagnostic.ts';
import { some, type MExpr } from '../../ir/mask.ts';
import type { PlanIR } from '../../ir/plan.ts';
import { assertMessage } from '../../ir/program.ts';
import { pyDocstring, pyLineComment, pyString } from '../escape.ts';
import { printInterval, type IntervalDialect } from '../planner/print-interval.ts';
import { printPyLets, isTensorExpr, pyFloat, type PyContext } from './print-torch.ts';

/** The interval classifier in Python: tuples for pairs, helpers from `attnc.flex`. */
const PY_DIALECT: IntervalDialect = {
  decl: (i, lo, hi) => `l${i}, h${i} = ${lo}, ${hi}`,
  helper: (name, args) => `r0, r1 = _flex.${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}(${args.join(', ')})`,
  hash: (args) => `r0, r1 = _flex.iv_hash((${args.join(', ')}), _hash)`,
  inputRange: (name, axis, lo, hi) => `r0, r1 = t${axis}_${name}.range(${lo}, ${hi})`,
  scratch: ['r0', 'r1'],
  floorDivPos: (a, c) => `(${a} // ${c})`,
  minmax: (fn, args) => (args.length === 1 ? args[0] : `${fn}(${args.join(', ')})`),
  eq: '==',
  // Python ints are exact: bounds need no widening.
  wide: (v) => v,
  ite: (cond, a, b) => `(${a} if ${cond} else ${b})`,
  and: 'and',
  or: 'or',
};

const scalarContext: PyContext = { var: (n) => n, input: (name, index) => `${name}[${index}]`, tensors: false };
const tensorVars: PyContext['var'] = (n) => (n === 'q' ? 'q_idx' : n === 'k' ? 'kv_idx' : n);
const maskContext: PyContext = { var: tensorVars, input: (name, index) => `${name}[${index}]`, tensors: true };
const scoreContext: PyContext = { ...maskContext, floatDtype: 'score.dtype' };

const usesHeads = (es: readonly (MExpr | undefined)[]) =>
  es.some((e) => e && some(e, (n) => (n.kind === 'var' && n.name === 'h') || (n.kind === 'size' && n.name === 'heads')));

/** `p_<name> = values["<name>"]` and `in_<name> = inputs["<name>"]` for the leaves `exprs` read. */
function bindings(bp: BoundPattern, exprs: readonly MExpr[], inputs: (key: string) => string): string[] {
  const uses = (pred: (n: MExpr) => boolean) => exprs.some((e) => some(e, pred));
  const out: string[] = [];
  for (const p of bp.runtimeParams) if (uses((n) => n.kind === 'param' && n.name === p.name)) out.push(`p_${p.name} = values[${pyString(p.name)}]`);
  for (const p of bp.inputs) if (uses((n) => n.kind === 'input' && n.name === p.name)) out.push(inputs(p.name));
  return out.filter(Boolean);
}

const pad = (lines: readonly string[], n: number) => lines.map((l) => (l ? ' '.repeat(n) + l : l));

/** The Python literal of a runtime value's default. */
function pyValue(v: number | boolean, type: string): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return type === 'float' ? pyFloat(v) : String(v);
}

/** Words of `text` in lines of at most `width` characters (a longer word gets its own line); `indent` starts every line after the first. */
function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = indent + w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/** The text of `<name>_flex.py`. */
export function emitFlex(bp: BoundPattern, plan: PlanIR, source: string): string {
  const name = bp.pattern.name;
  const hasScore = Boolean(bp.bias || bp.softcap);
  for (const n of [...bp.runtimeParams, ...bp.inputs]) invariant(!FLEX_MODULE_NAMES.has(n.name), `${n.name} is a name of the flex module (the checker refuses it)`);

  // Planner: asserts, head slots, classifier and point mask (over plan.mask, which reads slots).
  const assertExprs = plan.asserts.map((a) => a.cond);
  const slotExprs = plan.headSlots.map((s) => s.expr);
  const iv = printInterval(plan.mask, PY_DIALECT);
  const slotBinds = (exprs: readonly MExpr[]) => bindings(bp, exprs, () => '');
  // `int[batch]` arrays are read in the slots (`prefix[b]`): their `_slots` takes the tables too
  // (attnc/flex.py passes them exactly when the pattern declares such an array).
  const batchArrays = bp.inputs.some((p) => p.length === 'batch');
  const slotInputBinds = bindings(bp, slotExprs, (n) => `in_${n} = tables[${pyString(n)}][0]`).filter((l) => l.startsWith('in_'));
  const plannerBinds = [
    ...bindings(bp, [plan.mask], (n) => `in_${n}, tq_in_${n}, tk_in_${n} = tables[${pyString(n)}]`),
    ...plan.headSlots.flatMap((s, i) => (some(plan.mask, (n) => n.kind === 'param' && n.name === s.name) ? [`g_${i} = slots[${i}]`] : [])),
  ];
  // Each function binds the nodes its expressions share (`let`s, repeated `fn` calls) to locals once.
  const slotCode = printPyLets(slotExprs, scalarContext);
  const slotValue = (e: MExpr, i: number) => (e.type === 'bool' ? `(1 if ${slotCode.exprs[i]} else 0)` : slotCode.exprs[i]);
  const assertCode = printPyLets(assertExprs, scalarContext);
  const pointMask = printPyLets([plan.mask], scalarContext);
  const tensorInputs = (n: string) => `in_${n} = inputs[${pyString(n)}]`;

  // mask_mod and score_mod, over the bound pattern's mask (which reads h and b).
  const maskCode = printPyLets([bp.mask], maskContext);
  const maskExpr = maskCode.exprs[0];
  const maskValue = isTensorExpr(bp.mask) ? maskExpr : `torch.full_like(q_idx, ${maskExpr}, dtype=torch.bool)`;
  const scoreExprs = [bp.softcap, bp.bias].filter((e): e is MExpr => Boolean(e));
  const scoreCode = printPyLets(scoreExprs, scoreContext);

  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
  const doc = pyDocstring(oneLine(bp.pattern.doc.split(/\n\s*\n/)[0] ?? ''));
  const valueArgs = bp.runtimeParams.map((p) => (p.default !== undefined ? `${p.name}=${pyValue(p.default, p.type)}` : p.name));
  const inputArgs = bp.inputs.map((p) => p.name);
  const userArgs = [...valueArgs, ...inputArgs].map((a) => `, ${a}`).join('');
  const valuesDict = `{${bp.runtimeParams.map((p) => `${pyString(p.name)}: ${p.name}`).join(', ')}}`;
  const inputsDict = `{${bp.inputs.map((p) => `${pyString(p.name)}: ${p.name}`).join(', ')}}`;
  const exampleArgs = [...bp.runtimeParams.filter((p) => p.default === undefined), ...bp.inputs].map((p) => `, ${p.name}=...`).join('');
  const maskHeads = usesHeads([bp.mask, ...assertExprs]);
  const scoreHeads = usesHeads(scoreExprs);
  const headsArg = maskHeads ? ', heads=heads' : '';

  const lines = [
    `# Generated by attnc from ${pyLineComment(source)}. Do not edit.`,
    ...wrap(`"""FlexAttention for the \`${name}\` pattern${doc ? `: ${doc}` : '.'}`, 92),
    '',
    'Use it with PyTorch\'s FlexAttention:',
    '',
    '    from torch.nn.attention.flex_attention import flex_attention',
    `    import ${name}_flex as pattern`,
    '',
    `    block_mask = pattern.block_mask(q_len, kv_len${headsArg}${exampleArgs}, device=q.device)`,
    hasScore
      ? `    score_mod = pattern.score_mod(q_len, kv_len${scoreHeads ? ', heads=heads' : ''}${exampleArgs}, device=q.device)`
      : undefined,
    `    out = flex_attention(q, k, v${hasScore ? ', score_mod=score_mod' : ''}, block_mask=block_mask)`,
    '',
    'block_mask() plans the BlockMask with attnc\'s planner, for any q_len and kv_len (block',
    'multiples or not) and without evaluating the mask on every point: PARTIAL and FULL blocks as',
    'create_block_mask(mask_mod(...), ...) finds them, BLOCK_SIZE `block_size` (128, or a pair',
    '(block_q, block_kv) of powers of two from 16 to 256), seq_lengths (q_len, kv_len), and',
    ...wrap('mask_mod(...) attached. Its rows are [batch or 1, heads or 1]; ' +
      (maskHeads ? 'this mask depends on the head, so `heads` is required' : 'this mask is the same for every head') +
      (plan.dependsOnBatch ? ', and on the batch element, so `batch` is required.' : '.') +
      (hasScore ? ' score_mod(...) applies the pattern\'s soft-cap, then its bias, to the scaled score, as attnc\'s kernels do.' : ''), 92),
    'Tensors (input arrays, the BlockMask) go to `device`: by default the device of the input',
    'arrays given as tensors, else the CPU.',
    ...((bp.layout?.length ?? 0) >= 2
      ? ['', ...wrap(`This pattern has a layout (${bp.layout!.map((a) => a.name).join(', ')}): attnc can plan it in box tiles of its grid (\`attnc schedule --tiles\`, docs/schedule.md), which a BlockMask cannot express, since its blocks are strips of the flat token index; block_mask() plans strips.`, 92)]
      : []),
    ...(bp.runtimeParams.length ? ['', 'Runtime values:', ...bp.runtimeParams.flatMap((p) => wrap(`    ${p.name} (${p.type})${p.doc.trim() ? `: ${pyDocstring(oneLine(p.doc))}` : ''}`, 92, '        '))] : []),
    ...(bp.inputs.length
      ? ['', bp.inputs.some((p) => p.batched || p.length === 'batch')
        ? 'Input arrays (integer tensors or sequences: 1-D, one int per token or per batch element, or 2-D [batch, len], a row per batch element):'
        : 'Input arrays (1-D integer tensors or sequences, one int per token):',
      ...bp.inputs.flatMap((p) => wrap(`    ${p.name} (${p.batched ? `[batch, ${p.length}]` : `${p.length ?? 'kv_len'} entries`})${p.doc.trim() ? `: ${pyDocstring(oneLine(p.doc))}` : ''}`, 92, '        '))]
      : []),
    '',
    'Needs PyTorch with FlexAttention and attnc\'s runtime package (`pip install <attnc>/runtime/python`).',
    '"""',
    'import math',
    '',
    'import torch',
    '',
    'from attnc import flex as _flex',
    'from attnc.float_ops import div as _fdivf, exp as _expf, log as _logf, mod as _fmodf, pow as _powf, sqrt as _sqrtf',
    'from attnc.int_ops import fdiv as _fdiv, fmod as _fmod, hash as _hash, wrap as _wrap',
    '',
    '',
    'def _failed_asserts(q_len, kv_len, heads, values):',
    ...pad(slotBinds(assertExprs), 4),
    '    failed = []',
    ...pad(assertCode.lets, 4),
    ...plan.asserts.flatMap((a, i) => [`    if not ${assertCode.exprs[i]}:`, `        failed.append(${pyString(assertMessage(a))})`]),
    '    return failed',
    '',
    '',
    `def _slots(h, b, q_len, kv_len, heads, values${batchArrays ? ', tables' : ''}):`,
    ...pad(slotBinds(slotExprs), 4),
    ...pad(slotInputBinds, 4),
    ...pad(slotCode.lets, 4),
    `    return (${slotExprs.map((e, i) => `${slotValue(e, i)},`).join(' ')})`,
    '',
    '',
    'def _planner(q_len, kv_len, heads, values, slots, tables):',
    ...pad(plannerBinds, 4),
    '',
    '    def classify(q0, q1, k0, k1):',
    '        """0: no element of the tile q0..q1 x k0..k1 allowed, 2: all, 1: undecided."""',
    ...pad(iv.lines, 8),
    `        return 2 if ${iv.lo} == 1 else 0 if ${iv.hi} == 0 else 1`,
    '',
    '    def mask(q, k):',
    ...pad(pointMask.lets, 8),
    `        return ${pointMask.exprs[0]}`,
    '',
    '    return classify, mask',
    '',
    '',
    'def _mask_mod(q_len, kv_len, heads, values, inputs):',
    ...pad(bindings(bp, [bp.mask], tensorInputs), 4),
    '',
    '    def mask_mod(b, h, q_idx, kv_idx):',
    ...pad(maskCode.lets, 8),
    `        return ${maskValue}`,
    '',
    '    return mask_mod',
    ...(hasScore
      ? [
        '',
        '',
        'def _score_mod(q_len, kv_len, heads, values, inputs):',
        ...pad(bindings(bp, scoreExprs, tensorInputs), 4),
        '',
        '    def score_mod(score, b, h, q_idx, kv_idx):',
        ...pad(scoreCode.lets, 8),
        ...(bp.softcap ? [`        cap = ${scoreCode.exprs[0]}`, '        score = cap * torch.tanh(score / cap)'] : []),
        ...(bp.bias ? [`        score = score + ${scoreCode.exprs[scoreCode.exprs.length - 1]}`] : []),
        '        return score',
        '',
        '    return score_mod',
      ]
      : []),
    '',
    '',
    `_PATTERN = _flex.Pattern(`,
    `    name=${pyString(name)},`,
    `    params=(${bp.runtimeParams.map((p) => `(${pyString(p.name)}, ${pyString(p.type)}, ${p.range ? p.range.lo : 'None'}, ${p.range?.hi ?? 'None'}),`).join(' ')}),`,
    `    inputs=(${bp.inputs.map((p) => `(${pyString(p.name)}, ${pyString(`${p.batched ? 'batch,' : ''}${p.length ?? 'kv_len'}`)}, ${pyString((p.indexedBy ?? []).join(''))}),`).join(' ')}),`,
    `    mask_uses_heads=${maskHeads ? 'True' : 'False'},`,
    `    score_uses_heads=${scoreHeads ? 'True' : 'False'},`,
    `    depends_on_batch=${plan.dependsOnBatch ? 'True' : 'False'},`,
    '    failed_asserts=_failed_asserts,',
    '    slots=_slots,',
    '    planner=_planner,',
    '    mask_mod=_mask_mod,',
    `    score_mod=${hasScore ? '_score_mod' : 'None'},`,
    ')',
    '',
    '',
    `def mask_mod(q_len, kv_len, *, heads=None, device=None${userArgs}):`,
    '    """mask_mod(b, h, q_idx, kv_idx) of the pattern for these sizes and values."""',
    `    return _flex.mask_mod(_PATTERN, q_len, kv_len, heads, device, ${valuesDict}, ${inputsDict})`,
    ...(hasScore
      ? [
        '',
        '',
        `def score_mod(q_len, kv_len, *, heads=None, device=None${userArgs}):`,
        '    """score_mod(score, b, h, q_idx, kv_idx) of the pattern: its soft-cap, then its bias."""',
        `    return _flex.score_mod(_PATTERN, q_len, kv_len, heads, device, ${valuesDict}, ${inputsDict})`,
      ]
      : []),
    '',
    '',
    `def block_mask(q_len, kv_len, *, heads=None, batch=None, block_size=128, device=None${userArgs}):`,
    '    """The BlockMask of attnc\'s schedule for these sizes and values, with mask_mod attached."""',
    `    return _flex.block_mask(_PATTERN, q_len, kv_len, heads, batch, block_size, device, ${valuesDict}, ${inputsDict})`,
    '',
  ];
  return lines.filter((l): l is string => l !== undefined).join('\n');
}
