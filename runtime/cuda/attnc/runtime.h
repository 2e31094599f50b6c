// attnc CUDA runtime: everything a generated pattern's .cu includes after defining its Pattern.
// With ATTNC_HOST_ONLY, only the host half (planning, asserts).
#pragma once
#include "config.h"
#include "band.h"
#include "int_ops.h"
#include "plan_host.h"
#ifndef ATTNC_HOST_ONLY
#include "launch.cuh"
#include "select.cuh"
#endif
