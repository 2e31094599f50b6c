/**
 * The fuzzer in CI (issue 16, section 6): generated programs that check clean must bind,
 * plan, compile for every target and produce files that parse in their languages (and
 * TypeScript that type-checks for a strict consumer); multi-file programs must report what
 * their hostile imports must, and otherwise check as the same program in one file; an
 * internal error, a program over the time limit or a worker over the memory limit fails.
 * Two seeds: a fixed one, and one that changes every day (or ATTNC_FUZZ_SEED), printed in
 * the test name and in every failure, so a failure reproduces with
 * `npx tsx scripts/fuzz.ts --seed SEED --only INDEX`. ATTNC_FUZZ_RUNS sets the programs per
 * seed. The regression tests of what it found are in `regressions.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { formatFailure, fuzz, summarize } from './driver.ts';

const FIXED_SEED = 16_06;
/** The UTC day number: every day's CI run fuzzes new programs, reproducibly for that day. */
const ROTATING_SEED = process.env.ATTNC_FUZZ_SEED !== undefined ? Number(process.env.ATTNC_FUZZ_SEED) : Math.floor(Date.now() / 86_400_000);
const RUNS = Number(process.env.ATTNC_FUZZ_RUNS ?? 40);

describe('fuzzer', () => {
  for (const [what, seed] of [['fixed', FIXED_SEED], ['rotating', ROTATING_SEED]] as const) {
    it(`${what} seed ${seed}: ${RUNS} programs check, plan, compile for every target and parse`, async () => {
      const r = await fuzz({ seed, runs: RUNS, timeoutMs: 10_000, memoryMb: 1536 });
      const failures = r.failures.map(formatFailure).join('\n\n');
      expect(failures, `fuzz seed ${seed} (reproduce: npx tsx scripts/fuzz.ts --seed ${seed} --runs ${RUNS})\n${summarize(r)}`).toBe('');
      expect(r.programs).toBe(RUNS);
      // The generator writes mostly valid programs, so the later phases get exercised.
      expect(r.checkedClean).toBeGreaterThanOrEqual(RUNS * 0.6);
      expect(r.plans).toBeGreaterThan(0);
      expect(r.emitted).toBeGreaterThan(0);
      expect(r.multiFile).toBeGreaterThan(0);
      expect(r.typeChecked).toBe(r.parsed.typescript);
      for (const lang of ['typescript', 'python', 'c/c++', 'wgsl']) if (!r.skipped[lang]) expect(r.parsed[lang], lang).toBeGreaterThan(0);
    }, 150_000);
  }
});
