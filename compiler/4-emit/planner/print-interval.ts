/**
 * Prints mask IR as straight-line JavaScript that bounds the expression over a tile
 * `q in [q0, q1], k in [k0, k1]` (inclusive). Every node gets a pair of locals `lN`/`hN`;
 * booleans use 0 (false) and 1 (true), so `[1, 1]` is "true everywhere", `[0, 0]` "false
 * everywhere", `[0, 1]` "could be either". The bounds are sound (the true range lies
 * inside); they are exact for each sub-expression in which every variable occurs once.
 * Ints wrap at 32 bits: where an operation can wrap (`ir/int-range.ts`), its exact bounds
 * go through `ivInt`, which keeps them when they fit and else gives the whole int range.
 * A node shared by several parents (`let`s, repeated `fn` calls) is bounded once: its pair
 * of locals serves every use, so the code is linear in the DAG.
 */
import { assertNever, invariant } from '../../diagnostics/diagnostic.ts';
import { mayWrap } from '../../ir/int-range.ts';
import { structId, type MExpr } from '../../ir/mask.ts';
import { leafName } from './names.ts';

/** Straight-line code plus the names (or literals) holding the final bounds. */
export interface IntervalCode {
  readonly lines: string[];
  readonly lo: string;
  readonly hi: string;
}

/** The syntax the interval code is printed in (JavaScript for the planner, C++ for CUDA hosts). */
export interface IntervalDialect {
  /** Declares the pair of locals `l<i>`, `h<i>`. */
  decl(i: number, lo: string, hi: string): string;
  /** Call of a helper that writes its result to the scratch pair `R`. */
  helper(name: 'ivInt' | 'ivMul' | 'ivDiv' | 'ivMod', args: string[]): string;
  hash(args: string[]): string;
  inputRange(name: string, axis: 'q' | 'k', lo: string, hi: string): string;
  scratch: [string, string];
  floorDivPos(a: string, c: string): string;
  minmax(fn: 'min' | 'max', args: string[]): string;
  eq: string;
  /** `a` when `cond` holds, else `b`. */
  ite(cond: string, a: string, b: string): string;
  /** The short-circuit connectives between conditions. */
  and: string;
  or: string;
  /** A bound (a name or literal) as an operand whose sum or product with another bound is exact. */
  wide(v: string): string;
}

/** `c ? a : b`: the conditional of JavaScript, C and C++. */
export const cTernary = (cond: string, a: string, b: string) => `${cond} ? ${a} : ${b}`;

/** JavaScript: the planner's own dialect. */
export const JS_DIALECT: IntervalDialect = {
  decl: (i, lo, hi) => `const l${i} = ${lo}, h${i} = ${hi};`,
  helper: (name, args) => `rt.${name}(${args.join(', ')});`,
  hash: (args) => `rt.ivHash([${args.join(', ')}]);`,
  inputRange: (name, axis, lo, hi) => `${name}.${axis}.range(${lo}, ${hi});`,
  scratch: ['rt.R[0]', 'rt.R[1]'],
  floorDivPos: (a, c) => `Math.floor(${a} / ${c})`,
  minmax: (fn, args) => `Math.${fn}(${args.join(', ')})`,
  eq: '===',
  ite: cTernary,
  and: '&&',
  or: '||',
  wide: (v) => v,
};

/**
 * Recognises `v == c1 || v == c2 || ...` (what `v in {c1, c2, ...}` elaborates to) with int
 * constants `c`; returns `v` and the constants as sorted maximal runs `[a, b]` of consecutive
 * values.
 */
function setMembership(args: readonly MExpr[]): { value: MExpr; runs: [number, number][] } | undefined {
  if (args.length < 2) return undefined;
  const first = args[0];
  if (first.kind !== 'cmp') return undefined;
  const key = structId(first.a);
  const values: number[] = [];
  for (const a of args) {
    if (a.kind !== 'cmp' || a.op !== '==' || a.b.kind !== 'const' || typeof a.b.value !== 'number' || a.b.type !== 'int') return undefined;
    if (a.a !== first.a && structId(a.a) !== key) return undefined;
    values.push(a.b.value);
  }
  values.sort((p, q) => p - q);
  const runs: [number, number][] = [];
  for (const c of values) {
    const last = runs[runs.length - 1];
    if (last && c <= last[1] + 1) last[1] = Math.max(last[1], c);
    else runs.push([c, c]);
  }
  return { value: first.a, runs };
}

