/**
 * `fn` and `let` sharing: each nesting level of `f(x) + f(x)` used to double the work (20
 * levels: 20 s, 1.4 GB). A `let`'s value and a call with the same arguments are now one node
 * with several parents (the mask IR is a DAG), which check, bind, lowering, the evaluator and
 * every printer handle once, so cost and output are linear in the program. What stays bounded
 * is elaboration work (`MAX_EXPR_NODES`: calls with ever new arguments) and depth.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EXPR_NODES } from '../../compiler/2-check/elaborate.ts';
import { bind, check as checkApi, emit, plan as planApi } from '../../compiler/index.ts';
import { sharedNodes, some, type MExpr } from '../../compiler/ir/mask.ts';
import { evaluate } from '../../compiler/eval/evaluate.ts';
import { attnc, check, plan, timed, tmpFile } from './helpers.ts';

const fnLevels = (n: number, use: string) =>
  `fn f0(x: int) -> int = x * 2 + 1\n${Array.from({ length: n }, (_, i) => `fn f${i + 1}(x: int) -> int = f${i}(x) + f${i}(x)`).join('\n')}\npattern p(w: int = 3) {\n  ${use}\n}\n`;
const letLevels = (n: number) =>
  `pattern p() {\n  let x0 = q - k\n${Array.from({ length: n }, (_, i) => `  let x${i + 1} = x${i} * 2 + x${i}`).join('\n')}\n  allow x${n} >= 0\n}\n`;
/** Both kinds nested 24 deep, with a runtime value, an input array, a head-dependent term and a bias. */
const mixed = (n: number) => [
  `fn f0(x: int) -> int = x * 3 + 1`,
  ...Array.from({ length: n }, (_, i) => `fn f${i + 1}(x: int) -> int = f${i}(x) % 1000003 - f${i}(x) / 2`),
  `pattern p(runtime r: int = 5, input doc: int[kv_len]) {`,
  '  let x0 = q - k',
  ...Array.from({ length: n }, (_, i) => `  let x${i + 1} = select(x${i} < r, x${i} + 1, x${i} * 2)`),
  `  allow x${n} % 7 == 0 || doc[k] == f${n}(q) % 3`,
  `  allow abs(f${n}(h) % 5) < 2`,
  `  require k <= q`,
  `  bias = float(f${n}(q - k) % 11) * 0.25`,
  '}',
].join('\n') + '\n';

/** Distinct nodes of a DAG. */
function dagSize(roots: readonly MExpr[]): number {
  const seen = new Set<MExpr>();
  for (const r of roots) some(r, (n) => (seen.add(n), false));
  return seen.size;
}

