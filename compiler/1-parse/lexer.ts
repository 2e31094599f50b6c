/**
 * Tokens of the `.attn` language. Keywords use `longer_alt: Identifier` so that `input_len`
 * is an identifier, not `input` followed by `_len`. `///` doc comments go to their own token
 * group: the parser never sees them, and `parse.ts` attaches them to the next declaration.
 * A line ends at `\n`, `\r\n` or a lone `\r`: `//` and `///` comments stop at either
 * character. A string literal stops only at `\n`, so an assert message may hold a `\r`.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

function keyword(word: string): TokenType {
  return createToken({ name: `Kw_${word}`, pattern: new RegExp(word), longer_alt: Identifier, label: `\`${word}\`` });
}

export const Kw = {
  pattern: keyword('pattern'),
  fn: keyword('fn'),
  import: keyword('import'),
  let: keyword('let'),
  allow: keyword('allow'),
  require: keyword('require'),
  deny: keyword('deny'),
  causal: keyword('causal'),
  layout: keyword('layout'),
  grid: keyword('grid'),
  bias: keyword('bias'),
  softcap: keyword('softcap'),
  assert: keyword('assert'),
  runtime: keyword('runtime'),
  input: keyword('input'),
  in: keyword('in'),
  true: keyword('true'),
  false: keyword('false'),
  int: keyword('int'),
  float: keyword('float'),
  bool: keyword('bool'),
} as const;

const punct = (name: string, pattern: RegExp, text: string) => createToken({ name, pattern, label: `\`${text}\`` });

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });
export const DocComment = createToken({ name: 'DocComment', pattern: /\/\/\/[^\r\n]*/, group: 'docs' });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\r\n]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, line_breaks: true });
export const FloatLit = createToken({ name: 'FloatLit', pattern: /\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+/, label: 'a float literal' });
export const IntLit = createToken({ name: 'IntLit', pattern: /\d+(?:_\d+)*/, label: 'an integer literal' });
export const StringLit = createToken({ name: 'StringLit', pattern: /"[^"\n]*"/, label: 'a string' });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"[^"\n]*/, label: 'an unterminated string' });

export const Arrow = punct('Arrow', /->/, '->');
export const Range = punct('Range', /\.\./, '..');
export const Dot = punct('Dot', /\./, '.');
export const StarStar = punct('StarStar', /\*\*/, '**');
export const Star = punct('Star', /\*/, '*');
export const Slash = punct('Slash', /\//, '/');
export const Percent = punct('Percent', /%/, '%');
export const Plus = punct('Plus', /\+/, '+');
export const Minus = punct('Minus', /-/, '-');
export const LessEq = punct('LessEq', /<=/, '<=');
export const GreaterEq = punct('GreaterEq', />=/, '>=');
export const EqEq = punct('EqEq', /==/, '==');
export const NotEq = punct('NotEq', /!=/, '!=');
export const Less = punct('Less', /</, '<');
export const Greater = punct('Greater', />/, '>');
export const AndAnd = punct('AndAnd', /&&/, '&&');
export const OrOr = punct('OrOr', /\|\|/, '||');
export const Bang = punct('Bang', /!/, '!');
export const Equals = punct('Equals', /=/, '=');
export const LParen = punct('LParen', /\(/, '(');
export const RParen = punct('RParen', /\)/, ')');
export const LBrace = punct('LBrace', /\{/, '{');
export const RBrace = punct('RBrace', /\}/, '}');
export const LBracket = punct('LBracket', /\[/, '[');
export const RBracket = punct('RBracket', /\]/, ']');
export const Comma = punct('Comma', /,/, ',');
export const Colon = punct('Colon', /:/, ':');
export const Semicolon = punct('Semicolon', /;/, ';');

/** All tokens, in match order (longer and more specific patterns first). */
export const allTokens: TokenType[] = [
  WhiteSpace, DocComment, LineComment, BlockComment,
  FloatLit, IntLit, StringLit, UnterminatedString,
  // Longer keywords first, so `int` is not read as `in` + `t`.
  ...Object.values(Kw).sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  Arrow, Range, Dot, StarStar, Star, Slash, Percent, Plus, Minus,
  LessEq, GreaterEq, EqEq, NotEq, Less, Greater, AndAnd, OrOr, Bang, Equals,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Comma, Colon, Semicolon,
];

/** The one lexer instance (chevrotain lexers are reusable and stateless between calls). */
let lexer: Lexer | undefined;

/** The lexer, built on first use. */
export const attnLexer = (): Lexer => (lexer ??= new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false }));
