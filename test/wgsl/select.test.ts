import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bindText } from '../helpers/compile.ts';
import { webgpuUnavailable } from './harness.ts';
import { runSelectCases, selectFailures, type SelectCase } from './select-harness.ts';

const fixture = (name: string, params: Record<string, string | number> = {}) => bindText(fs.readFileSync(`test/select/fixtures/${name}.attn`, 'utf8'), params);

describe.skipIf(webgpuUnavailable())('select on WebGPU', () => {
  it('smoke', () => {
    const moba = fixture('moba', { block: 32, topk: 2 });
    const cases: SelectCase[] = [
      { name: 'moba', bound: moba, batch: 1, heads: 2, kvHeads: 1, qLen: 150, kvLen: 150, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 } },
    ];
    const out = runSelectCases(cases);
    console.log(out.map((o) => ({ ...o, ref: undefined })));
    expect(out.flatMap((o, i) => selectFailures(o, cases[i].dtype))).toEqual([]);
  }, 300_000);
});
