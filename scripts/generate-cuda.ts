/**
 * Writes the CUDA target of every bundled pattern (default parameters) to
 * `generated/cuda/<pattern>/`, and the printed part of the CUDA runtime (RUNTIME_PRINTED). Deterministic; `test/cuda/generated.test.ts` regenerates
 * into a temporary folder and fails on any difference. Run: `npx tsx scripts/generate-cuda.ts [outDir]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bindParams } from '../compiler/2-check/bind.ts';
import { lowerPattern } from '../compiler/3-lower/lower.ts';
import { emitCuda } from '../compiler/4-emit/cuda/emit-cuda.ts';
import { cudaSelect } from '../compiler/4-emit/cuda/select-cuda.ts';
import { wgmmaHeader } from '../compiler/4-emit/cuda/wgmma.ts';
import { intOpsCpp } from '../compiler/4-emit/int-ops.ts';
import { Diagnostics } from '../compiler/diagnostics/diagnostic.ts';
import { checkSource } from '../compiler/pipeline.ts';
import { writeFileAtomic } from '../runtime/io/files.ts';

/** Generates into `outDir`; returns the files written (relative paths). */
export function generateCuda(outDir: string): string[] {
  const written: string[] = [];
  for (const f of fs.readdirSync('patterns').filter((x) => x.endsWith('.attn')).sort()) {
    const name = `patterns/${f}`;
    const diags = new Diagnostics();
    const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags);
    if (!prog) throw new Error(`${name} does not check`);
    for (const pat of prog.patterns) {
      const bound = bindParams(pat, {}, diags);
      if (!bound) throw new Error(`${name}: ${pat.name} needs parameters`);
      for (const [file, text] of Object.entries(emitCuda(bound, lowerPattern(bound), name, cudaSelect(bound)))) {
        const rel = path.join(pat.name, file);
        writeFileAtomic(path.join(outDir, rel), text);
        written.push(rel);
      }
    }
  }
  return written;
}

/** The printed part of the hand-written CUDA runtime, by path. */
export const RUNTIME_PRINTED: Readonly<Record<string, () => string>> = {
  'runtime/cuda/attnc/wgmma_ops.cuh': wgmmaHeader,
  'runtime/cuda/attnc/int_ops.h': intOpsCpp,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'generated/cuda';
  const files = generateCuda(out);
  process.stdout.write(`wrote ${files.length} files to ${out}\n`);
  if (!process.argv[2]) for (const [f, text] of Object.entries(RUNTIME_PRINTED)) writeFileAtomic(f, text());
}
