// A Node consumer of the installed package's library API; prints what it got as JSON.
import { check, bind, plan, emit, simulate, summarize, AttncError } from 'attnc';

const { patterns, ok } = check('pattern w(window: int = 64) {\n  causal\n  allow q - k < window\n}\n', { name: 'w.attn' });
if (!ok) throw new Error('check failed');
const p = bind(patterns[0], { window: 128 });
const s = summarize(plan(p, { qLen: 1000, kvLen: 1000, heads: 2, blockQ: 64, blockKv: 64 }));
const files = await emit(p, 'cuda');
const est = simulate(p, { gpu: 'h200', qLen: 16384 });
const bad = check('pattern x( {');
let err = '';
try {
  bind(patterns[0], { nope: 1 });
} catch (e) {
  if (e instanceof AttncError) err = e.diagnostics[0].code;
}
console.log(JSON.stringify({ full: s.full, partial: s.partial, files: files.map((f) => f.name), faster: est.speedup > 1, bad: bad.diagnostics[0]?.code, err }));
