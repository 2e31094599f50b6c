/**
 * Renders diagnostics like rustc:
 *
 *     error[unknown_name]: unknown name `windw`
 *      --> patterns/x.attn:3:13
 *       |
 *     3 |   allow q - windw < k
 *       |             ^^^^^
 */
import type { Diagnostic } from './diagnostic.ts';

/** Renders one diagnostic as plain text (no colour; stable for golden tests). */
export function renderDiagnostic(d: Diagnostic): string {
  const head = `${d.severity}[${d.code}]: ${d.message}`;
  const lines = [head];
  if (d.span) {
    const { file, line, col, start, end } = d.span;
    const text = file.text;
    const lineStart = start - (col - 1);
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const src = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    const gutter = String(line).length;
    const pad = ' '.repeat(gutter);
    const caretLen = Math.max(1, Math.min(end, lineEnd) - start);
    lines.push(`${pad}--> ${file.name}:${line}:${col}`);
    lines.push(`${pad} |`);
    lines.push(`${line} | ${src}`);
    lines.push(`${pad} | ${' '.repeat(col - 1)}${'^'.repeat(caretLen)}`);
  }
  for (const n of d.notes ?? []) lines.push(`  = note: ${n}`);
  return lines.join('\n');
}

/** Renders a list of diagnostics separated by blank lines, plus a summary line. */
export function renderDiagnostics(ds: readonly Diagnostic[]): string {
  if (ds.length === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error').length;
  const warnings = ds.length - errors;
  const parts = ds.map(renderDiagnostic);
  const summary: string[] = [];
  if (errors) summary.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (warnings) summary.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${parts.join('\n\n')}\n\n${summary.join(', ')}`;
}
