/**
 * User diagnostics and the bag that collects them. Passes never throw for bad input: they
 * report into a `Diagnostics` bag and carry on, so that one run shows every error in a file
 * (Langium's `accept` callback). Compiler bugs are different: they go through `invariant`,
 * which throws an `InternalError` that the CLI reports with exit status 2.
 */
import { DIAGNOSTIC_CODES, type DiagnosticCode, type Severity } from './codes.ts';
import type { Span } from './span.ts';

/** One user-facing message with a stable code and a location (absent only for CLI input). */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span?: Span;
  /** Optional extra lines (`= note: ...`). */
  readonly notes?: readonly string[];
}

/**
 * At most this many errors, and this many warnings, are kept per source file (like rustc's
 * and clang's error limits); the rest are counted in `dropped` and summarised when rendered.
 */
export const MAX_DIAGNOSTICS_PER_FILE = 100;

/** Collects diagnostics from all passes of one compilation. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  /** Diagnostics not kept because their file reached `MAX_DIAGNOSTICS_PER_FILE`, by file name. */
  readonly dropped = new Map<string, number>();
  private readonly kept = new Map<string, number>();

  /** Reports `code` at `span`. Severity comes from the code table. */
  report(code: DiagnosticCode, message: string, span?: Span, notes?: readonly string[]): void {
    const severity = DIAGNOSTIC_CODES[code].severity;
    const file = span?.file.name ?? '';
    // The same finding reached twice (a value checked by two passes) is reported once.
    const id = `${code}\0${file}\0${span?.start ?? -1}\0${span?.end ?? -1}\0${message}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const key = `${severity}:${file}`;
    const n = this.kept.get(key) ?? 0;
    if (n >= MAX_DIAGNOSTICS_PER_FILE) {
      this.dropped.set(file, (this.dropped.get(file) ?? 0) + 1);
      return;
    }
    this.kept.set(key, n + 1);
    this.items.push({ code, severity, message, span, notes });
  }

  /** True when at least one error (not warning) has been reported. */
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Diagnostics in source order (file, then offset), stable for equal positions. */
  sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => {
      const fa = a.span?.file.name ?? '';
      const fb = b.span?.file.name ?? '';
      if (fa !== fb) return fa < fb ? -1 : 1;
      return (a.span?.start ?? -1) - (b.span?.start ?? -1);
    });
  }
}

/** Thrown for a broken compiler invariant: a bug in attnc, never a user mistake. */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal compiler error: ${message}`);
    this.name = 'InternalError';
  }
}

/** Asserts a compiler invariant; failing means attnc has a bug. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InternalError(message);
}

/** Exhaustiveness check for `switch (node.kind)`. */
export function assertNever(x: never): never {
  throw new InternalError(`unhandled case ${JSON.stringify((x as { kind?: unknown })?.kind ?? x)}`);
}

/**
 * Thrown by the pipeline's user-facing entry points when a phase has reported errors and the
 * next phase cannot run. Carries the bag so the CLI can render everything at once.
 */
export class UserError extends Error {
  constructor(readonly diagnostics: Diagnostics) {
    super(`${diagnostics.items.filter((d) => d.severity === 'error').length} error(s)`);
    this.name = 'UserError';
  }
}
