/* SPDX-License-Identifier: MIT */
/*
 * simgpu command streams: the instruction set the execution cores run,
 * an interpreter (simgpu_cs_run) and a builder for drivers and tests.
 *
 * This is hardware, not firmware ABI: the encoding does not change between
 * firmware versions. The firmware feeds a queue's ring entries to
 * simgpu_cs_run() on one of its execution cores.
 *
 * Encoding: a stream is a sequence of 32-bit little-endian words in GPU
 * memory, read through the MMU. Each instruction starts with a header word
 *   bits 31..24 opcode, bits 23..16 length in words (header included),
 *   bits 15..0 zero;
 * 64-bit operands take two words, low word first. An instruction whose
 * header has an unknown opcode, a length other than its opcode's, non-zero
 * reserved bits, or that runs past the end of its buffer is malformed.
 *
 *  op  name          operands (words)                            len
 *  00  NOP           -                                             1
 *  01  WRITE32       va(2) value(1)                                4
 *  02  WRITE64       va(2) value(2)                                5
 *  03  COPY          dst(2) src(2) size(2)                         7
 *  04  FILL          dst(2) size(2) value(1)  size % 4 == 0        6
 *  05  BLIT          dst(2) dst_pitch(1) dst_format(1)
 *                    src(2) src_pitch(1) src_format(1)
 *                    width(1) height(1)                           11
 *  06  WAIT          va(2) value(2) cond(1)                        6
 *  07  SYNC_ADD      va(2) value(2)                                5
 *  08  SYNC_SET      va(2) value(2)                                5
 *  09  TIMESTAMP     va(2)                                         3
 *  0a  JUMP          va(2) size(1)                                 4
 *  0b  CALL          va(2) size(1)                                 4
 *  0c  RETURN        -                                             1
 *  0d  ERROR_BARRIER -                                             1
 *  0e  DISPATCH      kernel(1) args(2) count(1)                    5
 *
 * BLIT converts between DRM_FORMAT_XRGB8888, ARGB8888 and RGB565 (fourcc
 * codes; X becomes 0xff alpha; 565 expands by bit replication). WAIT
 * blocks the stream until the 64-bit value at va compares to value as cond
 * says (SIMGPU_CS_WAIT_*). A sync object is { u64 seqno; u32 status;
 * u32 pad } at an 8-byte aligned va: SYNC_ADD/SYNC_SET update seqno
 * atomically, store the stream's current error as status, and raise the
 * interrupt. JUMP continues in another buffer [va, va + size); CALL does
 * the same and RETURN comes back (at most SIMGPU_CS_MAX_DEPTH nested
 * calls). ERROR_BARRIER stops the stream with -EIO when the queue carries
 * an error (state->error), so work after it never runs on bad data.
 * DISPATCH runs a built-in kernel (SIMGPU_KERNEL_*) over count work items,
 * spread over the execution cores; args points to the kernel's argument
 * block (struct simgpu_kernel_*_args, little-endian, read through the MMU).
 *
 * Details the table leaves open (engine behaviour, see simgpu_cs.c):
 * - WRITE32, WAIT, SYNC_*, TIMESTAMP and WRITE64 need a naturally aligned
 *   va (4 for WRITE32, 8 for the others) and are single-copy atomic:
 *   stores release, WAIT loads acquire. FILL needs dst and size multiples
 *   of 4; JUMP/CALL need va and size (bytes) multiples of 4. A range that
 *   wraps past 2^64 is malformed (-EINVAL); one past 2^48 faults.
 * - COPY behaves as memmove for overlapping VA ranges. COPY, FILL and
 *   BLIT go page by page: one that faults may have written the part of
 *   its destination before the fault. BLIT writes 0xff into X of
 *   XRGB8888, truncates to RGB565 and drops alpha there; width or height
 *   0 is a no-op; each pitch must hold a row.
 * - Reaching the end of a CALLed buffer returns as RETURN does.
 * - DISPATCH: count must equal the argument block's n (SAXPY, REDUCE_SUM)
 *   or height (MANDELBROT); arrays and the picture (dst, pitch) 4-byte
 *   aligned; padding zero; max_iter <= SIMGPU_KERNEL_MANDELBROT_MAX_ITER.
 *   A DISPATCH is not interrupted by *ctx->stop.
 * - -EFAULT and -EINVAL also become st->error when it is 0.
 */
