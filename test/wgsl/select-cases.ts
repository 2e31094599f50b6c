/**
 * The WebGPU selection cases (test/wgsl/select.test.ts runs them on lavapipe; the same cases
 * can run on a real GPU through `prepareSelectCases`): random and integer-valued data (exact
 * ties), q_len != kv_len, sizes that are not block multiples, GQA with and without
 * `per kv_head`, K >= candidates, K = 0 (fully masked rows), a score input with ties and NaN,
 * rows of more than one top-k chunk, an input array with a batch-dependent allow, bias and
 * soft-cap, f16.
 */
import * as fs from 'node:fs';
import { bindText } from '../helpers/compile.ts';
import type { SelectCase } from './select-harness.ts';

const fixture = (name: string, params: Record<string, string | number> = {}) => bindText(fs.readFileSync(`test/select/fixtures/${name}.attn`, 'utf8'), params);

/** The cases, in order. */
export function selectCases(): SelectCase[] {
  const moba = fixture('moba', { block: 32, topk: 2 });
  const moba0 = fixture('moba', { block: 32, topk: 0 });
  const mobaAll = fixture('moba', { block: 24, topk: 100 });
  const nsa = fixture('nsa', { topn: 2 });
  const quest = fixture('quest', { topk: 2 });
  const quest0 = fixture('quest', { topk: 0 });
  const maxpool = fixture('maxpool');
  const seer = fixture('seer', { topk: 2 });
  // Key blocks of 4: rows of 275 cells, more than one top-k chunk of 256.
  const many = bindText('pattern many(topk: int = 40) {\n  select top(topk) blocks(8, 4) by dot(mean(q), mean(k))\n  allow k < 8\n}\n');
  // An input array in the restriction, a batch- and head-dependent allow, a bias and a soft-cap.
  const docsel = bindText('pattern docsel(runtime topk: int = 2, input doc: int[kv_len]) {\n  require doc[q] == doc[k] && k <= q\n  select top(topk) blocks(16, 8) by bound(mean(q), k)\n  allow (b + h) % 3 == 0 && k < 8\n  allow q - k < 4\n  bias = 0.01 * (k - q)\n  softcap = 5.0\n}\n');
  const doc = (n: number) => Int32Array.from({ length: n }, (_, i) => Math.floor(i / 37) + (i % 53 === 0 ? 1 : 0));
  const small = { blockQ: 16, blockKv: 16, kvChunk: 16 };
  const cases: SelectCase[] = [
    { name: 'moba random GQA', bound: moba, batch: 2, heads: 4, kvHeads: 2, qLen: 150, kvLen: 150, headDim: 32, dtype: 'f32', tiles: small },
    { name: 'moba ints (ties)', bound: moba, batch: 1, heads: 2, kvHeads: 1, qLen: 230, kvLen: 230, headDim: 32, dtype: 'f32', tiles: small, data: 'ints' },
    { name: 'moba kv < q', bound: moba, batch: 1, heads: 2, kvHeads: 2, qLen: 150, kvLen: 97, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 32, kvChunk: 16 } },
    { name: 'moba K = 0', bound: moba0, batch: 1, heads: 2, kvHeads: 1, qLen: 130, kvLen: 130, headDim: 32, dtype: 'f32', tiles: small },
    { name: 'moba K >= candidates, blocks of 24 over tiles of 16', bound: mobaAll, batch: 1, heads: 2, kvHeads: 1, qLen: 140, kvLen: 140, headDim: 32, dtype: 'f32', tiles: small },
    { name: 'nsa per kv_head GQA', bound: nsa, batch: 1, heads: 4, kvHeads: 2, qLen: 330, kvLen: 330, headDim: 32, dtype: 'f32', tiles: small },
    { name: 'nsa per kv_head ints (ties)', bound: nsa, batch: 2, heads: 4, kvHeads: 2, qLen: 300, kvLen: 300, headDim: 32, dtype: 'f32', tiles: { blockQ: 32, blockKv: 32, kvChunk: 16 }, data: 'ints' },
    { name: 'quest bound q < kv', bound: quest, batch: 1, heads: 2, kvHeads: 1, qLen: 200, kvLen: 260, headDim: 32, dtype: 'f32', tiles: small },
    { name: 'quest bound ints', bound: quest, batch: 1, heads: 2, kvHeads: 2, qLen: 260, kvLen: 200, headDim: 32, dtype: 'f32', tiles: small, data: 'ints' },
    { name: 'quest K = 0 (every row fully masked)', bound: quest0, batch: 1, heads: 2, kvHeads: 1, qLen: 100, kvLen: 100, headDim: 32, dtype: 'f32', tiles: small },
    { name: 'maxpool runtime blocks, max(k)', bound: maxpool, batch: 1, heads: 3, kvHeads: 1, qLen: 170, kvLen: 190, headDim: 32, dtype: 'f32', tiles: small, params: { topk: 3, bq: 24 } },
    { name: 'maxpool ints defaults', bound: maxpool, batch: 1, heads: 2, kvHeads: 2, qLen: 200, kvLen: 200, headDim: 32, dtype: 'f32', tiles: small, data: 'ints' },
    { name: 'many: 275 key blocks a row, ints', bound: many, batch: 1, heads: 2, kvHeads: 1, qLen: 64, kvLen: 1100, headDim: 16, dtype: 'f32', tiles: { blockQ: 16, blockKv: 64, kvChunk: 16 }, data: 'ints' },
    // A score input: ties (integer gates) and NaN, which ranks below every number.
    { name: 'seer gate ties and NaN', bound: seer, batch: 2, heads: 2, kvHeads: 1, qLen: 300, kvLen: 330, headDim: 32, dtype: 'f32', tiles: small, gate: (b, h, i, j) => ((i + j + b) % 4 === 1 ? NaN : (i * 3 + j * 5 + h) % 3) },
    { name: 'docsel: input array, batch-dependent allow, bias, soft-cap', bound: docsel, batch: 3, heads: 2, kvHeads: 1, qLen: 170, kvLen: 170, headDim: 32, dtype: 'f32', tiles: small, inputs: { doc: doc(170) }, params: { topk: 3 } },
    { name: 'moba f16 d64 default tiles', bound: moba, batch: 1, heads: 2, kvHeads: 1, qLen: 150, kvLen: 150, headDim: 64, dtype: 'f16' },
    { name: 'quest f16 d64 default tiles GQA', bound: quest, batch: 1, heads: 4, kvHeads: 2, qLen: 200, kvLen: 200, headDim: 64, dtype: 'f16' },
  ];
  return cases;
}
