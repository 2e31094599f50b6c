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

/** Line and column (both 1-based) of `offset` in `text`. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const stop = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < stop; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: stop - lineStart + 1 };
}

/** Builds a span from a half-open offset range. */
export function spanOf(file: SourceFile, start: number, end: number): Span {
  const s = Math.max(0, Math.min(start, file.text.length));
  const e = Math.max(s, Math.min(end, file.text.length));
  const { line, col } = lineCol(file.text, s);
  return { file, start: s, end: e, line, col };
}

/** The smallest span covering both `a` and `b` (same file). */
export function joinSpans(a: Span, b: Span): Span {
  return spanOf(a.file, Math.min(a.start, b.start), Math.max(a.end, b.end));
}
