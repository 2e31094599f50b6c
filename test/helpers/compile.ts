/** Test helpers: check sources from strings or files without touching the CLI. */
import * as fs from 'node:fs';
import { bindParams, type BoundPattern } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource, readFromDisk } from '../../compiler/pipeline.ts';
import type { CheckedPattern } from '../../compiler/ir/program.ts';

/** Checks `text` as file `name`; returns the program (or undefined) and the diagnostics. */
export function checkText(text: string, name = 'test.attn') {
  const diags = new Diagnostics();
  const prog = checkSource({ name, text }, diags, (n) => (n === name ? text : readFromDisk(n)));
  return { prog, diags };
}

/** Checks a file on disk. */
export function checkFile(path: string) {
  const diags = new Diagnostics();
  const prog = checkSource({ name: path, text: fs.readFileSync(path, 'utf8') }, diags);
  return { prog, diags };
}

/** Checks `text` and binds its one pattern (or `name`) with `params`; throws on any error. */
export function bindText(text: string, params: Record<string, string | number | boolean> = {}, name?: string): BoundPattern {
  const { prog, diags } = checkText(text);
  if (!prog) throw new Error(`check failed: ${diags.items.map((d) => d.message).join('; ')}`);
  const p: CheckedPattern | undefined = name ? prog.patterns.find((x) => x.name === name) : prog.patterns[0];
  if (!p) throw new Error(`no pattern ${name}`);
  const bound = bindParams(p, params, diags);
  if (!bound) throw new Error(`bind failed: ${diags.items.map((d) => d.message).join('; ')}`);
  return bound;
}
