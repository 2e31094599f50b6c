// attnc CUDA runtime: compiler switches. ATTNC_HOST_ONLY (set by the tests) builds the host
// half alone (planner, asserts, mask functions) with a plain C++ compiler: no kernels, no CUDA
// calls. ATTNC_HD marks functions that run on both sides.
#pragma once
#include <cmath>
#ifdef ATTNC_HOST_ONLY
#define ATTNC_HD inline
#else
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define ATTNC_HD __host__ __device__ __forceinline__
#endif
