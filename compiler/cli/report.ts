/**
 * How the CLI ends: user errors print their diagnostics (exit 1), compiler bugs print a
 * short "please report" message (exit 2). No stack trace reaches a user unless
 * ATTNC_DEBUG is set.
 */
import { Diagnostics, InternalError, UserError } from '../diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../diagnostics/render.ts';
import { FileReadError, FileWriteError } from '../../runtime/io/files.ts';

/** Exit statuses. */
export const EXIT = { ok: 0, user: 1, internal: 2 } as const;

/** Prints diagnostics to stderr. */
export function printDiagnostics(diags: Diagnostics): void {
  const text = renderDiagnostics(diags.sorted(), diags.dropped);
  if (text) process.stderr.write(`${text}\n`);
}

/** Runs a command body, turning thrown errors into exit statuses. */
export async function guard(diags: Diagnostics, body: () => Promise<number> | number): Promise<number> {
  try {
    const code = await body();
    printDiagnostics(diags);
    return code;
  } catch (e) {
    // A file that cannot be read or written is the user's to fix, wherever it was found.
    if (e instanceof FileReadError) diags.report(e.code, `\`${e.file}\` ${e.reason}`);
    if (e instanceof FileWriteError) diags.report('cannot_write', `cannot write \`${e.file}\`: ${e.reason}`);
    printDiagnostics(diags);
    if (e instanceof UserError || e instanceof FileReadError || e instanceof FileWriteError) return EXIT.user;
    const msg = e instanceof InternalError ? e.message : `internal compiler error: ${(e as Error)?.message ?? String(e)}`;
    process.stderr.write(`${msg}\nThis is a bug in attnc, not in your pattern. Please report it with the input that caused it.\n`);
    if (process.env.ATTNC_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    return EXIT.internal;
  }
}
