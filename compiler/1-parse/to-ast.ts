/**
 * CST to AST. Runs only on a CST that parsed without errors, so every child the grammar
 * requires is present (a missing one is a compiler bug, hence `invariant`). Chevrotain's
 * `endOffset` is inclusive; `span()` converts to half-open once, here.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { invariant } from '../diagnostics/diagnostic.ts';
import { spanOf, type SourceFile, type Span } from '../diagnostics/span.ts';
import type * as A from '../ir/ast.ts';

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

/** Builds AST nodes for one file; `docFor` maps a declaration's start offset to its doc text. */
export class AstBuilder {
  constructor(
    private readonly file: SourceFile,
    private readonly docFor: (startOffset: number) => string,
  ) {}

  private span(e: CstElement): Span {
    if (isToken(e)) return spanOf(this.file, e.startOffset, (e.endOffset ?? e.startOffset) + 1);
    const loc = e.location;
    invariant(loc && !Number.isNaN(loc.startOffset), `CST node ${e.name} has no location`);
    return spanOf(this.file, loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }

  private nodes(c: Children, key: string): CstNode[] {
    return (c[key] ?? []) as CstNode[];
  }
  private toks(c: Children, key: string): IToken[] {
    return (c[key] ?? []) as IToken[];
  }
  private node(c: Children, key: string, i = 0): CstNode {
    const n = this.nodes(c, key)[i];
    invariant(n, `missing CST child ${key}[${i}]`);
    return n;
  }
  private tok(c: Children, key: string, i = 0): IToken {
    const t = this.toks(c, key)[i];
    invariant(t, `missing CST token ${key}[${i}]`);
    return t;
  }
  /** All tokens under the given keys, in source order. */
  private ordered(c: Children, keys: readonly string[]): IToken[] {
    return keys.flatMap((k) => this.toks(c, k)).sort((a, b) => a.startOffset - b.startOffset);
  }
  private name(t: IToken): A.Name {
    return { text: t.image, span: this.span(t) };
  }

  /** The whole file. */
  build(cst: CstNode): A.FileAst {
    const c = cst.children;
    return {
      kind: 'file',
      imports: this.nodes(c, 'importDecl').map((n) => this.importDecl(n)),
      fns: this.nodes(c, 'fnDecl').map((n) => this.fnDecl(n)),
      patterns: this.nodes(c, 'patternDecl').map((n) => this.patternDecl(n)),
      span: spanOf(this.file, 0, this.file.text.length),
    };
  }

  private importDecl(n: CstNode): A.ImportDecl {
    const s = this.tok(n.children, 'StringLit');
    return { kind: 'import', path: s.image.slice(1, -1), span: this.span(n) };
  }

  private fnDecl(n: CstNode): A.FnDecl {
    const c = n.children;
    const types = this.nodes(c, 'type');
    return {
      kind: 'fn',
      name: this.name(this.tok(c, 'Identifier')),
      params: this.nodes(c, 'fnParam').map((p) => ({
        name: this.name(this.tok(p.children, 'Identifier')),
        type: this.type(this.node(p.children, 'type')),
      })),
      returns: types[0] ? this.type(types[0]) : undefined,
      body: this.expr(this.node(c, 'expr')),
      doc: this.docFor(n.location!.startOffset),
      span: this.span(n),
    };
  }

  private type(n: CstNode): A.TypeAst {
    const c = n.children;
    const span = this.span(n);
    if (c.Kw_float) {
      const fdims = this.toks(c, 'Identifier');
      return fdims.length ? { kind: 'array', elem: 'float', dims: fdims.map((d) => this.name(d)), span } : { kind: 'scalar', name: 'float', span };
    }
    if (c.Kw_bool) return { kind: 'scalar', name: 'bool', span };
    const dims = this.toks(c, 'Identifier');
    if (!dims.length) return { kind: 'scalar', name: 'int', span };
    // The dimension names are validated by the checker (`bad_param_default` is wrong here:
    // an unknown length is an unknown name).
    return { kind: 'array', elem: 'int', dims: dims.map((d) => this.name(d)), span };
  }

  private patternDecl(n: CstNode): A.PatternDecl {
    const c = n.children;
    return {
      kind: 'pattern',
      name: this.name(this.tok(c, 'Identifier')),
      params: this.nodes(c, 'paramDecl').map((p) => this.paramDecl(p)),
      body: this.nodes(c, 'stmt').map((s) => this.stmt(s)),
      doc: this.docFor(n.location!.startOffset),
      span: this.span(n),
    };
  }

  private paramDecl(n: CstNode): A.ParamDecl {
    const c = n.children;
    const mode: A.ParamMode = c.Kw_runtime ? 'runtime' : c.Kw_input ? 'input' : 'const';
    const lo = this.nodes(c, 'rangeLo')[0];
    const hi = this.nodes(c, 'rangeHi')[0];
    const def = this.nodes(c, 'default')[0];
    const inTok = this.toks(c, 'Kw_in')[0];
    return {
      kind: 'param',
      mode,
      name: this.name(this.tok(c, 'Identifier')),
      type: this.type(this.node(c, 'type')),
      range: lo && inTok
        ? {
            lo: this.addExpr(lo),
            hi: hi ? this.addExpr(hi) : undefined,
            span: spanOf(this.file, inTok.startOffset, this.span(hi ?? this.tok(c, 'Range')).end),
          }
        : undefined,
      default: def ? this.expr(def) : undefined,
      doc: this.docFor(n.location!.startOffset),
      span: this.span(n),
    };
  }

  private stmt(n: CstNode): A.Stmt {
    const c = n.children;
    if (c.Kw_causal) return { kind: 'causal', span: this.span(this.tok(c, 'Kw_causal')) };
    const [key, sub] = Object.entries(c).find(([k]) => k !== 'Semicolon')!;
    const s = (sub as CstNode[])[0];
    const sc = s.children;
    const span = this.span(s);
    switch (key) {
      case 'clauseStmt': {
        const kind = sc.Kw_allow ? 'allow' : sc.Kw_require ? 'require' : 'deny';
        return { kind, cond: this.expr(this.node(sc, 'expr')), span };
      }
      case 'letStmt':
        return { kind: 'let', name: this.name(this.tok(sc, 'Identifier')), value: this.expr(this.node(sc, 'expr')), span };
      case 'layoutStmt': {
        const names = this.toks(sc, 'Identifier');
        const sizes = this.nodes(sc, 'addExpr');
        return { kind: 'layout', axes: names.map((t, i) => ({ name: this.name(t), size: this.addExpr(sizes[i]) })), span };
      }
      case 'scoreStmt':
        return { kind: sc.Kw_bias ? 'bias' : 'softcap', value: this.expr(this.node(sc, 'expr')), span };
      case 'assertStmt': {
        const msg = this.toks(sc, 'StringLit')[0];
        return { kind: 'assert', cond: this.expr(this.node(sc, 'expr')), message: msg?.image.slice(1, -1), span };
      }
      case 'selectStmt': {
        const sizes = this.nodes(sc, 'blockSize');
        return {
          kind: 'select',
          words: this.toks(sc, 'word').map((t) => this.name(t)),
          count: this.expr(this.node(sc, 'count')),
          blockQ: this.expr(sizes[0]),
          blockKv: sizes[1] ? this.expr(sizes[1]) : undefined,
          score: this.expr(this.node(sc, 'score')),
          span,
        };
      }
    }
    invariant(false, `unknown statement ${key}`);
  }

  /** `a || b || c`, left-associative. */
  expr(n: CstNode): A.Expr {
    const parts = this.nodes(n.children, 'andExpr').map((x) => this.andExpr(x));
    return parts.reduce((l, r) => ({ kind: 'binary', op: '||', left: l, right: r, span: spanOf(this.file, l.span.start, r.span.end) }));
  }

  private andExpr(n: CstNode): A.Expr {
    const parts = this.nodes(n.children, 'cmpExpr').map((x) => this.cmpExpr(x));
    return parts.reduce((l, r) => ({ kind: 'binary', op: '&&', left: l, right: r, span: spanOf(this.file, l.span.start, r.span.end) }));
  }

  private cmpExpr(n: CstNode): A.Expr {
    const c = n.children;
    const span = this.span(n);
    const operands = this.nodes(c, 'addExpr');
    const first = this.addExpr(operands[0]);
    if (c.Kw_in) {
      if (c.LBrace) return { kind: 'inSet', value: first, items: this.nodes(c, 'setItem').map((x) => this.expr(x)), span };
      return { kind: 'inRange', value: first, lo: this.addExpr(this.node(c, 'rangeLo')), hi: this.addExpr(this.node(c, 'rangeHi')), span };
    }
    if (operands.length === 1) return first;
    const ops = this.ordered(c, ['Less', 'LessEq', 'Greater', 'GreaterEq', 'EqEq', 'NotEq']).map((t) => t.image as A.CompareOp);
    return { kind: 'compare', operands: operands.map((o) => this.addExpr(o)), ops, span };
  }

  private binaryChain(n: CstNode, sub: string, opKeys: readonly string[], build: (x: CstNode) => A.Expr): A.Expr {
    const parts = this.nodes(n.children, sub).map(build);
    const ops = this.ordered(n.children, opKeys);
    let acc = parts[0];
    for (let i = 1; i < parts.length; i++) {
      const r = parts[i];
      acc = { kind: 'binary', op: ops[i - 1].image as A.BinaryOp, left: acc, right: r, span: spanOf(this.file, acc.span.start, r.span.end) };
    }
    return acc;
  }

  private addExpr(n: CstNode): A.Expr {
    return this.binaryChain(n, 'mulExpr', ['Plus', 'Minus'], (x) => this.mulExpr(x));
  }

  private mulExpr(n: CstNode): A.Expr {
    return this.binaryChain(n, 'unaryExpr', ['Star', 'Slash', 'Percent'], (x) => this.unaryExpr(x));
  }

  private unaryExpr(n: CstNode): A.Expr {
    const c = n.children;
    if (c.powExpr) return this.powExpr(this.node(c, 'powExpr'));
    const op = c.Minus ? '-' : '!';
    return { kind: 'unary', op, operand: this.unaryExpr(this.node(c, 'unaryExpr')), span: this.span(n) };
  }

  private powExpr(n: CstNode): A.Expr {
    const c = n.children;
    const base = this.postfixExpr(this.node(c, 'postfixExpr'));
    if (!c.StarStar) return base;
    const exp = this.unaryExpr(this.node(c, 'unaryExpr'));
    return { kind: 'binary', op: '**', left: base, right: exp, span: this.span(n) };
  }

  private postfixExpr(n: CstNode): A.Expr {
    const c = n.children;
    let acc = this.primary(this.node(c, 'primary'));
    // Dots/fields and brackets/indices interleave; walk them in source order.
    const fields = this.toks(c, 'Identifier');
    const steps = [
      ...this.toks(c, 'Dot').map((t, i) => ({ at: t.startOffset, field: fields[i] })),
      ...this.nodes(c, 'indexSuffix').map((s) => ({ at: this.tok(s.children, 'LBracket').startOffset, index: this.nodes(s.children, 'expr'), close: this.tok(s.children, 'RBracket') })),
    ].sort((a, b) => a.at - b.at);
    for (const s of steps) {
      if ('field' in s && s.field) {
        acc = { kind: 'member', object: acc, field: this.name(s.field), span: spanOf(this.file, acc.span.start, s.field.endOffset! + 1) };
      } else if ('index' in s && s.index?.length) {
        acc = { kind: 'index', array: acc, indices: s.index.map((x) => this.expr(x)), span: spanOf(this.file, acc.span.start, s.close.endOffset! + 1) };
      }
    }
    return acc;
  }

  private primary(n: CstNode): A.Expr {
    const c = n.children;
    const span = this.span(n);
    if (c.IntLit) return { kind: 'int', value: Number(this.tok(c, 'IntLit').image.replace(/_/g, '')), span };
    if (c.FloatLit) return { kind: 'float', value: Number(this.tok(c, 'FloatLit').image), span };
    if (c.Kw_true) return { kind: 'bool', value: true, span };
    if (c.Kw_false) return { kind: 'bool', value: false, span };
    if (c.paren) return this.expr(this.node(c, 'paren'));
    if (c.floatArg) {
      const kw = this.tok(c, 'Kw_float');
      return { kind: 'call', callee: { text: 'float', span: this.span(kw) }, args: [this.expr(this.node(c, 'floatArg'))], span };
    }
    const id = this.tok(c, 'Identifier');
    if (c.LParen) return { kind: 'call', callee: this.name(id), args: this.nodes(c, 'arg').map((a) => this.expr(a)), span };
    return { kind: 'name', name: id.image, span };
  }
}
