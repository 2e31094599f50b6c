/**
 * Data-dependent selection against the reference (`compiler/eval/select.ts`): the planner's
 * candidate classification at BQ x BK equals the exact candidates, the device-style
 * selection equals the reference's Sel, and the merged tile schedule is consistent with the
 * reference's dense mask (FULL tiles all allowed, EMPTY tiles none, every allowed point in a
 * listed tile), for sizes that are not block multiples, q_len != kv_len, GQA, ties and NaN.
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { referenceSelection } from '../../compiler/eval/select.ts';
import { lowerDynamicToPlanners, planDynamic, type DynamicPlanners, type SelectCall } from '../../compiler/plan-dynamic.ts';
import { blockCandidates } from '../../runtime/schedule/select-candidates.ts';
import { tileStates } from '../../runtime/schedule/select-merge.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { bindText } from '../helpers/compile.ts';

const fixture = (name: string) => fs.readFileSync(`test/select/fixtures/${name}.attn`, 'utf8');

interface Case { readonly name: string; readonly bp: BoundPattern; readonly planners: DynamicPlanners; readonly params?: Record<string, number>; readonly inputs?: Record<string, number[]> }

const make = (name: string, text: string, bind: Record<string, number> = {}, extra: Partial<Case> = {}): Case => {
  const bp = bindText(text, bind);
  return { name, bp, planners: lowerDynamicToPlanners(bp), ...extra };
};

const CASES: Case[] = [
  make('moba', fixture('moba'), { block: 24, topk: 2 }),
  make('nsa', fixture('nsa').replace('blocks(128, 64)', 'blocks(32, 16)').replace(/64/g, '16'), { topn: 3 }),
  make('quest', fixture('quest').replace('blocks(64)', 'blocks(20)'), { topk: 2 }),
  make('seer', fixture('seer').replace('blocks(64)', 'blocks(16, 24)'), { topk: 1 }),
  make('maxpool', fixture('maxpool'), { window: 17 }, { params: { topk: 2, bq: 18 } }),
  make('document', `pattern d(input doc: int[batch, kv_len], n: int = 2) {
    require doc[b, q] == doc[b, k]
    select top(n) blocks(16) by dot(mean(q), mean(k))
    allow q - k < 9 && k <= q
  }`, {}, {}),
  make('heads', `pattern hd(n: int = 1) {
    causal
    deny h == 1 && k % 5 == 0
    select top(n + heads / 4) blocks(10, 30) by bound(mean(q), k) per kv_head
    allow h == 0
  }`),
];

/** A reproducible stream of numbers: integer-valued (many exact ties) or not, with NaN now and then. */
function data(n: number, seed: number, ints: boolean, nan: boolean): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const u = s / 2 ** 32;
    out[i] = nan && u < 0.01 ? NaN : ints ? Math.floor(u * 5) - 2 : u * 4 - 2;
  }
  return out;
}

function call(c: Case, sizes: { batch: number; heads: number; kvHeads: number; qLen: number; kvLen: number; headDim: number; tq: number; tk: number }, seed: number, ints: boolean, nan: boolean): SelectCall {
  const { batch, heads, kvHeads, qLen, kvLen, headDim } = sizes;
  const inputs: Record<string, Int32Array> = {};
  if (c.name === 'document') inputs.doc = Int32Array.from({ length: batch * kvLen }, (_, i) => Math.floor((i % kvLen) / (13 + (i / kvLen | 0) * 7)));
  const gateLen = () => {
    const bq = 16, bk = 24;
    return batch * heads * Math.ceil(qLen / bq) * Math.ceil(kvLen / bk);
  };
  return {
    batch, heads, kvHeads, qLen, kvLen, headDim, blockQ: sizes.tq, blockKv: sizes.tk, params: c.params, inputs,
    q: data(batch * heads * qLen * headDim, seed, ints, nan),
    k: data(batch * kvHeads * kvLen * headDim, seed * 7 + 1, ints, nan),
    gate: c.name === 'seer' ? data(gateLen(), seed * 3 + 2, ints, nan) : undefined,
  };
}

const sizesArb = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  kvHeads: fc.integer({ min: 1, max: 2 }),
  group: fc.integer({ min: 1, max: 2 }),
  qLen: fc.integer({ min: 1, max: 90 }),
  kvLen: fc.integer({ min: 1, max: 90 }),
  headDim: fc.integer({ min: 1, max: 4 }),
  tq: fc.constantFrom(16, 32),
  tk: fc.constantFrom(16, 32),
}).map((s) => ({ ...s, heads: s.kvHeads * s.group }));

type Sizes = { batch: number; heads: number; kvHeads: number; qLen: number; kvLen: number; headDim: number; tq: number; tk: number };

