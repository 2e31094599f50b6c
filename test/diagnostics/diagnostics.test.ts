/**
 * One test per folder in `samples/`: `input.attn` (plus `params.json` to bind parameters
 * as the CLI would) must produce exactly the diagnostics in `expected.json` (code, severity,
 * line, column, span length). `UPDATE_GOLDEN=1` rewrites the expectations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { DIAGNOSTIC_CODES } from '../../compiler/diagnostics/codes.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostic } from '../../compiler/diagnostics/render.ts';
import { checkSource } from '../../compiler/pipeline.ts';

const root = 'test/diagnostics/samples';
const cases = fs.readdirSync(root).sort();

function run(dir: string) {
  const file = path.join(root, dir, 'input.attn');
  const diags = new Diagnostics();
  const prog = checkSource({ name: file, text: fs.readFileSync(file, 'utf8') }, diags);
  const paramsFile = path.join(root, dir, 'params.json');
  if (prog && fs.existsSync(paramsFile)) {
    const params = JSON.parse(fs.readFileSync(paramsFile, 'utf8')) as Record<string, string>;
    bindParams(prog.patterns[0], params, diags);
  }
  return diags.sorted();
}

describe('diagnostic samples', () => {
  for (const dir of cases) {
    it(dir, () => {
      const got = run(dir).map((d) => ({
        code: d.code,
        severity: d.severity,
        ...(d.span ? { file: path.basename(d.span.file.name), line: d.span.line, col: d.span.col, length: d.span.end - d.span.start } : {}),
      }));
      const expectedFile = path.join(root, dir, 'expected.json');
      if (process.env.UPDATE_GOLDEN || !fs.existsSync(expectedFile)) fs.writeFileSync(expectedFile, `${JSON.stringify(got, null, 2)}\n`);
      expect(got).toEqual(JSON.parse(fs.readFileSync(expectedFile, 'utf8')));
      // The folder is named after the code it demonstrates.
      const code = Object.keys(DIAGNOSTIC_CODES).filter((c) => dir.startsWith(c)).sort((a, b) => b.length - a.length)[0];
      expect(code, `folder ${dir} names no diagnostic code`).toBeDefined();
      expect(got.map((g) => g.code)).toContain(code);
    });
  }

  it('renders every sample diagnostic rustc-style, without stack traces', () => {
    for (const dir of cases) {
      for (const d of run(dir)) {
        const text = renderDiagnostic(d);
        expect(text.startsWith(`${d.severity}[${d.code}]: `)).toBe(true);
        if (d.span) {
          expect(text).toContain(`--> ${d.span.file.name}:${d.span.line}:${d.span.col}`);
          expect(text).toMatch(/\n\s*\|\s*\^+/);
        }
        expect(text).not.toMatch(/\bat .*\.ts:\d+/);
      }
    }
  });

  it('has a sample for every code that a source file can trigger', () => {
    const cliOnly = new Set(['file_not_found', 'unknown_pattern', 'fully_masked_rows', 'unproven_tiles', 'bad_size', 'bad_tile_shape', 'bad_input', 'no_webgpu', 'file_too_large', 'cannot_write', 'output_conflict', 'dynamic_unsupported']);
    for (const code of Object.keys(DIAGNOSTIC_CODES)) {
      if (cliOnly.has(code)) continue;
      expect(cases.some((c) => c.startsWith(code)), `no sample for ${code}`).toBe(true);
    }
  });
});

describe('docs/diagnostics.md', () => {
  it('documents every code', () => {
    const doc = fs.readFileSync('docs/diagnostics.md', 'utf8');
    for (const code of Object.keys(DIAGNOSTIC_CODES)) expect(doc, code).toContain(`\`${code}\``);
  });
});