/**
 * Prints the interval evaluation of `e`. `given`, when it returns bounds for a node, replaces
 * that node's own bounds (the box classifier gives layout coordinates their box intervals:
 * `print-box.ts`); it must return sound bounds.
 */
export function printInterval(e: MExpr, dialect: IntervalDialect = JS_DIALECT, given?: (x: MExpr) => [string, string] | undefined): IntervalCode {
  const D = dialect;
  const lines: string[] = [];
  let n = 0;
  const fresh = (lo: string, hi: string): [string, string] => {
    const i = n++;
    lines.push(D.decl(i, lo, hi));
    return [`l${i}`, `h${i}`];
  };
  const fromR = () => fresh(D.scratch[0], D.scratch[1]);
  /** Bounds of `x`'s result from the exact bounds `lo`, `hi`: through `ivInt` where `x` can wrap. */
  const wrapped = (x: MExpr, lo: string, hi: string): [string, string] => {
    if (!mayWrap(x)) return fresh(lo, hi);
    lines.push(D.helper('ivInt', [lo, hi]));
    return fromR();
  };
  /** Operands of `x` in the form that computes its exact bounds where it can wrap. */
  const widen = (x: MExpr) => (v: string) => (mayWrap(x) ? D.wide(v) : v);
  const isLit = (s: string) => /^-?\d+$/.test(s);
  const lit = (s: string) => Number(s);

  const done = new Map<MExpr, [string, string]>();
  const go = (x: MExpr): [string, string] => {
    let r = done.get(x);
    if (!r) {
      r = given?.(x) ?? bound(x);
      done.set(x, r);
    }
    return r;
  };
  const bound = (x: MExpr): [string, string] => {
    switch (x.kind) {
      case 'const': {
        invariant(x.type !== 'float', 'float in a mask reached the planner');
        const v = typeof x.value === 'boolean' ? (x.value ? '1' : '0') : String(x.value);
        return [v, v];
      }
      case 'var':
        invariant(x.name === 'q' || x.name === 'k', `index variable ${x.name} left in a planner mask`);
        return x.name === 'q' ? ['q0', 'q1'] : ['k0', 'k1'];
      case 'size': case 'param': {
        const v = leafName(x);
        return [v, v];
      }
      case 'input': {
        // `prefix[b]` is a head slot by now; `doc[b, k]` reads row `b` at its offset, a slot too.
        invariant(x.index !== 'b', `input ${x.name}[b] left in a planner mask`);
        const [lo, hi] = x.index === 'q' ? ['q0', 'q1'] : ['k0', 'k1'];
        if (x.offset) {
          const [ol, oh] = go(x.offset);
          lines.push(D.inputRange(leafName(x), x.index, `${ol} + ${lo}`, `${oh} + ${hi}`));
        } else {
          lines.push(D.inputRange(leafName(x), x.index, lo, hi));
        }
        return fromR();
      }
      case 'neg': {
        const [l, h] = go(x.x).map(widen(x));
        return wrapped(x, `-${h}`, `-${l}`);
      }
      case 'not': {
        const [l, h] = go(x.x);
        return fresh(`1 - ${h}`, `1 - ${l}`);
      }
      case 'toFloat':
        return go(x.x);
      case 'arith': {
        invariant(x.type === 'int', 'float arithmetic in a planner mask');
        const [al, ah] = go(x.a).map(widen(x));
        const [bl, bh] = go(x.b).map(widen(x));
        switch (x.op) {
          case '+': return wrapped(x, `${al} + ${bl}`, `${ah} + ${bh}`);
          case '-': return wrapped(x, `${al} - ${bh}`, `${ah} - ${bl}`);
          case '*':
            if (bl === bh && isLit(bl)) return lit(bl) >= 0 ? wrapped(x, `${al} * ${bl}`, `${ah} * ${bl}`) : wrapped(x, `${ah} * ${bl}`, `${al} * ${bl}`);
            lines.push(D.helper('ivMul', [al, ah, bl, bh]));
            return fromR();
          case '/':
            if (bl === bh && isLit(bl) && lit(bl) > 0) return fresh(D.floorDivPos(al, bl), D.floorDivPos(ah, bl));
            lines.push(D.helper('ivDiv', [al, ah, bl, bh]));
            return fromR();
          case '%':
            lines.push(D.helper('ivMod', [al, ah, bl, bh]));
            return fromR();
        }
        return assertNever(x as never);
      }
      case 'pow':
        invariant(false, 'float power in a planner mask');
      case 'cmp': {
        const [al, ah] = go(x.a);
        const [bl, bh] = go(x.b);
        const b01 = (c: string) => D.ite(c, '1', '0');
        const b10 = (c: string) => D.ite(c, '0', '1');
        const same = () => [`${al} ${D.eq} ${ah}`, `${bl} ${D.eq} ${bh}`, `${al} ${D.eq} ${bl}`].join(` ${D.and} `);
        const apart = () => `${ah} < ${bl} ${D.or} ${bh} < ${al}`;
        switch (x.op) {
          case '<': return fresh(b01(`${ah} < ${bl}`), b01(`${al} < ${bh}`));
          case '<=': return fresh(b01(`${ah} <= ${bl}`), b01(`${al} <= ${bh}`));
          case '>': return fresh(b01(`${al} > ${bh}`), b01(`${ah} > ${bl}`));
          case '>=': return fresh(b01(`${al} >= ${bh}`), b01(`${ah} >= ${bl}`));
          case '==': return fresh(b01(same()), b10(apart()));
          case '!=': return fresh(b01(apart()), b10(same()));
        }
        return assertNever(x as never);
      }
      case 'and': case 'or': {
        const set = x.kind === 'or' ? setMembership(x.args) : undefined;
        if (set) {
          // `v in {c1, c2, ...}`: bound `v` once and test its range against the set's maximal
          // runs of consecutive values (exact for the range, one test per run).
          const [vl, vh] = go(set.value);
          const within = set.runs.map(([a, b]) => `(${vl} >= ${a} ${D.and} ${vh} <= ${b})`).join(` ${D.or} `);
          const meets = set.runs.map(([a, b]) => `(${vh} >= ${a} ${D.and} ${vl} <= ${b})`).join(` ${D.or} `);
          return fresh(D.ite(within, '1', '0'), D.ite(meets, '1', '0'));
        }
        const parts = x.args.map(go);
        const f = x.kind === 'and' ? 'min' : 'max';
        return fresh(D.minmax(f, parts.map((p) => p[0])), D.minmax(f, parts.map((p) => p[1])));
      }
      case 'call': {
        const parts = x.args.map(go);
        switch (x.fn) {
          case 'abs': {
            const [l, h] = parts[0].map(widen(x));
            return wrapped(x, D.ite(`${l} >= 0`, l, D.ite(`${h} <= 0`, `-${h}`, '0')), D.minmax('max', [`-${l}`, h]));
          }
          case 'min': case 'max':
            return fresh(D.minmax(x.fn, parts.map((p) => p[0])), D.minmax(x.fn, parts.map((p) => p[1])));
          case 'select': {
            const [[cl, ch], [al, ah], [bl, bh]] = parts;
            return fresh(D.ite(`${cl} ${D.eq} 1`, al, D.ite(`${ch} ${D.eq} 0`, bl, D.minmax('min', [al, bl]))), D.ite(`${cl} ${D.eq} 1`, ah, D.ite(`${ch} ${D.eq} 0`, bh, D.minmax('max', [ah, bh]))));
          }
          case 'hash':
            lines.push(D.hash(parts.flatMap(([l, h]) => [l, h])));
            return fromR();
          case 'exp': case 'log': case 'tanh': case 'sqrt':
            invariant(false, `float function ${x.fn} in a planner mask`);
        }
        return assertNever(x as never);
      }
    }
    return assertNever(x);
  };
  const [lo, hi] = go(e);
  return { lines, lo, hi };
}
