/**
 * Phrases chevrotain's syntax errors for people: `expected `)`, found `window``
 * rather than chevrotain's token-type dumps.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';

const RULE_WORDS: Record<string, string> = {
  file: 'a declaration (`pattern`, `fn` or `import`)',
  stmt: 'a statement (`allow`, `require`, `deny`, `causal`, `let`, `layout`, `bias`, `softcap`, `assert` or `select`)',
  type: 'a type (`int`, `float`, `bool` or `int[kv_len]`)',
  primary: 'an expression',
  unaryExpr: 'an expression',
  cmpExpr: 'a comparison',
};

/** How a token reads in a message. */
export function describeToken(tok: IToken): string {
  if (tok.tokenType.name === 'EOF') return 'end of file';
  return `\`${tok.image}\``;
}

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${label(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected a declaration (\`pattern\`, \`fn\` or \`import\`), found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    return `expected ${RULE_WORDS[ruleName] ?? 'something else'}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    return `expected ${RULE_WORDS[ruleName] ?? 'more input'}, found ${describeToken(actual[0])}`;
  },
};
