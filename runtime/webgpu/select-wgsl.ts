/**
 * The WGSL of data-dependent selection (`select` clauses), one module for every pattern: the
 * pattern-specific parts (which tiles the static part S = A && R and the restriction R hold,
 * which cells are candidates, C = R && !A) come as tables the host plans once per shape
 * (`select.ts`); the clause's count, block sizes and score kind are uniforms. Per call, five
 * dispatches, in order:
 *
 *   pool_q   mean of the queries of each selection query block, per (b, h, i, column)
 *   pool_k   mean, max or min of the keys of each key block, per (b, kvh, j, column)
 *   score    per (b, h, i, j): dot(mean q, mean|max k), bound(mean q, k) or the score input
 *   topk     per group (b, h; or b, kv head with per_kv) and query block i, one workgroup:
 *            the top-k candidates by (score, lower j first, NaN last), as cell bits
 *   merge    per (b, h, kernel query block): the merged tile states, listed in the row's slot
 *
 * All f32, sums in index order, no float atomics: the same inputs select the same cells. The
 * module needs no extension (f16 tensors are read as u32 words through unpack2x16float), so
 * every WebGPU device compiles it.
 *
 * Layouts (u32 words). work: qbar [b*h][nQ][d], ka and kb [b*kvh][nK][d] (ka: mean, max or
 * min; kb: max, for bound only), scores [b*h][nQ][nK] (f32 bits), keys [groups][nQ][nK].
 * plan: S and R group maps [b*h], S and R tile states (2 bits each, 16 to a word, per group
 * [nq][nkv]), candidate bits [b*h][nQ][words], and per row (b, h, kernel query block) its
 * slot's start and capacity: the tiles the row can list, at most R's non-EMPTY ones and S's
 * plus those the selected cells overlap (`select.ts`), so the slots take the memory of the
 * sparse schedule, not of the dense grid. dyn (the attention kernel's `sched`): per row
 * [nFull, nPartial, slot, capacity], the slots (FULL key blocks ascending from the slot's
 * start, PARTIAL ones from its end: dyn[slot + capacity - 1 - p] is the p-th in ascending
 * order), cells [b*h][nQ][words] (bit j % 32 of word j / 32: cell (i, j) selected).
 */

/** Uniform fields of the selection shaders, in order (all u32). */
export const SELECT_UNIFORMS = [
  'batch', 'heads', 'kv_heads', 'q_len', 'kv_len', 'd', 'bq', 'bk',
  'nQ', 'nK', 'words', 'topk', 'kind', 'per_kv', 'half', 'p_rowslot',
  'w_qbar', 'w_ka', 'w_kb', 'w_scores', 'w_keys', 'p_sgroup', 'p_rgroup', 'p_stab',
  'p_rtab', 'p_cbits', 'd_cells', 'd_slots', 'nq', 'nkv', 'block_q', 'block_kv',
] as const;

/** Words per row of the merged schedule's header in `dyn`: nFull, nPartial, slot, capacity. */
export const ROW_WORDS = 4;

/** Score kinds (`kind`). */
export const SCORE_KIND = { mean: 0, max: 1, bound: 2, input: 3 } as const;

/** Entry points, in dispatch order. */
export const SELECT_ENTRY_POINTS = ['pool_q', 'pool_k', 'score', 'topk', 'merge'] as const;

/** Threads per workgroup of the one-thread-per-item passes; the top-k workgroup's size. */
export const SELECT_WG = 64;
export const TOPK_WG = 256;

