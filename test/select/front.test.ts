/**
 * The select clause through the front end: parsing with contextual words (names such as
 * `block`, `top` or `by` stay usable), the checked and bound IR (`CheckedSelect`, the static
 * mask A && R), the score input kept out of the int input arrays, `lowerDynamic`'s three
 * masks, the TextMate grammar's scopes, and the library refusing to emit or simulate.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lowerDynamic } from '../../compiler/3-lower/lower.ts';
import { attnTextMateGrammar } from '../../compiler/4-emit/editors/textmate.ts';
import { evaluate } from '../../compiler/eval/evaluate.ts';
import { AttncError, bind, check, emit, simulate, targets } from '../../compiler/index.ts';
import { show } from '../../compiler/ir/mask.ts';
import { bindText, checkText } from '../helpers/compile.ts';

const fixture = (name: string) => fs.readFileSync(`test/select/fixtures/${name}.attn`, 'utf8');

describe('select: checking and binding', () => {
  it('checks the four paper patterns and keeps the static mask A && R', () => {
    const want = {
      moba: { score: { kind: 'dot', kPool: 'mean' }, perKvHead: false, mask: 'q / block == k / block && k <= q' },
      nsa: { score: { kind: 'dot', kPool: 'mean' }, perKvHead: true, mask: '(k < 64 || q / 64 - k / 64 < 2) && k <= q' },
      quest: { score: { kind: 'bound' }, perKvHead: false, mask: 'false' },
      seer: { score: { kind: 'input', name: 'gate' }, perKvHead: false, mask: 'false' },
    } as const;
    for (const [name, w] of Object.entries(want)) {
      const { prog, diags } = checkText(fixture(name));
      expect(diags.items, name).toEqual([]);
      const p = prog!.patterns[0];
      expect(p.select?.score, name).toEqual(w.score);
      expect(p.select?.perKvHead, name).toBe(w.perKvHead);
      expect(show(p.mask), name).toBe(w.mask);
      expect(show(p.select!.restriction), name).toBe('k <= q');
    }
  });

  it('folds compile-time values into the count and block sizes; BQ and BK as written', () => {
    const moba = bindText(fixture('moba'), { topk: 5 });
    expect([show(moba.select!.k), show(moba.select!.blockQ), show(moba.select!.blockKv)]).toEqual(['5', '512', '512']);
    const nsa = bindText(fixture('nsa'));
    expect([show(nsa.select!.k), show(nsa.select!.blockQ), show(nsa.select!.blockKv)]).toEqual(['16', '128', '64']);
    const rt = bindText(fixture('maxpool'));
    expect(show(rt.select!.blockKv)).toBe('bq / 2 + 5');
  });

  it('keeps a score input out of the int input arrays and the planner', () => {
    const seer = bindText(fixture('seer'));
    expect(seer.inputs).toEqual([]);
    expect(seer.pattern.params.find((p) => p.name === 'gate')).toMatchObject({ mode: 'input', type: 'float[]', used: true });
    const ir = lowerDynamic(seer);
    expect(ir.static.inputs).toEqual([]);
  });

  it('reads the contextual words as names everywhere else', () => {
    const { prog, diags } = checkText(`pattern p(top: int = 2, by: int = 64, per: int = 1, kv_head: int = 0, blocks: int = 3) {
      let select_ = top + by
      causal
      allow q - k < select_ * per + kv_head + blocks
      select top(top) blocks(by, by / 2) by dot(mean(q), max(k)) per kv_head
    }`);
    expect(diags.items.map((d) => d.code)).toEqual([]);
    expect(prog!.patterns[0].select).toMatchObject({ perKvHead: true, score: { kind: 'dot', kPool: 'max' } });
  });

  it('lowers to S = A && R, R and C = R && !A', () => {
    const bp = bindText(fixture('maxpool'), { window: 7 });
    const ir = lowerDynamic(bp);
    const ctx = { sizes: { qLen: 300, kvLen: 300, heads: 1 }, params: { topk: 2, bq: 48 }, inputs: {} };
    for (let q = 0; q < 300; q += 7) {
      for (let k = 0; k < 300; k += 3) {
        const p = { b: 0, h: 0, q, k };
        const A = evaluate(bp.select!.allow, p, ctx) === true, R = evaluate(bp.select!.restriction, p, ctx) === true;
        expect(evaluate(ir.static.mask, p, ctx)).toBe(A && R);
        expect(evaluate(ir.restriction.mask, p, ctx)).toBe(R);
        expect(evaluate(ir.candidates.mask, p, ctx)).toBe(R && !A);
      }
    }
  });
});

describe('select: the TextMate grammar', () => {
  it('scopes the clause words where the clause puts them, not elsewhere', () => {
    const rules = (attnTextMateGrammar() as { patterns: { name?: string; match?: string }[] }).patterns.filter((r) => r.match);
    const scopeOf = (text: string, word: string) => {
      const at = text.indexOf(word);
      for (const r of rules) {
        const re = new RegExp(r.match!, 'g');
        for (let m = re.exec(text); m; m = re.exec(text)) if (m.index <= at && at < m.index + m[0].length) return r.name;
      }
      return undefined;
    };
    const line = 'select top(4) blocks(64, 32) by dot(mean(q), mean(k)) per kv_head';
    expect(scopeOf(line, 'select')).toBe('keyword.control.clause.attn');
    for (const w of ['top', 'blocks', 'by', 'per']) expect(scopeOf(line, w), w).toBe('keyword.other.select.attn');
    expect(scopeOf(line, 'dot')).toBe('support.function.select.attn');
    expect(scopeOf('allow select(q < 3, k, q) < top', 'select')).toBe('support.function.builtin.attn');
    expect(scopeOf('allow k < top', 'top')).toBeUndefined();
  });
});

describe('select: the library', () => {
  it('emits a pattern with select for CUDA, WGSL and TypeScript; refuses it for flex (dynamic_unsupported); simulates it', async () => {
    const c = check(fixture('moba'), { name: 'moba.attn' });
    const p = bind(c.patterns[0]);
    expect(targets.filter((t) => !['cuda', 'wgsl', 'ts'].includes(t))).toEqual(['flex']);
    const err = await emit(p, 'flex').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AttncError);
    expect((err as AttncError).diagnostics.map((d) => d.code)).toEqual(['dynamic_unsupported']);
    // The simulator prices it from its k (compiler/5-simulate/dynamic.ts).
    expect(simulate(p, { qLen: 4096, gpu: 'h200' }).fullTiles).toBeGreaterThan(simulate(bind(c.patterns[0], { topk: 0 }), { qLen: 4096, gpu: 'h200' }).fullTiles);
    // CUDA emits it: the kernels' pattern over the three static ones.
    const cu = (await emit(p, 'cuda')).find((f) => f.name === 'moba.cu')!.contents;
    expect(cu).toContain('struct Pattern : Static {');
    // WGSL: the kernel reads the merged schedule and the selected cells; the binding embeds the selection module.
    const wgsl = (await emit(p, 'wgsl'))[0].contents;
    expect(wgsl).toContain('fn attn_selected(q: i32, k: i32, h: i32, b: i32) -> bool {');
    expect(wgsl).toContain('sel_cells: i32,');
    const ts = (await emit(p, 'ts'))[0].contents;
    expect(ts).toContain('export const selection = asSelectionModule(');
    expect(ts).toContain('select: selection');
  });

  it('emits a score input for the WebGPU and CUDA targets: a float pointer in the C arguments, the binding and the loader take it', async () => {
    const p = bind(check(fixture('seer'), { name: 'seer.attn' }).patterns[0]);
    expect((await emit(p, 'ts'))[0].contents).toContain('goes in `opts.scores`');
    const files = Object.fromEntries((await emit(p, 'cuda')).map((f) => [f.name, f.contents]));
    expect(files['seer.cu']).toContain('SELECT_SCORE = attnc::SELECT_INPUT;');
    expect(files['seer.cu']).toContain('static const float* selectScores(const Args* a) { (void)a; return a->in_gate; }');
    expect(files['seer.h']).toContain('const float* in_gate;  /* device float32[batch, heads, q_blocks, kv_blocks], contiguous');
    expect(files['seer_torch.cpp']).toContain('a.in_gate = inputs[NUM_INPUTS].data_ptr<float>();');
    expect(files['seer.py']).toContain('score_input="gate"');
    expect(files['seer.py']).toContain('def attention(q, k, v, *, scale=None, block_kv=0, return_lse=False, deterministic=False, gate):');
    // The simulator prices a score input's selection by the table it reads, not by q and k.
    const seerT = bind(check('pattern seer_t(input gate: float[batch, heads, q_blocks, kv_blocks]) { causal  select top(4) blocks(64) by gate }').patterns[0]);
    const dotT = bind(check('pattern dot_t() { causal  select top(4) blocks(64) by dot(mean(q), mean(k)) }').patterns[0]);
    const shape = { qLen: 65536, gpu: 'h200', headDim: 128 } as const;
    const gap = (x: ReturnType<typeof simulate>) => x.sparseMs;
    expect(gap(simulate(seerT, shape))).toBeLessThan(gap(simulate(dotT, shape)));
    // A clause scored from q and k has no score input.
    const moba = Object.fromEntries((await emit(bind(check(fixture('moba'), { name: 'moba.attn' }).patterns[0]), 'cuda')).map((f) => [f.name, f.contents]));
    expect(moba['moba.cu']).toContain('return nullptr; }');
    expect(moba['moba_torch.cpp']).toContain('NUM_SCORE_INPUTS = 0;');
  });
});
