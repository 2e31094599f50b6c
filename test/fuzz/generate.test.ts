/**
 * The generator's multi-file programs (generate.ts) and how they are written (files.ts):
 * every kind of hostile import occurs, and a program written to disk has its files, links
 * and folders where its imports say.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource, readFromDisk } from '../../compiler/pipeline.ts';
import { writeProgramFiles } from './files.ts';
import { HOSTILE, samplePrograms } from './generate.ts';

const programs = samplePrograms(16_06, 600);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('multi-file programs', () => {
  it('about two programs in five import files, with every kind of hostile import', () => {
    const multi = programs.filter((p) => p.files);
    expect(multi.length).toBeGreaterThan(programs.length * 0.3);
    expect(multi.length).toBeLessThan(programs.length * 0.5);
    expect(new Set(multi.map((p) => p.hostile).filter(Boolean))).toEqual(new Set(HOSTILE));
    // The one-file twin exists exactly when the imports all load.
    for (const p of multi) {
      const loads = p.expectCodes === undefined || p.expectCodes.length === 0 || p.expectCodes[0] === 'duplicate_definition';
      const flatOk = loads && !(p.importRoot && (p.hostile === 'escape' || p.hostile === 'link_escape'));
      expect(p.flat !== undefined, `${p.hostile}`).toBe(flatOk);
    }
  });

  it('a written program of each kind reports exactly the import codes it expects', () => {
    for (const kind of HOSTILE) {
      const p = programs.find((x) => x.hostile === kind && !/chain/.test(Object.keys(x.files ?? {}).join()))
        ?? programs.find((x) => x.hostile === kind)!;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-fuzzgen-'));
      dirs.push(dir);
      const entry = writeProgramFiles(p, dir);
      expect(fs.readFileSync(entry, 'utf8')).toBe(p.text);
      for (const l of Object.keys(p.links ?? {})) expect(fs.lstatSync(path.join(path.dirname(entry), l)).isSymbolicLink()).toBe(true);
      const diags = new Diagnostics();
      checkSource({ name: entry, text: p.text }, diags, readFromDisk, p.importRoot ? { importRoots: [path.dirname(entry)] } : {});
      const importCodes = new Set(diags.items.map((d) => d.code).filter((c) => /import|not_a_regular_file/.test(c)));
      const expected = new Set((p.expectCodes ?? []).filter((c) => c !== 'duplicate_definition'));
      expect(importCodes, kind).toEqual(expected);
      if (kind === 'collide_fn' || kind === 'collide_pattern') expect(diags.items.map((d) => d.code), kind).toContain('duplicate_definition');
    }
  });
});
