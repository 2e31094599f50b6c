/**
 * The compiler boundary never throws on bad input: random token soup and random mutations
 * of the bundled patterns produce diagnostics or a checked program, nothing else.
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../../compiler/diagnostics/render.ts';
import { checkSource } from '../../compiler/pipeline.ts';

const TOKENS = [
  'pattern', 'fn', 'import', 'let', 'allow', 'require', 'deny', 'causal', 'layout', 'grid', 'bias', 'softcap', 'assert',
  'runtime', 'input', 'in', 'true', 'false', 'int', 'float', 'bool', 'q', 'k', 'h', 'b', 'q_len', 'kv_len', 'heads',
  'w', 'x', 'doc', 'abs', 'min', 'max', 'clamp', 'select', 'hash', 'tanh', '0', '1', '7', '2.5', '"a.attn"', '"',
  '(', ')', '{', '}', '[', ']', ',', ':', '=', '->', '..', '.', '+', '-', '*', '**', '/', '%', '<', '<=', '>', '>=',
  '==', '!=', '&&', '||', '!', ';', '///', '//', '\n', '$', '@',
];

const patternFiles = fs.readdirSync('patterns').filter((f) => f.endsWith('.attn')).map((f) => `patterns/${f}`);
const sources = patternFiles.length ? patternFiles.map((f) => fs.readFileSync(f, 'utf8')) : ['pattern p(w: int = 4) {\n  causal\n  allow q - k < w\n}\n'];

/** Runs the front end as the CLI does; returns normally or fails the property. */
function frontEnd(text: string): void {
  const diags = new Diagnostics();
  const prog = checkSource({ name: 'fuzz.attn', text }, diags, () => undefined);
  if (prog) for (const p of prog.patterns) bindParams(p, {}, diags);
  renderDiagnostics(diags.sorted());
  if (!prog) expect(diags.hasErrors).toBe(true);
}

describe('front end never throws', () => {
  it('on random token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (toks) => {
        frontEnd(toks.join(' '));
      }),
      { numRuns: 400 },
    );
  });

  it('on token soup inside a pattern body', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), (toks) => {
        frontEnd(`pattern p(w: int = 4, input doc: int[kv_len]) {\n  ${toks.join(' ')}\n}\n`);
      }),
      { numRuns: 400 },
    );
  });

  it('on random mutations of the bundled patterns', () => {
    const mutation = fc.record({
      src: fc.nat({ max: sources.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 6 }), ins: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })) }), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(mutation, ({ src, edits }) => {
        let text = sources[src];
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.ins + text.slice(at + e.del);
        }
        frontEnd(text);
      }),
      { numRuns: 600 },
    );
  });
});