export const SELECT_WGSL = `// attnc: data-dependent block selection (runtime/webgpu/select-wgsl.ts).
struct SelU {
${SELECT_UNIFORMS.map((n) => `  ${n}: u32,`).join('\n')}
}

@group(0) @binding(0) var<uniform> su: SelU;
@group(0) @binding(1) var<storage, read> qbuf: array<u32>;
@group(0) @binding(2) var<storage, read> kbuf: array<u32>;
@group(0) @binding(3) var<storage, read> plan: array<u32>;
@group(0) @binding(4) var<storage, read_write> work: array<u32>;
@group(0) @binding(5) var<storage, read_write> dyn: array<u32>;
@group(0) @binding(6) var<storage, read> gate: array<f32>;

const NAN_BITS: u32 = 0x7fc00000u;

var<workgroup> wcount: atomic<u32>;
var<workgroup> wbits: array<atomic<u32>, ${TOPK_WG / 32}>;
var<workgroup> wscan: array<u32, ${TOPK_WG}>;

// NaN is decided on the bits: implementations may assume floats are never NaN.
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn ld(half: bool, w: u32, i: u32) -> f32 {
  if (half) {
    let v = unpack2x16float(w);
    return select(v.x, v.y, (i & 1u) == 1u);
  }
  return bitcast<f32>(w);
}

fn ldq(i: u32) -> f32 {
  let half = su.half != 0u;
  return ld(half, qbuf[select(i, i >> 1u, half)], i);
}

fn ldk(i: u32) -> f32 {
  let half = su.half != 0u;
  return ld(half, kbuf[select(i, i >> 1u, half)], i);
}

// One thread per item: items are numbered across a 2-D grid of ${SELECT_WG}-thread workgroups.
fn item(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * ${SELECT_WG}u;
}

@compute @workgroup_size(${SELECT_WG})
fn pool_q(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item(gid, nwg);
  if (t >= su.batch * su.heads * su.nQ * su.d) { return; }
  let c = t % su.d;
  let row = t / su.d;
  let i = row % su.nQ;
  let bh = row / su.nQ;
  let r0 = i * su.bq;
  let r1 = min(r0 + min(su.bq, su.q_len), su.q_len);
  var s = 0.0f;
  for (var r = r0; r < r1; r++) {
    s += ldq((bh * su.q_len + r) * su.d + c);
  }
  work[su.w_qbar + t] = bitcast<u32>(s / f32(r1 - r0));
}

@compute @workgroup_size(${SELECT_WG})
fn pool_k(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item(gid, nwg);
  if (t >= su.batch * su.kv_heads * su.nK * su.d) { return; }
  let c = t % su.d;
  let row = t / su.d;
  let j = row % su.nK;
  let bkv = row / su.nK;
  let r0 = j * su.bk;
  let r1 = min(r0 + min(su.bk, su.kv_len), su.kv_len);
  var s = 0.0f;
  var hi = 0.0f;
  var lo = 0.0f;
  var nan = false;
  for (var r = r0; r < r1; r++) {
    let v = ldk((bkv * su.kv_len + r) * su.d + c);
    s += v;
    nan = nan || is_nan(v);
    hi = select(max(hi, v), v, r == r0);
    lo = select(min(lo, v), v, r == r0);
  }
  if (su.kind == ${SCORE_KIND.mean}u) {
    work[su.w_ka + t] = bitcast<u32>(s / f32(r1 - r0));
  } else if (su.kind == ${SCORE_KIND.max}u) {
    work[su.w_ka + t] = select(bitcast<u32>(hi), NAN_BITS, nan);
  } else {
    work[su.w_ka + t] = select(bitcast<u32>(lo), NAN_BITS, nan);
    work[su.w_kb + t] = select(bitcast<u32>(hi), NAN_BITS, nan);
  }
}

@compute @workgroup_size(${SELECT_WG})
fn score(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item(gid, nwg);
  if (t >= su.batch * su.heads * su.nQ * su.nK) { return; }
  if (su.kind == ${SCORE_KIND.input}u) {
    work[su.w_scores + t] = bitcast<u32>(gate[t]);
    return;
  }
  let j = t % su.nK;
  let row = t / su.nK;
  let i = row % su.nQ;
  let bh = row / su.nQ;
  let b = bh / su.heads;
  let kvh = (bh % su.heads) / (su.heads / su.kv_heads);
  let qo = su.w_qbar + (bh * su.nQ + i) * su.d;
  let ko = ((b * su.kv_heads + kvh) * su.nK + j) * su.d;
  var acc = 0.0f;
  var nan = false;
  for (var c = 0u; c < su.d; c++) {
    let x = bitcast<f32>(work[qo + c]);
    let a = x * bitcast<f32>(work[su.w_ka + ko + c]);
    if (su.kind == ${SCORE_KIND.bound}u) {
      let z = x * bitcast<f32>(work[su.w_kb + ko + c]);
      nan = nan || is_nan(a) || is_nan(z);
      acc += max(a, z);
    } else {
      nan = nan || is_nan(a);
      acc += a;
    }
  }
  work[su.w_scores + t] = select(bitcast<u32>(acc), NAN_BITS, nan);
}

// A score as a key that orders like the score: 0 is no candidate, 1 a NaN score (below every
// number), and a number maps to at least 0x007fffff (-inf).
fn order_key(s: f32) -> u32 {
  let u = bitcast<u32>(s);
  if (is_nan(s)) { return 1u; }
  return select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
}

// How many keys of the row at \`row\` are at least \`th\` (every thread of the workgroup calls it).
fn count_at_least(row: u32, th: u32, tid: u32) -> u32 {
  if (tid == 0u) { atomicStore(&wcount, 0u); }
  workgroupBarrier();
  var n = 0u;
  for (var j = tid; j < su.nK; j += ${TOPK_WG}u) {
    n += select(0u, 1u, work[row + j] >= th);
  }
  atomicAdd(&wcount, n);
  workgroupBarrier();
  let total = atomicLoad(&wcount);
  workgroupBarrier();
  return total;
}

// One workgroup per (query block i, group g). The k-th largest key th is found bit by bit
// (the largest th with at least k keys >= th); the cells with a key above th are selected,
// and of those equal to th the lowest j, as many as k leaves.
@compute @workgroup_size(${TOPK_WG})
fn topk(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let i = wg.x;
  let g = wg.y;
  let perKv = su.per_kv != 0u;
  let ratio = su.heads / su.kv_heads;
  let nh = select(1u, ratio, perKv);
  let b = select(g / su.heads, g / su.kv_heads, perKv);
  let h0 = select(g % su.heads, (g % su.kv_heads) * ratio, perKv);
  let keys = su.w_keys + (g * su.nQ + i) * su.nK;
  // Keys: the scores summed over the group's heads in head order; candidates united.
  for (var j = tid; j < su.nK; j += ${TOPK_WG}u) {
    var cand = false;
    var s = 0.0f;
    for (var x = 0u; x < nh; x++) {
      let bh = b * su.heads + h0 + x;
      let cw = plan[su.p_cbits + (bh * su.nQ + i) * su.words + j / 32u];
      cand = cand || ((cw >> (j % 32u)) & 1u) != 0u;
      let v = bitcast<f32>(work[su.w_scores + (bh * su.nQ + i) * su.nK + j]);
      s = select(s + v, v, x == 0u);
    }
    work[keys + j] = select(0u, order_key(s), cand);
  }
  // Each thread reads back only the keys it wrote.
  let candidates = count_at_least(keys, 1u, tid);
  var th = 0u;
  for (var bit = 0u; bit < 32u; bit++) {
    let trial = th | (0x80000000u >> bit);
    if (count_at_least(keys, trial, tid) >= su.topk) { th = trial; }
  }
  let above = count_at_least(keys, th + 1u, tid);
  let all = candidates <= su.topk;
  let take = select(0u, su.topk - above, above < su.topk);
  var carry = 0u;
  for (var c0 = 0u; c0 < su.nK; c0 += ${TOPK_WG}u) {
    let j = c0 + tid;
    var key = 0u;
    if (j < su.nK) { key = work[keys + j]; }
    let eq = key != 0u && key == th;
    if (tid < ${TOPK_WG / 32}u) { atomicStore(&wbits[tid], 0u); }
    wscan[tid] = select(0u, 1u, eq);
    workgroupBarrier();
    for (var o = 1u; o < ${TOPK_WG}u; o <<= 1u) {
      var v = 0u;
      if (tid >= o) { v = wscan[tid - o]; }
      workgroupBarrier();
      wscan[tid] += v;
      workgroupBarrier();
    }
    let before = carry + wscan[tid] - select(0u, 1u, eq);
    let chosen = key != 0u && su.topk != 0u && (all || key > th || (eq && before < take));
    if (chosen) { atomicOr(&wbits[tid / 32u], 1u << (tid % 32u)); }
    carry += wscan[${TOPK_WG - 1}u];
    workgroupBarrier();
    if (tid < ${TOPK_WG / 32}u) {
      let w = c0 / 32u + tid;
      if (w < su.words) {
        let bits = atomicLoad(&wbits[tid]);
        for (var x = 0u; x < nh; x++) {
          dyn[su.d_cells + ((b * su.heads + h0 + x) * su.nQ + i) * su.words + w] = bits;
        }
      }
    }
    workgroupBarrier();
  }
}

// A tile state (0 EMPTY, 1 PARTIAL, 2 FULL) from a table of 2-bit states at plan[at].
fn tile_state(at: u32, idx: u32) -> u32 {
  return (plan[at + idx / 16u] >> ((idx % 16u) * 2u)) & 3u;
}

fn cell(bh: u32, i: u32, j: u32) -> u32 {
  return (dyn[su.d_cells + (bh * su.nQ + i) * su.words + j / 32u] >> (j % 32u)) & 1u;
}

// One thread per row (b, h, kernel query block): each tile takes R's state where every cell
// it overlaps is selected, S's where none is, else FULL if S is FULL, EMPTY if R is EMPTY,
// else PARTIAL. The row's slot is plan[p_rowslot + t] .. plan[p_rowslot + t + 1] (prefix sums).
@compute @workgroup_size(${SELECT_WG})
fn merge(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item(gid, nwg);
  if (t >= su.batch * su.heads * su.nq) { return; }
  let qb = t % su.nq;
  let bh = t / su.nq;
  let sg = plan[su.p_sgroup + bh];
  let rg = plan[su.p_rgroup + bh];
  let i0 = qb * su.block_q / su.bq;
  let i1 = (min(su.q_len, (qb + 1u) * su.block_q) - 1u) / su.bq;
  let slot = su.d_slots + plan[su.p_rowslot + t];
  let cap = plan[su.p_rowslot + t + 1u] - plan[su.p_rowslot + t];
  var nf = 0u;
  var np = 0u;
  for (var kb = 0u; kb < su.nkv; kb++) {
    let s = tile_state(su.p_stab, (sg * su.nq + qb) * su.nkv + kb);
    var st = s;
    if (s != 2u) {
      let r = tile_state(su.p_rtab, (rg * su.nq + qb) * su.nkv + kb);
      let j0 = kb * su.block_kv / su.bk;
      let j1 = (min(su.kv_len, (kb + 1u) * su.block_kv) - 1u) / su.bk;
      var n = 0u;
      if (r != 0u) {
        for (var i = i0; i <= i1; i++) {
          for (var j = j0; j <= j1; j++) { n += cell(bh, i, j); }
        }
      }
      if (r == 0u) { st = 0u; }
      else if (n == 0u) { st = s; }
      else if (n == (i1 - i0 + 1u) * (j1 - j0 + 1u)) { st = r; }
      else { st = 1u; }
    }
    // The capacity bounds the listed tiles (select.ts); the guard only keeps rows apart.
    if (st != 0u && nf + np < cap) {
      if (st == 2u) {
        dyn[slot + nf] = kb;
        nf++;
      } else {
        dyn[slot + cap - 1u - np] = kb;
        np++;
      }
    }
  }
  dyn[4u * t] = nf;
  dyn[4u * t + 1u] = np;
  dyn[4u * t + 2u] = slot;
  dyn[4u * t + 3u] = cap;
}
`;
