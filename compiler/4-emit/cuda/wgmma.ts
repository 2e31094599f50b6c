/**
 * Inline-PTX wrappers for Hopper's warpgroup MMA (`wgmma.mma_async`, sm_90a), printed rather
 * than written out: one m64nNk16 instruction names N/2 accumulator registers, so each wrapper's
 * operand list is generated here for N = 64 and 128 and both 16-bit input types.
 *
 *   wgmma_ss<T, N>(d, descA, descB, accumulate)   D (+)= A B, A and B in shared memory (K-major)
 *   wgmma_rs<T, N>(d, a, descB)                   D += A B, A in registers, B MN-major (transposed)
 *
 * Accumulators use the fp32 layout of `mma.sync` C fragments, repeated per 8 columns.
 */

const TYPES = [
  { ctype: '__nv_bfloat16', ptx: 'bf16' },
  { ctype: '__half', ptx: 'f16' },
] as const;
const WIDTHS = [64, 128] as const;

function regList(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `%${from + i}`).join(', ');
}

function outputs(count: number): string {
  return Array.from({ length: count }, (_, i) => `"+f"(d[${i}])`).join(', ');
}

export function wgmmaWrappers(): string {
  const out: string[] = [
    'template <typename T, int N> __device__ __forceinline__ void wgmma_ss(float (&d)[N / 2], uint64_t da, uint64_t db, int accumulate);',
    'template <typename T, int N> __device__ __forceinline__ void wgmma_rs(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t db);',
  ];
  for (const n of WIDTHS) {
    const acc = n / 2;
    for (const t of TYPES) {
      const shape = `m64n${n}k16.f32.${t.ptx}.${t.ptx}`;
      out.push(
        `template <> __device__ __forceinline__ void wgmma_ss<${t.ctype}, ${n}>(float (&d)[${acc}], uint64_t da, uint64_t db, int accumulate) {`,
        `  asm volatile("{\\n.reg .pred p;\\nsetp.ne.b32 p, %${acc + 2}, 0;\\n"`,
        `               "wgmma.mma_async.sync.aligned.${shape} {${regList(0, acc)}}, %${acc}, %${acc + 1}, p, 1, 1, 0, 0;\\n}\\n"`,
        `               : ${outputs(acc)}`,
        `               : "l"(da), "l"(db), "r"(accumulate));`,
        '}',
        `template <> __device__ __forceinline__ void wgmma_rs<${t.ctype}, ${n}>(float (&d)[${acc}], const uint32_t (&a)[4], uint64_t db) {`,
        `  asm volatile("{\\n.reg .pred p;\\nsetp.ne.b32 p, %${acc + 5}, 0;\\n"`,
        `               "wgmma.mma_async.sync.aligned.${shape} {${regList(0, acc)}}, {${regList(acc, 4)}}, %${acc + 4}, p, 1, 1, 1;\\n}\\n"`,
        `               : ${outputs(acc)}`,
        `               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1));`,
        '}',
      );
    }
  }
  return out.join('\n');
}
