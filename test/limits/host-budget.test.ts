/**
 * The refinement budget per head group (`GROUP_REFINE_BUDGET`) is the same in the C++ host
 * planner (runtime/cuda/attnc/planner.h): a hash mask that exhausts it lists the same tiles
 * in both. Compiled host-only with g++, as test/cuda/host-planner.test.ts does.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { buildHost, inputArgs, problemText, readProblem } from '../../bench/cuda/host.ts';
import { check } from './helpers.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

describe.skipIf(!haveGpp)('host planner budget', () => {
  it('a hash mask past the group budget plans the same tiles in C++ and TypeScript', async () => {
    const { prog, diags } = check('pattern budget_hash() {\n  allow hash(q, k) % 1000003 == 0\n}\n');
    const bp = bindParams(prog!.patterns[0], {}, diags)!;
    const n = bp.pattern.name;
    const main = `using namespace attnc_${n};
static void row(const char* name, const std::vector<int>& v) { printf("%s", name); for (int x : v) printf(" %d", x); printf("\\n"); }
int main() {
  ${readProblem(bp)}
  const attnc::HostPlan h = attnc::planHost<Pattern>(&a, ctas${inputArgs(bp)});
  row("rowPtr", h.rowPtr); row("idx", h.idx); row("fullRowPtr", h.fullRowPtr); row("fullIdx", h.fullIdx);
}
`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-budget-'));
    const exe = await buildHost(bp, dir, main, '-O2');
    const shape = { qLen: 8192, kvLen: 8192, heads: 1, batch: 1, blockKv: 128, ctas: 4 };
    const out = execFileSync(exe, { input: problemText(bp, shape, {}, {}), encoding: 'utf8', maxBuffer: 1 << 26 });
    const rows = Object.fromEntries(out.trim().split('\n').map((l) => { const [t, ...r] = l.split(' '); return [t, r.map(Number)]; }));
    const s = planSchedule(lowerToPlanner(bp).planner, { qLen: shape.qLen, kvLen: shape.kvLen, heads: 1, batch: 1, blockQ: 128, blockKv: 128 });
    const g = s.groups[0];
    // The budget is exhausted: some tiles stay PARTIAL without refinement.
    expect(s.stats.unprovenPartialTiles).toBeGreaterThan(0);
    expect(rows.rowPtr).toEqual([...g.kvRowPtr]);
    expect(rows.idx).toEqual([...g.kvIndices]);
    expect(rows.fullRowPtr).toEqual([...g.fullKvRowPtr]);
    expect(rows.fullIdx ?? []).toEqual([...g.fullKvIndices]);
  }, 120_000);
});