describe('fn and let sharing', () => {
  it('24 levels of f(x) + f(x) check clean in well under a second', () => {
    const { value, ms } = timed(() => check(fnLevels(24, 'allow f24(q - k) >= w')));
    expect(value.codes).toEqual([]);
    expect(ms).toBeLessThan(1000);
  });

  it('24 levels of let x = x * 2 + x check clean in well under a second, and bind to a small DAG', () => {
    const { value, ms } = timed(() => check(letLevels(24)));
    expect(value.codes).toEqual([]);
    expect(ms).toBeLessThan(1000);
    expect(dagSize([value.prog!.patterns[0].mask])).toBeLessThan(200);
  });

  it('24 levels of both, with inputs, heads and a bias: check, bind, plan and every target in well under two seconds each, with small output', async () => {
    const t0 = performance.now();
    const { patterns, diagnostics } = checkApi(mixed(24), { name: 'x.attn' });
    expect(diagnostics.map((d) => d.code)).toEqual([]);
    const p = bind(patterns[0], {});
    expect(dagSize([p.bound.mask, p.bound.bias!])).toBeLessThan(1000);
    expect(sharedNodes([p.bound.mask]).length).toBeGreaterThan(24);
    const doc = Int32Array.from({ length: 256 }, (_, i) => i % 3);
    const s = planApi(p, { qLen: 256, kvLen: 256, heads: 4, blockQ: 32, blockKv: 32, inputs: { doc } });
    expect(s.stats.partialTiles + s.stats.fullTiles).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(2000);
    for (const target of ['wgsl', 'ts', 'cuda', 'flex'] as const) {
      const t = performance.now();
      const files = await emit(p, target);
      // ts loads its printer (ts-morph, prettier) on first use: that alone takes about a second.
      expect(performance.now() - t, target).toBeLessThan(target === 'ts' ? 6000 : 2000);
      for (const f of files) expect(f.contents.length, f.name).toBeLessThan(120_000);
      const text = files.map((f) => f.contents).join('\n');
      expect(text, target).toMatch(/t_23\b/); // one local per shared level
    }
  }, 30_000);

  it('float lets that only an untaken branch reads are shared in every target too (the Python float helpers never raise)', async () => {
    // Each level's float value is read only under select(): before, the FlexAttention printer
    // inlined such values at every use (Python floats raise), doubling its output per level.
    const src = [
      'pattern p(runtime c: float = 0.0) {',
      '  let y0 = 1.0 / c',
      ...Array.from({ length: 24 }, (_, i) => `  let y${i + 1} = select(c > 0.5, log(y${i}) + exp(y${i}) / c, 0.0) + select(c > 0.25, y${i} % c, 1.0)`),
      '  bias = select(c > 1.0, y24, 0.0)',
      '}',
    ].join('\n') + '\n';
    const { patterns, diagnostics } = checkApi(src, { name: 'x.attn' });
    expect(diagnostics.map((d) => d.code)).toEqual([]);
    const p = bind(patterns[0], {});
    for (const target of ['wgsl', 'ts', 'cuda', 'flex'] as const) {
      const files = await emit(p, target);
      for (const f of files) expect(f.contents.length, `${target} ${f.name}`).toBeLessThan(120_000);
    }
    const flex = (await emit(p, 'flex')).map((f) => f.contents).join('\n');
    expect(flex).toMatch(/_fdivf\(/);
    expect(flex).toMatch(/_logf\(/);
  }, 30_000);

  it('the evaluator computes a 24-level chain per point in linear time, with the value of the definition', () => {
    const { prog } = check(letLevels(24));
    const mask = prog!.patterns[0].mask;
    const ctx = { sizes: { qLen: 64, kvLen: 64, heads: 1 }, params: {}, inputs: {} };
    const { ms } = timed(() => {
      for (let q = 0; q < 64; q++) for (let k = 0; k < 64; k++) {
        // x_{i+1} = 3 x_i (wrapping): x24 = 3^24 (q - k) mod 2^32, as a signed int.
        const want = Number(BigInt.asIntN(32, 282429536481n * BigInt(q - k))) >= 0;
        expect(evaluate(mask, { b: 0, h: 0, q, k }, ctx)).toBe(want);
      }
    });
    expect(ms).toBeLessThan(2000);
  });

  it('the CLI compiles 24 levels for every target quickly (exit 0)', () => {
    const f = tmpFile(fnLevels(24, 'allow f24(q - k) >= w\n  bias = float(f24(q)) * 0.5'));
    const r = attnc('compile', f, '--target', 'wgsl,ts,cuda,flex', '--out', `${f}.out`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('calls with ever new arguments still grow exponentially: refused quickly with a coded error', () => {
    const src = `fn f0(x: int) -> int = x * 2 + 1\n${Array.from({ length: 24 }, (_, i) => `fn f${i + 1}(x: int) -> int = f${i}(x) + f${i}(x + 1)`).join('\n')}\npattern p() {\n  allow f24(q - k) >= 0\n}\npattern p2() {\n  allow f24(q) >= 1\n}\n`;
    const { value, ms } = timed(() => check(src));
    // Refused at the body of the first fn whose expansion crosses the limit (f14: 2^14 calls of small bodies).
    expect(value.codes).toEqual(['expression_too_large']);
    expect(value.diags.items[0].message).toContain(`more than ${MAX_EXPR_NODES} nodes`);
    expect(value.diags.items[0].span?.line).toBe(15);
    expect(ms).toBeLessThan(3000);
    const r = attnc('check', tmpFile(src));
    expect(r.stderr).toContain('error[expression_too_large]');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(1);
  });

  it('memoised calls keep their meaning: distinct arguments give distinct expansions', () => {
    const src = 'fn f(x: int) -> int = x * 2 + 1\nfn g(x: int) -> int = f(x) - f(x + 1)\npattern p() {\n  allow g(q) + g(k) + f(q - k) == -2\n}\n';
    const s = plan(src, 256, 16);
    // g(x) = -2 for every x, so the mask is f(q - k) == 2, i.e. never (2 * (q - k) + 1 is odd).
    expect(s.stats.fullTiles + s.stats.partialTiles).toBe(0);
    const s2 = plan(src.replace('== -2', '== -3'), 256, 16);
    // 2 * (q - k) + 1 - 4 == -3 exactly on the diagonal.
    expect(s2.stats.partialTiles).toBe(16);
  });
});