function checkCall(c: Case, sz: Sizes, seed: number, ints: boolean, nan: boolean) {
  const bp = c.bp;
  // `doc: int[batch, kv_len]` is read at q too: it must cover every query.
  if (c.name === 'document') sz = { ...sz, qLen: Math.min(sz.qLen, sz.kvLen) };
  const cl = call(c, sz, seed, ints, nan);
  const ref = referenceSelection(bp, sz, cl, c.params, cl.inputs);
  const plan = planDynamic(bp, c.planners, cl);
  // (1) candidates by the planner = exact candidates (per head).
  expect(Array.from(plan.candidates)).toEqual(Array.from(ref.candidates));
  // Sel from the device-style scores = the reference's Sel.
  expect(Array.from(plan.sel)).toEqual(Array.from(ref.sel));
  // (2) the merged schedule is sound and complete against the dense mask.
  const s = plan.schedule;
  verifySchedule(s);
  for (let b = 0; b < sz.batch; b++) {
    for (let h = 0; h < sz.heads; h++) {
      const g = s.groups[s.groupOf[b * sz.heads + h]];
      const st = tileStates(s, g);
      for (let q = 0; q < sz.qLen; q++) {
        for (let kk = 0; kk < sz.kvLen; kk++) {
          const m = ref.mask[((b * sz.heads + h) * sz.qLen + q) * sz.kvLen + kk];
          const t = st[Math.floor(q / s.blockQ) * s.numKvBlocks + Math.floor(kk / s.blockKv)];
          if (t === 2 && !m) throw new Error(`${c.name}: FULL tile has masked (${b}, ${h}, ${q}, ${kk})`);
          if (t === 0 && m) throw new Error(`${c.name}: EMPTY tile has allowed (${b}, ${h}, ${q}, ${kk})`);
        }
      }
      // Fully masked rows: exactly the rows with no allowed key.
      const rows = new Set<number>();
      for (const [a, z] of g.fullyMaskedRows) for (let q = a; q < z; q++) rows.add(q);
      for (let q = 0; q < sz.qLen; q++) {
        let any = false;
        for (let kk = 0; kk < sz.kvLen && !any; kk++) any = ref.mask[((b * sz.heads + h) * sz.qLen + q) * sz.kvLen + kk] === 1;
        expect(rows.has(q), `${c.name}: row ${q} of (${b}, ${h})`).toBe(!any);
      }
    }
  }
  return { ref, plan };
}

describe('data-dependent selection against the reference', () => {
  for (const c of CASES) {
    it(`${c.name}: candidates, Sel and the merged schedule`, () => {
      fc.assert(fc.property(sizesArb, fc.nat(1000), fc.boolean(), fc.boolean(), (sz, seed, ints, nan) => {
        checkCall(c, sz, seed + 1, ints, nan);
      }), { numRuns: 40, seed: 7 });
    });
  }

  it('selects every candidate when K exceeds them, none when K = 0', () => {
    const sz = { batch: 1, heads: 2, kvHeads: 1, qLen: 77, kvLen: 61, headDim: 3, tq: 16, tk: 32 };
    for (const [topk, all] of [[1000, true], [0, false]] as const) {
      const c = make('moba', fixture('moba'), { block: 12, topk });
      const { ref, plan } = checkCall(c, sz, 5, true, false);
      expect(Array.from(plan.sel)).toEqual(all ? Array.from(plan.candidates) : Array.from(plan.candidates, () => 0));
      expect(ref.sel.some((x) => x === 1)).toBe(all);
    }
  });

  it('rows with no allowed key are listed as fully masked (K = 0 and no allow: every row)', () => {
    const sz = { batch: 2, heads: 2, kvHeads: 2, qLen: 45, kvLen: 70, headDim: 2, tq: 16, tk: 16 };
    const none = make('quest', fixture('quest').replace('blocks(64)', 'blocks(20)'), { topk: 0 });
    const { plan } = checkCall(none, sz, 9, true, false);
    for (const g of plan.schedule.groups) expect(g.fullyMaskedRows).toEqual([[0, 45]]);
    // A window of 2 for q > 20 only and nothing selected: rows 0..20 have no key.
    const some = make('window', `pattern w(n: int = 0) { causal  allow q - k < 2 && q > 20  select top(n) blocks(8) by dot(mean(q), mean(k)) }`);
    const r = checkCall(some, sz, 4, false, false);
    for (const g of r.plan.schedule.groups) expect(g.fullyMaskedRows).toEqual([[0, 21]]);
  });

  it('per kv_head: every head of a group selects the same blocks', () => {
    const c = make('nsa', fixture('nsa').replace('blocks(128, 64)', 'blocks(16, 8)').replace(/64/g, '8'), { topn: 2 });
    const sz = { batch: 1, heads: 4, kvHeads: 2, qLen: 50, kvLen: 70, headDim: 2, tq: 16, tk: 16 };
    const { ref } = checkCall(c, sz, 3, false, false);
    const cells = ref.nQ * ref.nK;
    for (const [a, z] of [[0, 1], [2, 3]]) expect(Array.from(ref.sel.subarray(a * cells, (a + 1) * cells))).toEqual(Array.from(ref.sel.subarray(z * cells, (z + 1) * cells)));
  });

  it('ties go to the lower key block; NaN ranks below every number', () => {
    const c = make('seer', fixture('seer').replace('blocks(64)', 'blocks(16)'), { topk: 1 });
    const sz = { batch: 1, heads: 1, kvHeads: 1, qLen: 48, kvLen: 48, headDim: 1 };
    // Query block 2 has candidates 0 and 1 (block 2 is causal-diagonal, candidate too).
    const gate = [0, 0, 0, 5, 5, 0, NaN, 1, 1];
    const ref = referenceSelection(c.bp, sz, { gate });
    const plan = planDynamic(c.bp, c.planners, { ...sz, blockQ: 16, blockKv: 16, gate });
    expect(Array.from(ref.sel)).toEqual([1, 0, 0, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(plan.sel)).toEqual(Array.from(ref.sel));
  });

  it('the planner classifies candidates at block sizes that are not powers of two', () => {
    const c = CASES.find((x) => x.name === 'maxpool')!;
    const shape = { batch: 1, heads: 1, kvHeads: 1, qLen: 101, kvLen: 67, blockQ: 18, blockKv: 14 };
    const ref = referenceSelection(c.bp, { ...shape, headDim: 1 }, { q: new Float64Array(101), k: new Float64Array(67) }, c.params);
    expect(Array.from(blockCandidates(c.planners.candidates.planner, shape, c.params))).toEqual(Array.from(ref.candidates));
  });
});
