/**
 * Regenerates `generated/`: the WGSL kernel and TypeScript binding of every pattern in
 * `patterns/*.attn`, and its FlexAttention module in `generated/flex/`, with default
 * parameters, through the same target table as `attnc compile`; and the printed Python
 * integer operations, `runtime/python/attnc/int_ops.py` (PRINTED_RUNTIME). Deterministic (no dates, no absolute paths), so the committed folder is
 * a golden: `test/wgsl/generated.test.ts` regenerates into a temporary folder and fails on
 * any difference. Run: `npx tsx scripts/generate.ts [outDir]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindParams } from '../compiler/2-check/bind.ts';
import { Diagnostics } from '../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../compiler/diagnostics/render.ts';
import { intOpsPython } from '../compiler/4-emit/int-ops.ts';
import { attnTextMateJson } from '../compiler/4-emit/editors/textmate.ts';
import { TARGETS } from '../compiler/4-emit/targets.ts';
import { checkSource, lowerToPlanner } from '../compiler/pipeline.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The targets generated for every bundled pattern, and the subfolder each writes to. */
const GENERATED_TARGETS = { wgsl: '', ts: '', flex: 'flex/' } as const;

/** Runtime files printed by the compiler, by path from the repository root. */
export const PRINTED_RUNTIME: Readonly<Record<string, () => string>> = {
  'runtime/python/attnc/int_ops.py': intOpsPython,
  'generated/editors/attn.tmLanguage.json': attnTextMateJson,
};

/** Emits every bundled pattern; returns file name -> contents (names relative to the out folder). */
export async function generateAll(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const sources = fs.readdirSync(path.join(root, 'patterns')).filter((f) => f.endsWith('.attn')).sort();
  for (const f of sources) {
    const sourceName = `patterns/${f}`;
    const diags = new Diagnostics();
    const prog = checkSource({ name: sourceName, text: fs.readFileSync(path.join(root, sourceName), 'utf8') }, diags, (n) => {
      try { return fs.readFileSync(path.join(root, n), 'utf8'); } catch { return undefined; }
    });
    if (!prog || diags.hasErrors) throw new Error(`${sourceName} does not check:\n${renderDiagnostics(diags.sorted())}`);
    for (const pattern of prog.patterns) {
      const bound = bindParams(pattern, {}, diags);
      if (!bound) throw new Error(`${sourceName}: ${pattern.name} does not bind with its defaults:\n${renderDiagnostics(diags.sorted())}`);
      const lowered = lowerToPlanner(bound);
      for (const [t, folder] of Object.entries(GENERATED_TARGETS)) {
        // A pattern with a `select` clause only for the targets that emit one (WGSL and TypeScript here; CUDA in generate-cuda.ts).
        if (pattern.select && !TARGETS[t].select?.(pattern.select)) continue;
        for (const out of await TARGETS[t].emit({ bound, lowered, sourceName, runtimeImport: '../runtime' })) {
          if (files.has(folder + out.name)) throw new Error(`two bundled patterns are both named ${pattern.name}`);
          files.set(folder + out.name, out.contents);
        }
      }
    }
  }
  return files;
}

/** The files of `dir` that this script owns: top-level `.ts` and `.wgsl`, and `flex/*.py` (other backends use other subfolders). */
export function ownedFiles(dir: string): string[] {
  const top = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && /\.(ts|wgsl)$/.test(e.name)).map((e) => e.name);
  const flex = fs.existsSync(path.join(dir, 'flex'))
    ? fs.readdirSync(path.join(dir, 'flex'), { withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.py')).map((e) => `flex/${e.name}`)
    : [];
  return [...top, ...flex].sort();
}

/** Writes the generated files into `dir`, removing stale ones it owns. */
export async function writeGenerated(dir: string): Promise<number> {
  const files = await generateAll();
  fs.mkdirSync(path.join(dir, 'flex'), { recursive: true });
  for (const old of ownedFiles(dir)) if (!files.has(old)) fs.rmSync(path.join(dir, old));
  for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), text);
  return files.size;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? path.join(root, 'generated');
  const n = await writeGenerated(dir);
  if (!process.argv[2]) {
    for (const [f, text] of Object.entries(PRINTED_RUNTIME)) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), text());
    }
  }
  process.stdout.write(`wrote ${n} files to ${path.relative(process.cwd(), dir) || '.'}\n`);
}
