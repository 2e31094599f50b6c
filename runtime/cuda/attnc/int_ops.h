// attnc CUDA runtime: the integer operations of the .attn language (compiler/ir/semantics.ts):
// floor division and modulo (division by 0 gives 0), min/max and the hash, for the kernels'
// 32-bit masks and the host planner's 64-bit bounds alike.
#pragma once
#include <cstdint>
#include "config.h"

namespace attnc {

template <class I> ATTNC_HD I floor_div(I a, I b) { if (b == 0) return 0; I q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
template <class I> ATTNC_HD I floor_mod(I a, I b) { if (b == 0) return 0; I r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }
/** The kernels' and the exact host mask's 32-bit forms. */
ATTNC_HD int fdiv(int a, int b) { return floor_div<int>(a, b); }
ATTNC_HD int fmod_(int a, int b) { return floor_mod<int>(a, b); }
/** Floor division / modulo by a positive divisor: one truncating division and a fix-up. */
ATTNC_HD int fdiv_pos(int a, int c) { const int q = a / c; return (a - q * c) < 0 ? q - 1 : q; }
ATTNC_HD int fmod_pos(int a, int c) { const int r = a % c; return r < 0 ? r + c : r; }
template <class X> ATTNC_HD X amin(X a, X b) { return a < b ? a : b; }
template <class X> ATTNC_HD X amax(X a, X b) { return a > b ? a : b; }
ATTNC_HD uint32_t hash_step(uint32_t h, uint32_t a) {
  h ^= a; h ^= h >> 16; h *= 0x7feb352dU; h ^= h >> 15; h *= 0x846ca68bU; h ^= h >> 16; return h;
}

}  // namespace attnc
