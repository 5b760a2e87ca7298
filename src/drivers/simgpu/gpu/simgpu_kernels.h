/* SPDX-License-Identifier: MIT */
/*
 * simgpu built-in compute kernels: what DISPATCH runs (private to gpu/).
 */
#ifndef SIMGPU_GPU_KERNELS_H
#define SIMGPU_GPU_KERNELS_H

#include <stdint.h>

#include "simgpu_cs.h"

/*
 * Run built-in kernel @kernel over @count work items with the argument
 * block at GPU VA @args, through ctx->mmu, spread with ctx->parallel.
 * 0; -EINVAL for an unknown kernel or bad arguments (non-zero padding,
 * count not matching the arguments, misaligned or wrapping ranges);
 * -EFAULT with ctx->mmu->fault set to the first fault of the lowest
 * faulting work chunk.
 */
int simgpu_kernel_dispatch(struct simgpu_cs_ctx *ctx, uint32_t kernel,
			   uint64_t args, uint32_t count);

#endif
