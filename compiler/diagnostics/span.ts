/**
 * Source positions. Every user diagnostic points at a `Span`: a half-open range of
 * character offsets in one source file, with 1-based line and column of its start.
 */

/** A loaded source file. `name` is the path as the user gave it (never made absolute). */
export interface SourceFile {
  readonly name: string;
  readonly text: string;
}

/** Half-open offset range `[start, end)` in `file`, plus the 1-based start line/column. */
export interface Span {
  readonly file: SourceFile;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly col: number;
}

const LINE_STARTS = new WeakMap<object, { text: string; starts: number[] }>();

/** Offsets where each line of `text` starts, computed once per source file. */
function lineStarts(file: object, text: string): number[] {
  const hit = LINE_STARTS.get(file);
  if (hit && hit.text === text) return hit.starts;
  const starts = [0];
  // A line ends at `\n`, `\r\n` or a lone `\r` (as the lexer counts lines).
  const re = /\r\n?|\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[0].length);
  LINE_STARTS.set(file, { text, starts });
  return starts;
}

/** Line and column (both 1-based) of `offset` in `text` (binary search over line starts). */
export function lineCol(text: string, offset: number, file: object = { text }): { line: number; col: number } {
  const stop = Math.min(Math.max(offset, 0), text.length);
  const starts = lineStarts(file, text);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= stop) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: stop - starts[lo] + 1 };
}

/** Builds a span from a half-open offset range. */
export function spanOf(file: SourceFile, start: number, end: number): Span {
  const s = Math.max(0, Math.min(start, file.text.length));
  const e = Math.max(s, Math.min(end, file.text.length));
  const { line, col } = lineCol(file.text, s, file);
  return { file, start: s, end: e, line, col };
}

/** The smallest span covering both `a` and `b` (same file). */
export function joinSpans(a: Span, b: Span): Span {
  return spanOf(a.file, Math.min(a.start, b.start), Math.max(a.end, b.end));
}
