/**
 * The chevrotain grammar of `.attn`. One reused `CstParser` instance; rules build a concrete
 * syntax tree that `to-ast.ts` turns into the AST. Error recovery is on, so one run reports
 * every syntax error; error messages are phrased by `messages.ts`.
 *
 * Precedence, loosest first: `||`, `&&`, comparison chains and `in`, `+ -`, `* / %`,
 * unary `- !`, `**` (right-associative), postfix `.axis` and `[index]`.
 */
import { CstParser, type CstNode } from 'chevrotain';
import * as T from './lexer.ts';
import { errorMessages } from './messages.ts';

class AttnParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: 'full', errorMessageProvider: errorMessages, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  file = this.RULE('file', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.fnDecl) },
        { ALT: () => this.SUBRULE(this.patternDecl) },
      ]);
    });
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Kw.import);
    this.CONSUME(T.StringLit);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  fnDecl = this.RULE('fnDecl', () => {
    this.CONSUME(T.Kw.fn);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION3(() => {
      this.SUBRULE(this.fnParam);
      // Comma-separated, with an optional trailing comma.
      this.MANY({ GATE: () => this.LA(2).tokenType !== T.RParen, DEF: () => { this.CONSUME(T.Comma); this.SUBRULE2(this.fnParam); } });
      this.OPTION4(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.type);
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
    this.OPTION2(() => this.CONSUME(T.Semicolon));
  });

  fnParam = this.RULE('fnParam', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.type);
  });

  type = this.RULE('type', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Kw.int);
          this.OPTION(() => {
            this.CONSUME(T.LBracket);
            this.CONSUME(T.Identifier);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.CONSUME2(T.Identifier);
            });
            this.CONSUME(T.RBracket);
          });
        },
      },
      {
        // `float` or a float array (`float[batch, heads, q_blocks, kv_blocks]`, a select score).
        ALT: () => {
          this.CONSUME(T.Kw.float);
          this.OPTION2(() => {
            this.CONSUME2(T.LBracket);
            this.CONSUME3(T.Identifier);
            this.MANY2(() => {
              this.CONSUME2(T.Comma);
              this.CONSUME4(T.Identifier);
            });
            this.CONSUME2(T.RBracket);
          });
        },
      },
      { ALT: () => this.CONSUME(T.Kw.bool) },
    ]);
  });

  patternDecl = this.RULE('patternDecl', () => {
    this.CONSUME(T.Kw.pattern);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.paramDecl);
      // Comma-separated, with an optional trailing comma.
      this.MANY({ GATE: () => this.LA(2).tokenType !== T.RParen, DEF: () => { this.CONSUME(T.Comma); this.SUBRULE2(this.paramDecl); } });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    // A name starts a statement only as the contextual word `select`.
    this.MANY2({ GATE: () => this.LA(1).tokenType !== T.Identifier || this.LA(1).image === 'select', DEF: () => this.SUBRULE(this.stmt) });
    this.CONSUME(T.RBrace);
  });

  paramDecl = this.RULE('paramDecl', () => {
    this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Kw.runtime) }, { ALT: () => this.CONSUME(T.Kw.input) }]));
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.type);
    this.OPTION2(() => {
      this.CONSUME(T.Kw.in);
      this.SUBRULE(this.addExpr, { LABEL: 'rangeLo' });
      this.CONSUME(T.Range);
      this.OPTION3(() => this.SUBRULE2(this.addExpr, { LABEL: 'rangeHi' }));
    });
    this.OPTION4(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expr, { LABEL: 'default' });
    });
  });

  stmt = this.RULE('stmt', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Kw.causal) },
      { ALT: () => this.SUBRULE(this.clauseStmt) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.layoutStmt) },
      { ALT: () => this.SUBRULE(this.scoreStmt) },
      { ALT: () => this.SUBRULE(this.assertStmt) },
      // `select` is a contextual word (it is also the built-in `select(c, a, b)`).
      { GATE: () => this.LA(1).image === 'select', ALT: () => this.SUBRULE(this.selectStmt) },
    ]);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  clauseStmt = this.RULE('clauseStmt', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Kw.allow) },
      { ALT: () => this.CONSUME(T.Kw.require) },
      { ALT: () => this.CONSUME(T.Kw.deny) },
    ]);
    this.SUBRULE(this.expr);
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(T.Kw.let);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  });

  layoutStmt = this.RULE('layoutStmt', () => {
    this.CONSUME(T.Kw.layout);
    this.CONSUME(T.Kw.grid);
    this.CONSUME(T.LParen);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        this.CONSUME(T.Identifier);
        this.CONSUME(T.Colon);
        this.SUBRULE(this.addExpr);
      },
    });
    this.CONSUME(T.RParen);
  });

  scoreStmt = this.RULE('scoreStmt', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Kw.bias) }, { ALT: () => this.CONSUME(T.Kw.softcap) }]);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  });

  assertStmt = this.RULE('assertStmt', () => {
    this.CONSUME(T.Kw.assert);
    this.SUBRULE(this.expr);
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.CONSUME(T.StringLit);
    });
  });

  /**
   * `select top(K) blocks(B) by SCORE [per kv_head]`, or `blocks(BQ, BK)`. The words `select
   * top blocks by per kv_head` are identifiers here (names such as `block` or `top` stay
   * usable elsewhere); the checker verifies them (`syntax_error`) and the score's form.
   */
  selectStmt = this.RULE('selectStmt', () => {
    this.CONSUME(T.Identifier, { LABEL: 'word' });
    this.CONSUME2(T.Identifier, { LABEL: 'word' });
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expr, { LABEL: 'count' });
    this.CONSUME(T.RParen);
    this.CONSUME3(T.Identifier, { LABEL: 'word' });
    this.CONSUME2(T.LParen);
    this.SUBRULE2(this.expr, { LABEL: 'blockSize' });
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE3(this.expr, { LABEL: 'blockSize' });
    });
    this.CONSUME2(T.RParen);
    this.CONSUME4(T.Identifier, { LABEL: 'word' });
    this.SUBRULE4(this.expr, { LABEL: 'score' });
    this.OPTION2({
      GATE: () => this.LA(1).image === 'per',
      DEF: () => {
        this.CONSUME5(T.Identifier, { LABEL: 'word' });
        this.CONSUME6(T.Identifier, { LABEL: 'word' });
      },
    });
  });

  expr = this.RULE('expr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.OrOr);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.cmpExpr);
    this.MANY(() => {
      this.CONSUME(T.AndAnd);
      this.SUBRULE2(this.cmpExpr);
    });
  });

  cmpExpr = this.RULE('cmpExpr', () => {
    this.SUBRULE(this.addExpr);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () =>
            this.AT_LEAST_ONE(() => {
              this.OR2([
                { ALT: () => this.CONSUME(T.Less) },
                { ALT: () => this.CONSUME(T.LessEq) },
                { ALT: () => this.CONSUME(T.Greater) },
                { ALT: () => this.CONSUME(T.GreaterEq) },
                { ALT: () => this.CONSUME(T.EqEq) },
                { ALT: () => this.CONSUME(T.NotEq) },
              ]);
              this.SUBRULE2(this.addExpr);
            }),
        },
        {
          ALT: () => {
            this.CONSUME(T.Kw.in);
            this.OR3([
              {
                ALT: () => {
                  this.CONSUME(T.LBrace);
                  this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expr, { LABEL: 'setItem' }) });
                  this.CONSUME(T.RBrace);
                },
              },
              {
                ALT: () => {
                  this.SUBRULE3(this.addExpr, { LABEL: 'rangeLo' });
                  this.CONSUME(T.Range);
                  this.SUBRULE4(this.addExpr, { LABEL: 'rangeHi' });
                },
              },
            ]);
          },
        },
      ]);
    });
  });

  addExpr = this.RULE('addExpr', () => {
    this.SUBRULE(this.mulExpr);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.mulExpr);
    });
  });

  mulExpr = this.RULE('mulExpr', () => {
    this.SUBRULE(this.unaryExpr);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.Slash) },
        { ALT: () => this.CONSUME(T.Percent) },
      ]);
      this.SUBRULE2(this.unaryExpr);
    });
  });

  unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Bang) }]);
          this.SUBRULE(this.unaryExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.powExpr) },
    ]);
  });

  powExpr = this.RULE('powExpr', () => {
    this.SUBRULE(this.postfixExpr);
    this.OPTION(() => {
      this.CONSUME(T.StarStar);
      this.SUBRULE(this.unaryExpr);
    });
  });

  postfixExpr = this.RULE('postfixExpr', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME(T.Identifier);
          },
        },
        { ALT: () => this.SUBRULE(this.indexSuffix) },
      ]);
    });
  });

  /** `[i]` or `[i, j]` (a per-batch array read as `doc[b, k]`). */
  indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(T.LBracket);
    this.SUBRULE(this.expr);
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.expr);
    });
    this.CONSUME(T.RBracket);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.IntLit) },
      { ALT: () => this.CONSUME(T.FloatLit) },
      { ALT: () => this.CONSUME(T.Kw.true) },
      { ALT: () => this.CONSUME(T.Kw.false) },
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION(() => {
            this.CONSUME(T.LParen);
            this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expr, { LABEL: 'arg' }) });
            this.CONSUME(T.RParen);
          });
        },
      },
      {
        // `float(x)`: the type keyword doubles as the int-to-float conversion.
        ALT: () => {
          this.CONSUME(T.Kw.float);
          this.CONSUME3(T.LParen);
          this.SUBRULE3(this.expr, { LABEL: 'floatArg' });
          this.CONSUME3(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.LParen);
          this.SUBRULE2(this.expr, { LABEL: 'paren' });
          this.CONSUME2(T.RParen);
        },
      },
    ]);
  });
}

/** The shared parser instance. Set `.input` then call `.file()`. */
let parser: AttnParser | undefined;

/** The parser, built on first use (its grammar analysis is most of the CLI's start-up otherwise). */
export const attnParser = (): AttnParser => (parser ??= new AttnParser());

/** Concrete syntax tree of a whole file. */
export type FileCst = CstNode;
