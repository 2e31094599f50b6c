/** Reading source files named on the command line, and the options about reading them. */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import type { SourceFile } from '../diagnostics/span.ts';
import type { LoadOptions } from '../2-check/load.ts';
import { setOwn } from '../2-check/bind.ts';
import { FileReadError, MAX_SOURCE_BYTES, readStdinBounded, readTextBounded } from '../../runtime/io/files.ts';

let stdinText: string | undefined;

/**
 * Reads a source file (`-`: standard input), a regular file of at most `MAX_SOURCE_BYTES`,
 * or reports why not (`file_not_found`, `not_a_regular_file`, `file_too_large`).
 */
export function readSource(name: string, diags: Diagnostics): SourceFile | undefined {
  try {
    // `-` is standard input, read once (its imports resolve from the working directory).
    if (name === '-') return { name: '<stdin>', text: (stdinText ??= readStdinBounded(MAX_SOURCE_BYTES)) };
    return { name, text: readTextBounded(name, MAX_SOURCE_BYTES) };
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    diags.report(e.code, name === '-' ? `standard input ${e.reason}` : `\`${name}\` ${e.reason}`);
    return undefined;
  }
}

/** Options of every command that reads sources. */
export interface SourceOptions {
  importRoot?: string[];
}

/** Adds `--import-root DIR` (repeatable) to a command. */
export function addSourceOptions(cmd: Command): Command {
  return cmd.option('--import-root <dir>', 'allow imports only from files inside this folder, after following links (repeatable; for sources you do not trust)', (v: string, prev: string[] = []) => [...prev, v]);
}

/** The loader options from `--import-root`; a root that is not a folder is `bad_param_value`. */
export function loadOptions(o: SourceOptions, diags: Diagnostics): LoadOptions {
  if (!o.importRoot) return {};
  for (const r of o.importRoot) {
    let dir = false;
    try { dir = fs.statSync(r).isDirectory(); } catch { /* reported below */ }
    if (!dir) diags.report('bad_param_value', `--import-root \`${r}\` is not a folder`);
  }
  return { importRoots: o.importRoot };
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
export function parseParamArgs(raw: Record<string, string>, diags: Diagnostics, option = '--param', form = 'name=value'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith('\u0000')) diags.report('bad_param_value', `${option} expects ${form}, got \`${v}\``);
    else setOwn(out, k, v);
  }
  return out;
}
