/**
 * Golden `attnc schedule` text dumps: `input.attn` planned with `args.json` (the CLI's
 * options) must print exactly `expected.txt`, and diagnostics (warnings) `expected-diagnostics.txt`.
 * `UPDATE_GOLDEN=1` rewrites them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFromOptions, type PlanOptions } from '../../compiler/cli/plan-args.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../../compiler/diagnostics/render.ts';
import { scheduleToText } from '../../runtime/schedule/export.ts';

const root = 'test/schedule/samples';

function golden(file: string, got: string) {
  if (process.env.UPDATE_GOLDEN || !fs.existsSync(file)) fs.writeFileSync(file, got);
  expect(got).toBe(fs.readFileSync(file, 'utf8'));
}

describe('schedule golden dumps', () => {
  for (const dir of fs.readdirSync(root).sort()) {
    it(dir, () => {
      const args = JSON.parse(fs.readFileSync(path.join(root, dir, 'args.json'), 'utf8'));
      const opts: PlanOptions = { heads: '1', batch: '1', blockQ: '128', blockKv: '128', param: {}, input: {}, ...args };
      const diags = new Diagnostics();
      const { schedule } = planFromOptions(path.join(root, dir, 'input.attn'), opts, diags);
      golden(path.join(root, dir, 'expected.txt'), scheduleToText(schedule));
      golden(path.join(root, dir, 'expected-diagnostics.txt'), `${renderDiagnostics(diags.sorted())}\n`);
    });
  }
});
