/** Reading source files named on the command line. */
import * as fs from 'node:fs';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import type { SourceFile } from '../diagnostics/span.ts';
import { readFromDisk } from '../pipeline.ts';
import { setOwn } from '../2-check/bind.ts';

let stdinText: string | undefined;
function readStdin(): string | undefined {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads a source file (`-`: standard input) or reports `file_not_found`. */
export function readSource(name: string, diags: Diagnostics): SourceFile | undefined {
  if (name === '-') {
    // `-` is standard input, read once (its imports resolve from the working directory).
    stdinText ??= readStdin();
    if (stdinText !== undefined) return { name: '<stdin>', text: stdinText };
    diags.report('file_not_found', 'cannot read standard input');
    return undefined;
  }
  const text = readFromDisk(name);
  if (text === undefined) {
    diags.report('file_not_found', `cannot read \`${name}\``);
    return undefined;
  }
  return { name, text };
}

/** Reads a source file or throws `UserError`. */
export function requireSource(name: string, diags: Diagnostics): SourceFile {
  const f = readSource(name, diags);
  if (!f) throw new UserError(diags);
  return f;
}

/** Collects repeated `--param name=value` options. */
export function collectParam(value: string, prev: Record<string, string>): Record<string, string> {
  const i = value.indexOf('=');
  const out = { ...prev };
  // Own properties, so that a name like `__proto__` is kept (and reported if unknown).
  if (i <= 0) setOwn(out, `\u0000${value}`, value); // reported as malformed by parseParamArgs
  else setOwn(out, value.slice(0, i).trim(), value.slice(i + 1));
  return out;
}

/** Splits collected params into good ones, reporting malformed `--param` values. */
export function parseParamArgs(raw: Record<string, string>, diags: Diagnostics): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith('\u0000')) diags.report('bad_param_value', `--param expects name=value, got \`${v}\``);
    else setOwn(out, k, v);
  }
  return out;
}
