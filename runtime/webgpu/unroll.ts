/**
 * Loop unrolling for WGSL kernel bodies, applied when a body is specialised to a tile shape.
 *
 * A register tile only stays in registers when every index into it is a constant: GPU shader
 * compilers place a private array that is indexed by a loop counter in local memory (slow,
 * off-chip), and WGSL has no unroll attribute. So a body marks the loops over register-tile
 * dimensions with a comment, and the runtime, which knows the tile shape, writes each such
 * loop out once per iteration:
 *
 *     /*unroll*\/ for (var t = 0u; t < KC; t++) { BODY }
 *
 * becomes `{ let t = 0u; BODY } { let t = 1u; BODY } ...`, each copy in its own block, so
 * the counter is a constant and BODY needs no renaming. The bound is a literal or a name in
 * `bounds`. A marked loop may not assign its counter, `break` or `continue` (checked).
 */

const MARK = '/*unroll*/';
const HEAD = /^\/\*unroll\*\/\s*for\s*\(\s*var\s+(\w+)\s*=\s*0u\s*;\s*\1\s*<\s*(\w+)\s*;\s*\1\+\+\s*\)\s*\{/;

/** `source` with every marked loop unrolled; `bounds` gives the value of each named bound. */
export function unrollLoops(source: string, bounds: Readonly<Record<string, number>>): string {
  let out = source;
  // The last marker's loop holds no other marker, so unrolling from the end needs no nesting logic.
  for (let at = out.lastIndexOf(MARK); at >= 0; at = out.lastIndexOf(MARK)) {
    const head = HEAD.exec(out.slice(at));
    if (!head) throw new Error(`internal error (a bug in attnc): a marked loop is not of the form \`for (var i = 0u; i < N; i++) {\` at ${JSON.stringify(out.slice(at, at + 60))}`);
    const [text, counter, bound] = head;
    const n = /^\d+u?$/.test(bound) ? Number.parseInt(bound, 10) : bounds[bound];
    if (n === undefined || !Number.isInteger(n) || n < 0) throw new Error(`internal error (a bug in attnc): the unrolled loop bound \`${bound}\` has no value`);
    const open = at + text.length;
    let depth = 1;
    let close = open;
    for (; close < out.length && depth > 0; close++) {
      if (out[close] === '{') depth++;
      else if (out[close] === '}') depth--;
    }
    if (depth !== 0) throw new Error('internal error (a bug in attnc): a marked loop is not closed');
    const body = out.slice(open, close - 1);
    if (/\b(break|continue)\b/.test(body) || new RegExp(`\\b${counter}\\s*(\\+\\+|--|[-+*/]?=[^=])`).test(body)) {
      throw new Error(`internal error (a bug in attnc): the marked loop over \`${counter}\` breaks, continues or assigns its counter`);
    }
    const copies = Array.from({ length: n }, (_, i) => `{ let ${counter} = ${i}u;${body}}`).join(' ');
    out = out.slice(0, at) + copies + out.slice(close);
  }
  return out;
}
