/**
 * Per-batch input arrays (`int[batch]` read as `prefix[b]`, `int[batch, kv_len]` read as
 * `doc[b, k]`): the checker's diagnostics, and the planner against the dense oracle on random
 * patterns, sizes that are not block multiples and batches whose rows differ.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { PlanError } from '../../runtime/schedule/types.ts';
import { bindText } from '../helpers/compile.ts';
import { compareWithOracle } from '../helpers/dense-check.ts';
import { check } from '../../compiler/index.ts';

const C = fc.integer({ min: 1, max: 70 });
const atom: fc.Arbitrary<string> = fc.oneof(
  fc.constant('k < pre[b]'),
  fc.constant('q - k < pre[b]'),
  C.map((c) => `k < pre[b] + ${c}`),
  fc.constant('bdoc[b, q] == bdoc[b, k]'),
  fc.constant('bdoc[b, k] <= bdoc[b, q]'),
  fc.constant('bdoc[b, k] == pre[b] % 3'),
  C.map((c) => `q - k < ${c}`),
  C.map((c) => `k < ${c}`),
  fc.constant('k <= q'),
  fc.constant('h == 1 || k < pre[b]'),
  fc.constant('doc[q] == doc[k]'),
);
const expr: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: atom },
  { weight: 1, arbitrary: atom.map((a) => `!(${a})`) },
  { weight: 2, arbitrary: fc.tuple(atom, atom).map(([a, b]) => `(${a}) && (${b})`) },
  { weight: 2, arbitrary: fc.tuple(atom, atom).map(([a, b]) => `(${a}) || (${b})`) },
);
const pattern = fc
  .record({ causal: fc.boolean(), allows: fc.array(expr, { minLength: 1, maxLength: 3 }), requires: fc.array(expr, { maxLength: 2 }) })
  .map(({ causal, allows, requires }) => {
    const text = [causal ? 'causal' : '', ...allows.map((a) => `allow ${a}`), ...requires.map((a) => `require ${a}`)].filter(Boolean).join('\n  ');
    const params = [
      text.includes('pre[') ? 'input pre: int[batch]' : '',
      text.includes('bdoc[') ? 'input bdoc: int[batch, kv_len]' : '',
      text.includes(' doc[') || text.includes('(doc[') ? 'input doc: int[kv_len]' : '',
    ].filter(Boolean);
    return `pattern r(${params.join(', ')}) {\n  ${text}\n}\n`;
  });
const sizes = fc.record({
  qLen: fc.integer({ min: 1, max: 130 }),
  kvLen: fc.integer({ min: 1, max: 130 }),
  heads: fc.integer({ min: 1, max: 2 }),
  batch: fc.integer({ min: 1, max: 3 }),
  blockQ: fc.constantFrom(16, 32, 64),
  blockKv: fc.constantFrom(16, 32, 64),
  seed: fc.nat(1000),
});

function ids(n: number, seed: number): number[] {
  const out: number[] = [];
  let id = 0;
  for (let i = 0; i < n; i++) {
    if ((i * 7919 + seed * 31) % 23 === 0) id++;
    out.push(id);
  }
  return out;
}

type Sizes = typeof sizes extends fc.Arbitrary<infer T> ? T : never;

/** Inputs for a pattern: a prefix per batch element (0 included), a row of document ids per element. */
function inputsFor(src: string, z: Sizes, kvLen: number): Record<string, number[]> {
  const inputs: Record<string, number[]> = {};
  if (src.includes('pre[')) inputs.pre = Array.from({ length: z.batch }, (_, b) => (b === 0 ? 0 : (z.seed * (b + 3)) % (kvLen + 10) - 3));
  if (src.includes('bdoc[')) inputs.bdoc = Array.from({ length: z.batch }, (_, b) => ids(kvLen, z.seed + 17 * b)).flat();
  if (/[ (]doc\[/.test(src)) inputs.doc = ids(kvLen, z.seed);
  return inputs;
}

function runCase(src: string, z: Sizes, budget?: number): string[] {
  const bp = bindText(src);
  const { planner } = lowerToPlanner(bp);
  const qLen = /doc\[b, q\]|[ (]doc\[q\]/.test(src) ? Math.min(z.qLen, z.kvLen) : z.qLen;
  const inputs = inputsFor(src, z, z.kvLen);
  const s = planSchedule(planner, { qLen, kvLen: z.kvLen, heads: z.heads, batch: z.batch, blockQ: z.blockQ, blockKv: z.blockKv, inputs, refineBudget: budget });
  verifySchedule(s);
  return compareWithOracle(bp, s, { sizes: { qLen, kvLen: z.kvLen, heads: z.heads }, params: {}, inputs }, z.batch, { soundOnly: budget !== undefined });
}

describe('per-batch input arrays: planner against the dense oracle', () => {
  it('exactly, with exact refinement', () => {
    fc.assert(fc.property(pattern, sizes, (src, z) => {
      expect(runCase(src, z), `${src}\n${JSON.stringify(z)}`).toEqual([]);
    }), { numRuns: 150 });
  });

  it('soundly, with a tiny refinement budget', () => {
    fc.assert(fc.property(pattern, sizes, (src, z) => {
      expect(runCase(src, z, 3), `${src}\n${JSON.stringify(z)}`).toEqual([]);
    }), { numRuns: 80 });
  });

  it('plans one group per distinct row, and a prefix of 0 leaves rows fully masked', () => {
    const bp = bindText('pattern p(input pre: int[batch]) {\n  allow k < pre[b]\n}\n');
    const { planner } = lowerToPlanner(bp);
    const s = planSchedule(planner, { qLen: 64, kvLen: 64, heads: 2, batch: 3, blockQ: 16, blockKv: 16, inputs: { pre: [0, 20, 20] } });
    expect(s.groups.length).toBe(2);
    expect(s.groupOf[0]).not.toBe(s.groupOf[2]);
    expect(s.groupOf[2]).toBe(s.groupOf[4]);
    expect(s.groups[s.groupOf[0]].fullyMaskedRows).toEqual([[0, 64]]);
  });

  it('checks the arrays against the batch', () => {
    const bp = bindText('pattern p(input pre: int[batch], input d: int[batch, kv_len]) {\n  allow k < pre[b] && d[b, k] == 0\n}\n');
    const { planner } = lowerToPlanner(bp);
    const plan = (inputs: Record<string, number[]>) => planSchedule(planner, { qLen: 8, kvLen: 8, heads: 1, batch: 2, blockQ: 16, blockKv: 16, inputs });
    expect(() => plan({ pre: [1], d: Array(16).fill(0) })).toThrow(/`pre` is declared int\[batch\] = 2 entries \(batch 2\), got 1/);
    expect(() => plan({ pre: [1, 2], d: Array(8).fill(0) })).toThrow(/`d` is declared int\[batch, kv_len\] = 2 x 8 = 16 entries \(batch 2\), got 8/);
    expect(() => plan({ pre: [1, 2], d: Array(8).fill(0) })).toThrow(PlanError);
  });
});

describe('per-batch input arrays: diagnostics', () => {
  const diag = (params: string, body: string) => check(`pattern p(${params}) {\n  ${body}\n}\n`).diagnostics.map((d) => ({ code: d.code, text: d.span?.file.text.slice(d.span.start, d.span.end), msg: d.message }));
  it('reports misuse with codes and spans', () => {
    expect(diag('input pre: int[batch]', 'allow k < pre[q]')).toMatchObject([{ code: 'bad_index', text: 'q', msg: expect.stringContaining('one entry per batch element') }]);
    expect(diag('input d: int[batch, kv_len]', 'allow d[k] == 0')).toMatchObject([{ code: 'bad_index', text: 'k', msg: expect.stringContaining('read it as `d[b, q]` or `d[b, k]`') }]);
    expect(diag('input d: int[batch, kv_len]', 'allow d[q, k] == 0')).toMatchObject([{ code: 'bad_index', text: 'q' }]);
    expect(diag('input d: int[batch, kv_len]', 'allow d[b, h] == 0')).toMatchObject([{ code: 'bad_index', text: 'h' }]);
    expect(diag('input d: int[kv_len]', 'allow d[b] == 0')).toMatchObject([{ code: 'bad_index', text: 'b' }]);
    expect(diag('input d: int[kv_len]', 'allow d[b, k] == 0')).toMatchObject([{ code: 'bad_index', text: 'b, k' }]);
    expect(diag('input pre: int[batch]', 'allow pre[b, k] == 0')).toMatchObject([{ code: 'bad_index', text: 'b, k' }]);
    expect(diag('input pre: int[batch]', 'allow pre == 0')).toMatchObject([{ code: 'not_indexable', msg: expect.stringContaining('`pre[b]`') }]);
    expect(diag('input d: int[kv_len, batch]', 'allow d[b, k] == 0')[0]).toMatchObject({ code: 'type_mismatch', text: 'int[kv_len, batch]' });
    expect(diag('input d: int[batch, heads]', 'allow k < 1')[0]).toMatchObject({ code: 'unknown_name', text: 'heads' });
    expect(diag('runtime pre: int[batch]', 'allow k < 1')[0]).toMatchObject({ code: 'type_mismatch', msg: expect.stringContaining('input pre: int[batch]') });
    expect(diag('input pre: int[batch]', 'allow k < 1\n  assert pre[b] > 0, "x"')).toMatchObject([{ code: 'bad_assert' }]);
    expect(diag('input pre: int[batch], input d: int[batch, q_len]', 'allow k < pre[b] || d[b, q] == 1')).toEqual([]);
  });
});
