/**
 * Property tests of lowering against the dense oracle: random patterns (written as .attn
 * source, so the front end is exercised too), random sizes that are not block multiples,
 * q_len != kv_len, several block shapes. With the default (exact) refinement budget the
 * schedule must equal the oracle's tile classes; with a tiny budget it must stay sound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { bindText } from '../helpers/compile.ts';
import { compareWithOracle } from '../helpers/dense-check.ts';

const C = fc.integer({ min: 1, max: 70 });
const atom: fc.Arbitrary<string> = fc.oneof(
  C.map((c) => `q - k < ${c}`),
  C.map((c) => `k - q < ${c}`),
  C.map((c) => `abs(q - k) <= ${c}`),
  C.map((c) => `k < ${c}`),
  C.map((c) => `q < ${c}`),
  C.map((c) => `k >= kv_len - ${c}`),
  C.map((c) => `q / ${c} == k / ${c}`),
  fc.integer({ min: 1, max: 6 }).map((c) => `(q - k) % ${c} == 0`),
  fc.tuple(C, C).map(([c, d]) => `q % ${c} < ${d}`),
  fc.tuple(C, C).map(([c, d]) => `k % ${c} == ${d % c}`),
  fc.constant('h in {0, 2}'),
  fc.constant('h % 2 == 0'),
  fc.tuple(fc.integer({ min: 8, max: 40 }), fc.nat(99)).map(([c, s]) => `hash(q / ${c}, k / ${c}, ${s}) % 4 == 0`),
  fc.constant('k <= q'),
  fc.tuple(C, C).map(([c, d]) => `clamp(q - ${c}, 0, ${d + 20}) <= k`),
  fc.tuple(C, C).map(([c, d]) => `k in ${c}..${c + d}`),
  C.map((c) => `q * 2 - k < ${c}`),
  C.map((c) => `min(q, k) < ${c}`),
  C.map((c) => `max(q, k) >= ${c * 2}`),
  C.map((c) => `select(h == 1, q - k < ${c}, k < ${c})`),
  fc.constant('doc[q] == doc[k]'),
  fc.constant('doc[k] <= doc[q]'),
  fc.constant('q - k < prefix'),
  fc.constant('b == 1 || k < 20'),
);
const expr: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: atom },
  { weight: 1, arbitrary: atom.map((a) => `!(${a})`) },
  { weight: 2, arbitrary: fc.tuple(atom, atom).map(([a, b]) => `(${a}) && (${b})`) },
  { weight: 2, arbitrary: fc.tuple(atom, atom).map(([a, b]) => `(${a}) || (${b})`) },
);
const pattern = fc
  .record({
    causal: fc.boolean(),
    allows: fc.array(expr, { maxLength: 3 }),
    requires: fc.array(expr, { maxLength: 2 }),
    denies: fc.array(expr, { maxLength: 1 }),
  })
  .map(({ causal, allows, requires, denies }) => {
    const body = [causal ? 'causal' : '', ...allows.map((a) => `allow ${a}`), ...requires.map((a) => `require ${a}`), ...denies.map((a) => `deny ${a}`)].filter(Boolean);
    const text = body.join('\n  ');
    const params = [text.includes('doc[') ? 'input doc: int[kv_len]' : '', text.includes('prefix') ? 'runtime prefix: int' : ''].filter(Boolean);
    return `pattern r(${params.join(', ')}) {\n  ${text}\n}\n`;
  });
const sizes = fc.record({
  qLen: fc.integer({ min: 1, max: 150 }),
  kvLen: fc.integer({ min: 1, max: 150 }),
  heads: fc.integer({ min: 1, max: 3 }),
  batch: fc.integer({ min: 1, max: 2 }),
  blockQ: fc.constantFrom(16, 32, 64),
  blockKv: fc.constantFrom(16, 32, 64),
  prefix: fc.integer({ min: -5, max: 60 }),
  docSeed: fc.nat(1000),
});

function docIds(n: number, seed: number): number[] {
  const out: number[] = [];
  let id = 0;
  for (let i = 0; i < n; i++) {
    if (((i * 7919 + seed * 31) % 23) === 0) id++;
    out.push(id);
  }
  return out;
}

type Sizes = typeof sizes extends fc.Arbitrary<infer T> ? T : never;

function runCase(src: string, z: Sizes, budget?: number) {
  const bp = bindText(src);
  const { planner } = lowerToPlanner(bp);
  const doc = docIds(Math.max(z.qLen, z.kvLen), z.docSeed).slice(0, z.kvLen);
  const qLen = src.includes('doc[') ? Math.min(z.qLen, z.kvLen) : z.qLen;
  const inputs: Record<string, number[]> = src.includes('doc[') ? { doc } : {};
  const params: Record<string, number> = src.includes('prefix') ? { prefix: z.prefix } : {};
  const s = planSchedule(planner, { qLen, kvLen: z.kvLen, heads: z.heads, batch: z.batch, blockQ: z.blockQ, blockKv: z.blockKv, params, inputs, refineBudget: budget });
  verifySchedule(s);
  const ctx = { sizes: { qLen, kvLen: z.kvLen, heads: z.heads }, params, inputs };
  return compareWithOracle(bp, s, ctx, z.batch, { soundOnly: budget !== undefined });
}

describe('lowering agrees with the dense oracle', () => {
  it('exactly, with exact refinement (random patterns and sizes)', () => {
    fc.assert(
      fc.property(pattern, sizes, (src, z) => {
        const errs = runCase(src, z);
        expect(errs, `${src}\n${JSON.stringify(z)}`).toEqual([]);
      }),
      { numRuns: 250 },
    );
  });

  it('soundly, with a tiny refinement budget', () => {
    fc.assert(
      fc.property(pattern, sizes, (src, z) => {
        const errs = runCase(src, z, 3);
        expect(errs, `${src}\n${JSON.stringify(z)}`).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