#ifndef SIMGPU_GPU_CS_H
#define SIMGPU_GPU_CS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simgpu_mmu.h"

enum simgpu_cs_op {
	SIMGPU_CS_NOP = 0x00,
	SIMGPU_CS_WRITE32 = 0x01,
	SIMGPU_CS_WRITE64 = 0x02,
	SIMGPU_CS_COPY = 0x03,
	SIMGPU_CS_FILL = 0x04,
	SIMGPU_CS_BLIT = 0x05,
	SIMGPU_CS_WAIT = 0x06,
	SIMGPU_CS_SYNC_ADD = 0x07,
	SIMGPU_CS_SYNC_SET = 0x08,
	SIMGPU_CS_TIMESTAMP = 0x09,
	SIMGPU_CS_JUMP = 0x0a,
	SIMGPU_CS_CALL = 0x0b,
	SIMGPU_CS_RETURN = 0x0c,
	SIMGPU_CS_ERROR_BARRIER = 0x0d,
	SIMGPU_CS_DISPATCH = 0x0e,
};

enum simgpu_cs_wait_cond {
	SIMGPU_CS_WAIT_GE = 0, /* value at va >= value (unsigned) */
	SIMGPU_CS_WAIT_EQ = 1,
	SIMGPU_CS_WAIT_NE = 2,
};

#define SIMGPU_CS_MAX_DEPTH 8

/* Built-in compute kernels of DISPATCH. */
enum simgpu_kernel {
	/* y[i] = a * x[i] + y[i], float; count = n. */
	SIMGPU_KERNEL_SAXPY = 1,
	/* *out = sum of x[0..n), uint32 wrapping; count = n. */
	SIMGPU_KERNEL_REDUCE_SUM = 2,
	/* An XRGB8888 picture of the Mandelbrot set; count = height rows. */
	SIMGPU_KERNEL_MANDELBROT = 3,
};

/* Bounds a MANDELBROT dispatch's time (DISPATCH is not interruptible). */
#define SIMGPU_KERNEL_MANDELBROT_MAX_ITER 65536u

struct simgpu_kernel_saxpy_args {
	uint64_t x, y; /* VAs of float arrays */
	uint32_t n;
	float a;
};
_Static_assert(sizeof(struct simgpu_kernel_saxpy_args) == 24, "saxpy args");

struct simgpu_kernel_reduce_args {
	uint64_t x;   /* VA of a uint32 array */
	uint64_t out; /* VA of the uint32 result */
	uint32_t n;
	uint32_t pad; /* must be zero */
};
_Static_assert(sizeof(struct simgpu_kernel_reduce_args) == 24, "reduce args");

struct simgpu_kernel_mandelbrot_args {
	uint64_t dst;		       /* VA of the XRGB8888 picture */
	uint32_t width, height, pitch; /* pitch in bytes */
	uint32_t max_iter;
	float x0, y0; /* the complex plane at pixel (0, 0) */
	float step;   /* per pixel */
	uint32_t pad; /* must be zero */
};
_Static_assert(sizeof(struct simgpu_kernel_mandelbrot_args) == 40,
	       "mandelbrot args");

/* Where a stream is: resumable after -EAGAIN, -EBUSY or -EINTR. */
struct simgpu_cs_state {
	uint64_t pc;  /* VA of the next instruction */
	uint64_t end; /* end of the current buffer */
	struct {
		uint64_t pc, end;
	} stack[SIMGPU_CS_MAX_DEPTH];
	unsigned int depth;
	int error; /* the queue's sticky error (negative errno), or 0 */
	/* Set when simgpu_cs_run() returns -EAGAIN on a WAIT. */
	uint64_t wait_va, wait_value;
	enum simgpu_cs_wait_cond wait_cond;
};

/* What the core running a stream provides. */
struct simgpu_cs_ctx {
	struct simgpu_mmu *mmu; /* the queue's address space */
	/*
	 * Run fn(arg, i) for every i in [0, n) on the execution cores and
	 * return when all are done (DISPATCH). fn may run on other threads
	 * at once; it must give each thread its own struct simgpu_mmu.
	 * NULL runs everything on the calling thread.
	 */
	void (*parallel)(void *core, unsigned int n,
			 void (*fn)(void *arg, unsigned int i), void *arg);
	/* The time for TIMESTAMP, in ns; NULL: CLOCK_MONOTONIC. */
	uint64_t (*now_ns)(void *core);
	/* Raise the completion interrupt (SYNC_ADD/SYNC_SET); may be NULL. */
	void (*irq)(void *core);
	void *core;
	/* Set by another thread to stop the stream between instructions. */
	const atomic_bool *stop;
	/* Instructions run so far; simgpu_cs_run() adds to it (watchdog). */
	uint64_t instructions;
	/* Return -EBUSY after this many instructions in one call (a time
	 * slice; 0 = no limit). */
	uint64_t budget;
};

