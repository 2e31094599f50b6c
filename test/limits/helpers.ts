/** Shared by the limit tests: run the CLI, check or plan a source in process, time a call. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource, lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import type { Schedule } from '../../runtime/schedule/types.ts';

export function attnc(...args: string[]): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

export function tmpFile(text: string | Uint8Array, name = 'x.attn'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-limits-'));
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

export function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

export function check(text: string) {
  const diags = new Diagnostics();
  const prog = checkSource({ name: 'x.attn', text }, diags, () => undefined);
  return { prog, diags, codes: diags.items.map((d) => d.code) };
}

export function plan(text: string, qLen: number, block = 128): Schedule {
  const { prog, diags } = check(text);
  if (!prog || diags.hasErrors) throw new Error(diags.items.map((d) => d.message).join('\n'));
  const bound = bindParams(prog.patterns[0], {}, diags);
  if (!bound) throw new Error('does not bind');
  const { planner } = lowerToPlanner(bound);
  return planSchedule(planner, { qLen, kvLen: qLen, heads: 1, blockQ: block, blockKv: block });
}
