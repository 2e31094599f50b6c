/**
 * Runs the fuzzer (test/fuzz/driver.ts): `npx tsx scripts/fuzz.ts [--runs N] [--seed S]
 * [--only I] [--timeout MS] [--memory MB] [--oracle] [--show-program I] [--file F.attn]`.
 * Prints the counts and a reproducer for every failure; exits 1 when anything failed.
 * Without `--seed` the seed is random (and printed). `--file` runs the same checks on one
 * program (default parameter values; its imports are read from disk).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fuzz, formatFailure, summarize } from '../test/fuzz/driver.ts';
import { samplePrograms } from '../test/fuzz/generate.ts';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, dflt?: number) => {
  const v = opt(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    process.stderr.write(`--${name} expects an integer, got \`${v}\`\n`);
    process.exit(1);
  }
  return n;
};

const seed = num('seed') ?? Math.floor(Math.random() * 2 ** 31);
const show = num('show-program');
if (show !== undefined) {
  const p = samplePrograms(seed, show + 1)[show];
  process.stdout.write(`${p.text}\n// values: ${JSON.stringify(p.values)}\n`);
  for (const [name, text] of Object.entries(p.files ?? {})) process.stdout.write(`// --- root/${name}\n${text}\n`);
  if (p.files) process.stdout.write(`// entry root/main.attn${p.importRoot ? ', --import-root root' : ''}${p.links ? `; links ${JSON.stringify(p.links)}` : ''}${p.dirs ? `; folders ${JSON.stringify(p.dirs)}` : ''}${p.expectCodes ? `; must report ${p.expectCodes.join(', ') || 'no import error'}` : ''}\n`);
  process.exit(0);
}
const file = opt('file');
const report = await fuzz({
  seed,
  programs: file === undefined ? undefined : [{ text: fs.readFileSync(file, 'utf8'), values: {}, entryPath: path.resolve(file) }],
  runs: num('runs', 200)!,
  only: num('only'),
  timeoutMs: num('timeout'),
  memoryMb: num('memory'),
  oracle: args.includes('--oracle'),
  log: (l) => process.stderr.write(`${l}\n`),
});
for (const f of report.failures) process.stdout.write(`\n${formatFailure(f)}\n`);
process.stdout.write(`\n${summarize(report)}\n`);
process.exit(report.failures.length ? 1 : 0);
