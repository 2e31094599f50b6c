/**
 * Prints mask IR as a JavaScript expression that evaluates one point (q, k). Integer
 * semantics follow `ir/semantics.ts`: floor division and modulo through `rt.fdiv`/`rt.fmod`
 * unless the divisor is a positive constant (then `Math.floor` inline); `+ - *`, unary `-`
 * and `abs` wrap at 32 bits (`| 0`, `Math.imul`) where their result can leave the int range
 * (`ir/int-range.ts`), and are plain JavaScript arithmetic where it cannot. A shared node
 * (`sharedNodes`) becomes a local `const t_<i> = ...;` printed once (`printPointLets`).
 */
import { assertNever } from '../../diagnostics/diagnostic.ts';
import { mayWrap } from '../../ir/int-range.ts';
import { fmtFloat, printShared, type MExpr } from '../../ir/mask.ts';
import { leafName } from './names.ts';

/**
 * JS statements and expressions for `roots` at a point: `lets` (`const t_<i> = ...;`, the
 * shared nodes) go before the code that uses `exprs`.
 */
export function printPointLets(roots: readonly MExpr[]): { lets: string[]; exprs: string[] } {
  const { lets, exprs } = printShared(roots, printPoint);
  return { lets: lets.map((l) => `const ${l.name} = ${l.text};`), exprs };
}

/** JS source for `e` at a point, with the nodes in `names` written as those names. Inputs are read as `in_<name>.data[q]`. */
export function printPoint(e: MExpr, names: ReadonlyMap<MExpr, string> = new Map()): string {
  const named = names.get(e);
  if (named !== undefined) return named;
  const printPoint = (x: MExpr) => printPointIn(x, names);
  switch (e.kind) {
    case 'const':
      if (typeof e.value === 'boolean') return String(e.value);
      return e.type === 'float' ? fmtFloat(e.value) : e.value < 0 ? `(${e.value})` : String(e.value);
    case 'var': return e.name;
    case 'size': case 'param': return leafName(e);
    case 'input': return `${leafName(e)}.data[${e.offset ? `${printPoint(e.offset)} + ${e.index}` : e.index}]`;
    case 'neg': return mayWrap(e) ? `(-${printPoint(e.x)} | 0)` : `(-${printPoint(e.x)})`;
    case 'not': return `(!${printPoint(e.x)})`;
    case 'toFloat': return printPoint(e.x);
    case 'arith': {
      const a = printPoint(e.a), b = printPoint(e.b);
      const posConst = e.b.kind === 'const' && (e.b.value as number) > 0;
      if (e.type === 'int' && e.op === '/') return posConst ? `Math.floor(${a} / ${b})` : `rt.fdiv(${a}, ${b})`;
      if (e.type === 'int' && e.op === '%') return `rt.fmod(${a}, ${b})`;
      if (e.type === 'float' && e.op === '%') return `(${a} - ${b} * Math.floor(${a} / ${b}))`;
      if (mayWrap(e)) return e.op === '*' ? `Math.imul(${a}, ${b})` : `((${a} ${e.op} ${b}) | 0)`;
      return `(${a} ${e.op} ${b})`;
    }
    case 'pow': return `Math.pow(${printPoint(e.a)}, ${printPoint(e.b)})`;
    case 'cmp': {
      const a = printPoint(e.a), b = printPoint(e.b);
      // [Note: no type arguments] TypeScript reads `x < (y > z) ...` as a call with type
      // arguments, so `a < b` and `a <= b` whose right side contains `>` print as `b > a`
      // and `b >= a`; operands are pure, so the order does not matter.
      if ((e.op === '<' || e.op === '<=') && b.includes('>')) return `(${b} ${e.op === '<' ? '>' : '>='} ${a})`;
      if (e.op === '==' || e.op === '!=') {
        // [Note: no narrowing] TypeScript gives a compared name a literal type (in `x !== 64 ||
        // x === -1` the second `x` has type 64) and a select of constants a union of literals;
        // comparing either with a literal it cannot equal is error TS2367. Operands other than
        // numeric literals are compared as `+x` / `+(...)`: plain numbers, the same value.
        const num = (s: string) => (/^\(?-?\d[\d.e+-]*\)?$/.test(s) ? s : /^[A-Za-z_$][\w$]*$/.test(s) ? `+${s}` : `+(${s})`);
        return `(${num(a)} ${e.op === '==' ? '===' : '!=='} ${num(b)})`;
      }
      return `(${a} ${e.op} ${b})`;
    }
    case 'and': return `(${e.args.map((a) => printPoint(a)).join(' && ')})`;
    case 'or': return `(${e.args.map((a) => printPoint(a)).join(' || ')})`;
    case 'call': {
      const args = e.args.map((a) => printPoint(a));
      switch (e.fn) {
        case 'select': return `(${args[0]} ? ${args[1]} : ${args[2]})`;
        case 'hash': return `rt.hash(${args.join(', ')})`;
        case 'abs': return mayWrap(e) ? `(Math.abs(${args[0]}) | 0)` : `Math.abs(${args[0]})`;
        case 'min': case 'max': case 'exp': case 'log': case 'tanh': case 'sqrt':
          return `Math.${e.fn}(${args.join(', ')})`;
      }
      return assertNever(e.fn);
    }
  }
  return assertNever(e);
}

const printPointIn = (e: MExpr, names: ReadonlyMap<MExpr, string>) => printPoint(e, names);
