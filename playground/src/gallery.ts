/** The pattern library's captions. */

/** The first sentence of a source's first `///` doc comment (a period or colon outside brackets, not "al."). */
export function summaryOf(text: string): string {
  const lines = text.split('\n').filter((l) => l.startsWith('///')).map((l) => l.slice(3).trim());
  const para = lines.slice(0, lines.indexOf('') < 0 ? lines.length : lines.indexOf('')).join(' ');
  let depth = 0;
  for (let i = 0; i < para.length; i++) {
    const c = para[i];
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if ((c === '.' || c === ':') && depth === 0 && (i + 1 === para.length || para[i + 1] === ' ') && !para.slice(0, i).endsWith(' al')) return para.slice(0, c === ':' ? i : i + 1);
  }
  return para;
}
