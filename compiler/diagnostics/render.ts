/**
 * Renders diagnostics like rustc:
 *
 *     error[unknown_name]: unknown name `windw`
 *      --> patterns/x.attn:3:13
 *       |
 *     3 |   allow q - windw < k
 *       |             ^^^^^
 */
import { MAX_DIAGNOSTICS_PER_FILE, type Diagnostic } from './diagnostic.ts';

/** Source lines longer than this are shown as a window of this many characters. */
const MAX_LINE_SHOWN = 160;
/** Characters of context shown before the span in a cut line. */
const CONTEXT_BEFORE = 40;

/** Renders one diagnostic as plain text (no colour; stable for golden tests). */
export function renderDiagnostic(d: Diagnostic): string {
  const head = `${d.severity}[${d.code}]: ${d.message}`;
  const lines = [head];
  if (d.span) {
    const { file, line, col, start, end } = d.span;
    const text = file.text;
    const lineStart = start - (col - 1);
    const lineBreak = /[\r\n]/g;
    lineBreak.lastIndex = lineStart;
    const lineEnd = lineBreak.exec(text)?.index ?? text.length;
    // Long lines are cut to a window around the span, so each diagnostic renders in bounded
    // size whatever the line length.
    const from = lineEnd - lineStart > MAX_LINE_SHOWN ? Math.max(lineStart, start - CONTEXT_BEFORE) : lineStart;
    const to = Math.min(lineEnd, from + MAX_LINE_SHOWN);
    const cut = from > lineStart ? '...' : '';
    const src = `${cut}${text.slice(from, to).replace(/\r$/, '')}${to < lineEnd ? '...' : ''}`;
    const gutter = String(line).length;
    const pad = ' '.repeat(gutter);
    const caretLen = Math.max(1, Math.min(end, to) - start);
    lines.push(`${pad}--> ${file.name}:${line}:${col}`);
    lines.push(`${pad} |`);
    lines.push(`${line} | ${src}`);
    lines.push(`${pad} | ${' '.repeat(cut.length + start - from)}${'^'.repeat(caretLen)}`);
  }
  for (const n of d.notes ?? []) lines.push(`  = note: ${n}`);
  return lines.join('\n');
}

/** Renders a list of diagnostics separated by blank lines, plus a summary line. */
export function renderDiagnostics(ds: readonly Diagnostic[], dropped: ReadonlyMap<string, number> = new Map()): string {
  if (ds.length === 0 && dropped.size === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error').length;
  const warnings = ds.length - errors;
  const parts = ds.map(renderDiagnostic);
  const summary: string[] = [];
  if (errors) summary.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (warnings) summary.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  for (const [file, n] of dropped) {
    parts.push(`note: too many diagnostics in ${file || "the command line"}; stopping: ${n} more not shown (at most ${MAX_DIAGNOSTICS_PER_FILE} errors and ${MAX_DIAGNOSTICS_PER_FILE} warnings are shown per file)`);
  }
  return `${parts.join('\n\n')}\n\n${summary.join(', ')}`;
}