/* Point @st at the buffer [va, va + size) with no error. */
void simgpu_cs_start(struct simgpu_cs_state *st, uint64_t va, uint64_t size);

/*
 * Run the stream from st->pc. Returns 0 when it ended (pc reached the end
 * of the outermost buffer); -EAGAIN when a WAIT is not satisfied (the
 * wait_* fields say on what; call again to retry); -EBUSY when the budget
 * ran out; -EINTR when *ctx->stop was set (st stays resumable in all
 * three); -EFAULT on an MMU fault (ctx->mmu->fault says where; st->pc at
 * the faulting instruction); -EINVAL for a malformed instruction or
 * arguments (st->pc at it); -EIO at an ERROR_BARRIER with st->error set.
 */
int simgpu_cs_run(struct simgpu_cs_ctx *ctx, struct simgpu_cs_state *st);

/* The length in words of opcode @op's instructions, header included; 0
 * for an opcode that does not exist. */
unsigned int simgpu_cs_op_length(uint32_t op);

/* Building streams in CPU memory (drivers, tests, benchmarks, libsimgpu):
 * simgpu_cs_builder.c, which needs nothing else of gpu/. */
struct simgpu_cs_builder {
	uint32_t *words;
	size_t cap, len; /* in words */
	bool overflow;	 /* set when an instruction did not fit */
};

void simgpu_cs_builder_init(struct simgpu_cs_builder *b, uint32_t *words,
			    size_t cap);
void simgpu_cs_nop(struct simgpu_cs_builder *b);
void simgpu_cs_write32(struct simgpu_cs_builder *b, uint64_t va,
		       uint32_t value);
void simgpu_cs_write64(struct simgpu_cs_builder *b, uint64_t va,
		       uint64_t value);
void simgpu_cs_copy(struct simgpu_cs_builder *b, uint64_t dst, uint64_t src,
		    uint64_t size);
void simgpu_cs_fill(struct simgpu_cs_builder *b, uint64_t dst, uint64_t size,
		    uint32_t value);
void simgpu_cs_blit(struct simgpu_cs_builder *b, uint64_t dst,
		    uint32_t dst_pitch, uint32_t dst_format, uint64_t src,
		    uint32_t src_pitch, uint32_t src_format, uint32_t width,
		    uint32_t height);
void simgpu_cs_wait(struct simgpu_cs_builder *b, uint64_t va, uint64_t value,
		    enum simgpu_cs_wait_cond cond);
void simgpu_cs_sync_add(struct simgpu_cs_builder *b, uint64_t va,
			uint64_t value);
void simgpu_cs_sync_set(struct simgpu_cs_builder *b, uint64_t va,
			uint64_t value);
void simgpu_cs_timestamp(struct simgpu_cs_builder *b, uint64_t va);
void simgpu_cs_jump(struct simgpu_cs_builder *b, uint64_t va, uint32_t size);
void simgpu_cs_call(struct simgpu_cs_builder *b, uint64_t va, uint32_t size);
void simgpu_cs_return(struct simgpu_cs_builder *b);
void simgpu_cs_error_barrier(struct simgpu_cs_builder *b);
void simgpu_cs_dispatch(struct simgpu_cs_builder *b, enum simgpu_kernel kernel,
			uint64_t args, uint32_t count);

/* The same kernels on the CPU, on plain pointers (the benchmark's
 * baseline and the tests' reference); DISPATCH gives bit-identical
 * results. The picture's pitch is in bytes. */
void simgpu_kernel_saxpy_cpu(float *y, const float *x, float a, uint32_t n);
uint32_t simgpu_kernel_reduce_cpu(const uint32_t *x, uint32_t n);
void simgpu_kernel_mandelbrot_cpu(uint32_t *dst, uint32_t width,
				  uint32_t height, uint32_t pitch,
				  uint32_t max_iter, float x0, float y0,
				  float step);

#endif
