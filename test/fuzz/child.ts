/**
 * The fuzzer's worker process (started by `driver.ts` with `node --import tsx`, so that a
 * hang or a memory blow-up can be stopped from outside): receives programs over IPC, runs
 * each through the pipeline as `attnc schedule` and `attnc compile` do, writes the emitted
 * files under the program's folder and answers with what happened.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bindParams, checkRuntimeValues, resolveParamValues, setOwn, withRuntimeDefaults } from '../../compiler/2-check/bind.ts';
import { Diagnostics, UserError } from '../../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../../compiler/diagnostics/render.ts';
import { TARGETS } from '../../compiler/4-emit/targets.ts';
import { checkSource, lowerToPlanner, readFromDisk } from '../../compiler/pipeline.ts';
import type { CheckedProgram } from '../../compiler/ir/program.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { boxShapes, matchingKvShape } from '../../runtime/schedule/box.ts';
import type { TileRequest } from '../../runtime/schedule/types.ts';
import { PlanError } from '../../runtime/schedule/types.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { compareWithOracle } from '../helpers/dense-check.ts';
import { writeProgramFiles } from './files.ts';
import type { FuzzProgram, InputFill } from './generate.ts';
import { FUZZ_SIZES, type ChildRequest, type ProgramResult } from './protocol.ts';

/** Deterministic input array contents. */
export function fillInput(n: number, fill: InputFill, seed: number): Int32Array {
  const a = new Int32Array(n);
  let s = (seed * 2654435761 + 1) >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  let id = 0;
  for (let i = 0; i < n; i++) {
    const r = next();
    if (fill === 'docs') {
      if (r % 17 === 0) id++;
      a[i] = id;
    } else if (fill === 'small') a[i] = r % 5;
    else if (fill === 'negative') a[i] = -(r % 7) - 1;
    else if (fill === 'large') a[i] = r % 2 ? 2147483647 - (r % 3) : -2147483648 + (r % 3);
    else a[i] = 0;
  }
  return a;
}

const isUserError = (e: unknown) => e instanceof UserError || e instanceof PlanError;

const codesOf = (d: Diagnostics) => [...new Set(d.items.map((x) => x.code))].sort();

async function runProgram(id: number, prog: FuzzProgram, outDir: string, oracle: boolean): Promise<ProgramResult> {
  const res: ProgramResult = { id, clean: false, codes: [], patterns: 0, bound: 0, plans: 0, planUserErrors: 0, emitted: 0, files: [], oracle: [], expect: [] };
  let phase = 'check';
  try {
    const dir = path.join(outDir, String(id));
    fs.mkdirSync(dir, { recursive: true });
    const diags = new Diagnostics();
    let checked: CheckedProgram | undefined;
    let sourceName = 'fuzz.attn';
    if (prog.files) {
      // A multi-file program: loaded from disk, as `attnc check root/main.attn [--import-root root]`.
      phase = 'write files';
      const entry = writeProgramFiles(prog, dir);
      phase = 'check';
      sourceName = 'main.attn';
      checked = checkSource({ name: entry, text: prog.text }, diags, readFromDisk, prog.importRoot ? { importRoots: [path.dirname(entry)] } : {});
    } else if (prog.entryPath !== undefined) {
      sourceName = path.basename(prog.entryPath);
      checked = checkSource({ name: prog.entryPath, text: prog.text }, diags, readFromDisk);
    } else checked = checkSource({ name: sourceName, text: prog.text }, diags, () => undefined);
    renderDiagnostics(diags.sorted(), diags.dropped);
    res.codes = [...new Set(diags.items.map((d) => d.code))];
    for (const c of prog.expectCodes ?? []) if (!res.codes.includes(c)) res.expect.push(`expected \`${c}\`, got: ${res.codes.join(', ') || 'no diagnostics'}`);
    if (prog.expectCodes?.length === 0 && res.codes.some((c) => /import|not_a_regular_file|file_too_large/.test(c))) res.expect.push(`expected the imports to load, got: ${res.codes.join(', ')}`);
    // The same program in one file must check the same, and plan its patterns the same.
    let flat: CheckedProgram | undefined;
    if (prog.flat !== undefined) {
      phase = 'check flat';
      const fdiags = new Diagnostics();
      flat = checkSource({ name: 'flat.attn', text: prog.flat }, fdiags, () => undefined);
      renderDiagnostics(fdiags.sorted(), fdiags.dropped);
      const a = codesOf(diags).join(', ');
      const b = codesOf(fdiags).join(', ');
      // With a name defined twice, which definition later uses see depends on the order the
      // files are read in, which the one-file version does not keep: no comparison when both report it.
      const dup = codesOf(diags).includes('duplicate_definition');
      if (a !== b && !(dup && codesOf(fdiags).includes('duplicate_definition'))) res.expect.push(`with imports the program reports [${a}], in one file [${b}]`);
      phase = 'check';
    }
    if (!checked || diags.hasErrors) return res;
    res.clean = true;
    for (const pattern of checked.patterns) {
      res.patterns++;
      const values = Object.hasOwn(prog.values, pattern.name) ? prog.values[pattern.name] : { params: {}, inputs: {} };
      phase = `bind ${pattern.name}`;
      const bdiags = new Diagnostics();
      const bound = bindParams(pattern, values.params, bdiags);
      const runtime = resolveParamValues(pattern, values.params, bdiags, ['runtime']);
      if (bound) checkRuntimeValues(bound, runtime, bdiags);
      renderDiagnostics(bdiags.sorted(), bdiags.dropped);
      for (const d of bdiags.items) if (!res.codes.includes(d.code)) res.codes.push(d.code);
      if (!bound) continue;
      res.bound++;
      phase = `lower ${pattern.name}`;
      const lowered = lowerToPlanner(bound);
      const twin = flat?.patterns.find((p) => p.name === pattern.name);
      if (flat && !twin) res.expect.push(`pattern \`${pattern.name}\` is missing from the one-file program`);
      if (twin) {
        phase = `bind ${pattern.name} (one file)`;
        const fb = bindParams(twin, values.params, new Diagnostics());
        if (!fb) res.expect.push(`pattern \`${pattern.name}\` binds with imports, not in one file`);
        else if (lowerToPlanner(fb).plannerSource !== lowered.plannerSource) res.expect.push(`pattern \`${pattern.name}\` plans differently with imports than in one file`);
      }
      if (!bdiags.hasErrors) {
        for (const z of FUZZ_SIZES) {
          phase = `plan ${pattern.name} at ${JSON.stringify(z)}`;
          const inputs: Record<string, Int32Array> = {};
          for (const p of bound.inputs) {
            // Filled as the program says, or (a given program) with document ids.
            const v = Object.hasOwn(values.inputs, p.name) ? values.inputs[p.name] : { fill: 'docs' as const, seed: 0 };
            // Flat: per token, per batch element (int[batch]) or batch rows of tokens (int[batch, len]).
            const n = p.length === 'q_len' ? z.qLen : p.length === 'batch' ? z.batch : z.kvLen;
            setOwn(inputs, p.name, fillInput(p.batched ? z.batch * n : n, v.fill, v.seed));
          }
          // A layout pattern is planned in box tiles too: the automatic choice and one forced box.
          const axes = lowered.planner.layout?.axes.length ?? 0;
          const shapes = axes >= 2 ? boxShapes(axes, z.blockQ) : [];
          const forced = shapes.length ? shapes[(id + z.qLen) % shapes.length] : undefined;
          const requests: TileRequest[] = ['strip', ...(forced ? ['auto' as const, { q: forced, kv: matchingKvShape(forced, z.blockQ, z.blockKv) }] : [])];
          for (const tiles of requests) {
            phase = `plan ${pattern.name} at ${JSON.stringify(z)} tiles ${JSON.stringify(tiles)}`;
            try {
              const schedule = planSchedule(lowered.planner, { ...z, params: runtime, inputs, tiles });
              verifySchedule(schedule);
              res.plans++;
              if (oracle) {
                phase = `oracle ${pattern.name} at ${JSON.stringify(z)}`;
                const errs = compareWithOracle(bound, schedule, { sizes: z, params: withRuntimeDefaults(bound, runtime), inputs }, schedule.batch);
                if (errs.length) res.oracle.push(`${pattern.name} at ${JSON.stringify(z)} tiles ${JSON.stringify(tiles)}: ${errs.slice(0, 3).join('; ')}`);
              }
            } catch (e) {
              if (!(e instanceof PlanError)) throw e;
              res.planUserErrors++;
              if (!res.codes.includes(`plan:${e.code}`)) res.codes.push(`plan:${e.code}`);
            }
          }
        }
      }
      for (const t of Object.keys(TARGETS)) {
        phase = `emit ${t} ${pattern.name}`;
        for (const f of await TARGETS[t].emit({ bound, lowered, sourceName, runtimeImport: 'attnc/webgpu' })) {
          fs.writeFileSync(path.join(dir, f.name), f.contents);
          res.files.push({ pattern: pattern.name, target: t, name: f.name });
        }
      }
      res.emitted++;
    }
  } catch (e) {
    if (!isUserError(e)) res.internal = { phase, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined };
  }
  return res;
}

process.on('message', (m: ChildRequest) => {
  void (async () => {
    const t0 = performance.now();
    const result = await runProgram(m.id, m.program, m.outDir, m.oracle);
    result.ms = performance.now() - t0;
    result.rssMb = process.memoryUsage().rss / 2 ** 20;
    process.send!(result);
  })();
});
// Warm up before saying ready: the first program's check, plan and emit load and compile
// much of the compiler (seconds on a busy machine), which is not the program's time.
{
  const warm = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-fuzz-warm-'));
  try {
    await runProgram(-1, { text: 'pattern warm(runtime w: int = 4, input d: int[kv_len]) {\n  causal\n  allow q - k < w || d[q] == d[k]\n  bias = float(k - q)\n}\n', values: {} }, warm, true);
  } finally {
    fs.rmSync(warm, { recursive: true, force: true });
  }
}
process.send!({ ready: true });
