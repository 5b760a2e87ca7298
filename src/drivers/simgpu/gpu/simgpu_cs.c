// SPDX-License-Identifier: MIT
/*
 * simgpu command-stream interpreter (the encoder and the instruction
 * lengths are in simgpu_cs_builder.c).
 *
 * Every instruction is decoded strictly (opcode, length, reserved bits,
 * the end of its buffer) before it has any effect; a malformed one or a
 * faulting access leaves st->pc at the instruction. Memory is reached
 * only through the MMU, page by page.
 */
#include "simgpu_cs.h"

#include <drm_fourcc.h>
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "simgpu_kernels.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "simgpu stores GPU values with host atomics: little-endian hosts only"
#endif

#define CS_PAGE_MASK (SIMGPU_PAGE_SIZE - 1)
#define CS_MAX_LEN   11 /* words of the longest instruction (BLIT) */

static uint64_t op64(const uint32_t *w, unsigned int i)
{
	return (uint64_t)w[i] | (uint64_t)w[i + 1] << 32;
}

static uint64_t page_left(uint64_t va)
{
	return SIMGPU_PAGE_SIZE - (va & CS_PAGE_MASK);
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Whether [va, va + size) wraps around the 64-bit address space. */
static bool range_wraps(uint64_t va, uint64_t size)
{
	return size > UINT64_MAX - va;
}

static int cs_write32(struct simgpu_cs_ctx *ctx, uint64_t va, uint32_t value)
{
	uint32_t *p;

	if (va & 3)
		return -EINVAL;
	p = simgpu_mmu_ptr(ctx->mmu, va, SIMGPU_ACCESS_WRITE);
	if (!p)
		return -EFAULT;
	__atomic_store_n(p, value, __ATOMIC_RELEASE);
	return 0;
}

static int cs_write64(struct simgpu_cs_ctx *ctx, uint64_t va, uint64_t value)
{
	uint64_t *p;

	if (va & 7)
		return -EINVAL;
	p = simgpu_mmu_ptr(ctx->mmu, va, SIMGPU_ACCESS_WRITE);
	if (!p)
		return -EFAULT;
	__atomic_store_n(p, value, __ATOMIC_RELEASE);
	return 0;
}

/*
 * COPY has memmove semantics in GPU virtual addresses: when the
 * destination range starts inside the source range, pages are copied
 * from the end backwards. (Two VAs aliasing one physical page are not
 * detected: their result is defined only byte-wise per page.)
 */
static int cs_copy(struct simgpu_cs_ctx *ctx, uint64_t dst, uint64_t src,
		   uint64_t size)
{
	bool backwards = dst > src && dst - src < size;

	if (range_wraps(dst, size) || range_wraps(src, size))
		return -EINVAL;
	while (size) {
		uint64_t s_va, d_va, n;
		const void *s;
		void *d;

		if (backwards) {
			uint64_t s_end = src + size, d_end = dst + size;

			n = min3(size, ((s_end - 1) & CS_PAGE_MASK) + 1,
				 ((d_end - 1) & CS_PAGE_MASK) + 1);
			s_va = s_end - n;
			d_va = d_end - n;
		} else {
			n = min3(size, page_left(src), page_left(dst));
			s_va = src;
			d_va = dst;
			src += n;
			dst += n;
		}
		s = simgpu_mmu_ptr(ctx->mmu, s_va, SIMGPU_ACCESS_READ);
		if (!s)
			return -EFAULT;
		d = simgpu_mmu_ptr(ctx->mmu, d_va, SIMGPU_ACCESS_WRITE);
		if (!d)
			return -EFAULT;
		memmove(d, s, n);
		size -= n;
	}
	return 0;
}

static int cs_fill(struct simgpu_cs_ctx *ctx, uint64_t dst, uint64_t size,
		   uint32_t value)
{
	if ((dst & 3) || (size & 3) || range_wraps(dst, size))
		return -EINVAL;
	while (size) {
		uint64_t n = size < page_left(dst) ? size : page_left(dst);
		uint32_t *d =
			simgpu_mmu_ptr(ctx->mmu, dst, SIMGPU_ACCESS_WRITE);

		if (!d)
			return -EFAULT;
		for (uint64_t i = 0; i < n / 4; i++)
			d[i] = htole32(value);
		dst += n;
		size -= n;
	}
	return 0;
}

/* Bytes per pixel of a BLIT format, 0 for one BLIT does not know. */
static unsigned int blit_cpp(uint32_t format)
{
	switch (format) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		return 4;
	case DRM_FORMAT_RGB565:
		return 2;
	default:
		return 0;
	}
}

/* Pixels of @format at @src to ARGB8888 (X reads as opaque alpha, 565
 * expands by bit replication). */
static void blit_unpack(uint32_t *argb, const uint8_t *src, uint32_t format,
			unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t p, r, g, b;

		switch (format) {
		case DRM_FORMAT_RGB565:
			p = (uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1]
							   << 8;
			r = (p >> 11) & 0x1f;
			g = (p >> 5) & 0x3f;
			b = p & 0x1f;
			r = (r << 3) | (r >> 2);
			g = (g << 2) | (g >> 4);
			b = (b << 3) | (b >> 2);
			argb[i] = 0xff000000u | r << 16 | g << 8 | b;
			break;
		default:
			memcpy(&p, src + 4 * i, 4);
			p = le32toh(p);
			if (format == DRM_FORMAT_XRGB8888)
				p |= 0xff000000u;
			argb[i] = p;
			break;
		}
	}
}

/* ARGB8888 to @format: XRGB8888 stores 0xff in X (as the kernel's format
 * helpers do), RGB565 truncates each channel and drops alpha. */
static void blit_pack(uint8_t *dst, const uint32_t *argb, uint32_t format,
		      unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t p = argb[i];
		uint16_t q;

		switch (format) {
		case DRM_FORMAT_RGB565:
			q = (uint16_t)(((p >> 8) & 0xf800) |
				       ((p >> 5) & 0x07e0) |
				       ((p >> 3) & 0x001f));
			dst[2 * i] = (uint8_t)q;
			dst[2 * i + 1] = (uint8_t)(q >> 8);
			break;
		default:
			if (format == DRM_FORMAT_XRGB8888)
				p |= 0xff000000u;
			p = htole32(p);
			memcpy(dst + 4 * i, &p, 4);
			break;
		}
	}
}

/* The bytes a picture of @height rows of @row_bytes at @pitch spans, or
 * false on overflow. */
static bool picture_extent(uint32_t height, uint32_t pitch, uint64_t row_bytes,
			   uint64_t *extent)
{
	uint64_t rows;

	if (__builtin_mul_overflow((uint64_t)(height - 1), (uint64_t)pitch,
				   &rows))
		return false;
	return !__builtin_add_overflow(rows, row_bytes, extent);
}

#define BLIT_SEGMENT 256 /* pixels converted at a time */

static int cs_blit(struct simgpu_cs_ctx *ctx, const uint32_t *w)
{
	uint64_t dst = op64(w, 1), src = op64(w, 5);
	uint32_t dst_pitch = w[3], dst_format = w[4];
	uint32_t src_pitch = w[7], src_format = w[8];
	uint32_t width = w[9], height = w[10];
	unsigned int dcpp = blit_cpp(dst_format), scpp = blit_cpp(src_format);
	uint64_t d_extent, s_extent;
	uint8_t in[BLIT_SEGMENT * 4], out[BLIT_SEGMENT * 4];
	uint32_t argb[BLIT_SEGMENT];

	if (!dcpp || !scpp)
		return -EINVAL;
	if (!width || !height)
		return 0;
	if ((uint64_t)width * dcpp > dst_pitch ||
	    (uint64_t)width * scpp > src_pitch)
		return -EINVAL;
	if (!picture_extent(height, dst_pitch, (uint64_t)width * dcpp,
			    &d_extent) ||
	    !picture_extent(height, src_pitch, (uint64_t)width * scpp,
			    &s_extent) ||
	    range_wraps(dst, d_extent) || range_wraps(src, s_extent))
		return -EINVAL;

	for (uint32_t y = 0; y < height; y++) {
		uint64_t d_row = dst + (uint64_t)y * dst_pitch;
		uint64_t s_row = src + (uint64_t)y * src_pitch;

		for (uint32_t x = 0; x < width; x += BLIT_SEGMENT) {
			unsigned int n = width - x < BLIT_SEGMENT
						 ? width - x
						 : BLIT_SEGMENT;

			if (simgpu_mmu_read(ctx->mmu,
					    s_row + (uint64_t)x * scpp, in,
					    (size_t)n * scpp))
				return -EFAULT;
			blit_unpack(argb, in, src_format, n);
			blit_pack(out, argb, dst_format, n);
			if (simgpu_mmu_write(ctx->mmu,
					     d_row + (uint64_t)x * dcpp, out,
					     (size_t)n * dcpp))
				return -EFAULT;
		}
	}
	return 0;
}

static int cs_wait(struct simgpu_cs_ctx *ctx, struct simgpu_cs_state *st,
		   uint64_t va, uint64_t value, uint32_t cond)
{
	const uint64_t *p;
	uint64_t cur;
	bool done;

	if (cond > SIMGPU_CS_WAIT_NE || (va & 7))
		return -EINVAL;
	p = simgpu_mmu_ptr(ctx->mmu, va, SIMGPU_ACCESS_READ);
	if (!p)
		return -EFAULT;
	cur = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	switch (cond) {
	case SIMGPU_CS_WAIT_GE:
		done = cur >= value;
		break;
	case SIMGPU_CS_WAIT_EQ:
		done = cur == value;
		break;
	default:
		done = cur != value;
		break;
	}
	if (done)
		return 0;
	st->wait_va = va;
	st->wait_value = value;
	st->wait_cond = cond;
	return -EAGAIN;
}

/* SYNC_ADD/SYNC_SET: status first, then the seqno with release ordering,
 * so whoever sees the new seqno sees the status that goes with it. */
static int cs_sync(struct simgpu_cs_ctx *ctx, const struct simgpu_cs_state *st,
		   uint64_t va, uint64_t value, bool add)
{
	uint64_t *seqno;
	int32_t *status;

	if (va & 7)
		return -EINVAL;
	seqno = simgpu_mmu_ptr(ctx->mmu, va, SIMGPU_ACCESS_WRITE);
	if (!seqno)
		return -EFAULT;
	/* va + 8 may be on the next page. */
	status = simgpu_mmu_ptr(ctx->mmu, va + 8, SIMGPU_ACCESS_WRITE);
	if (!status)
		return -EFAULT;
	__atomic_store_n(status, st->error, __ATOMIC_RELAXED);
	if (add)
		__atomic_fetch_add(seqno, value, __ATOMIC_RELEASE);
	else
		__atomic_store_n(seqno, value, __ATOMIC_RELEASE);
	if (ctx->irq)
		ctx->irq(ctx->core);
	return 0;
}

static uint64_t cs_now_ns(struct simgpu_cs_ctx *ctx)
{
	struct timespec ts;

	if (ctx->now_ns)
		return ctx->now_ns(ctx->core);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Check a JUMP/CALL target buffer. */
static bool cs_buffer_ok(uint64_t va, uint32_t size)
{
	return !(va & 3) && !(size & 3) && !range_wraps(va, size);
}

/*
 * Decode and run the instruction at st->pc. On success st->pc moves past
 * it (or to where control flow goes); on any error st->pc stays.
 */
static int cs_step(struct simgpu_cs_ctx *ctx, struct simgpu_cs_state *st)
{
	uint32_t w[CS_MAX_LEN];
	uint64_t pc = st->pc, next;
	unsigned int op, len;
	int ret = 0;

	if ((pc & 3) || st->end < pc || st->end - pc < 4)
		return -EINVAL;
	if (simgpu_mmu_read(ctx->mmu, pc, &w[0], 4))
		return -EFAULT;
	w[0] = le32toh(w[0]);
	op = w[0] >> 24;
	len = (w[0] >> 16) & 0xff;
	if (!simgpu_cs_op_length(op) || len != simgpu_cs_op_length(op) ||
	    (w[0] & 0xffff))
		return -EINVAL;
	if ((st->end - pc) / 4 < len)
		return -EINVAL; /* truncated: runs past the end of its buffer */
	if (len > 1 && simgpu_mmu_read(ctx->mmu, pc + 4, &w[1], (len - 1) * 4))
		return -EFAULT;
	for (unsigned int i = 1; i < len; i++)
		w[i] = le32toh(w[i]);
	next = pc + 4 * len;

	switch (op) {
	case SIMGPU_CS_NOP:
		break;
	case SIMGPU_CS_WRITE32:
		ret = cs_write32(ctx, op64(w, 1), w[3]);
		break;
	case SIMGPU_CS_WRITE64:
		ret = cs_write64(ctx, op64(w, 1), op64(w, 3));
		break;
	case SIMGPU_CS_COPY:
		ret = cs_copy(ctx, op64(w, 1), op64(w, 3), op64(w, 5));
		break;
	case SIMGPU_CS_FILL:
		ret = cs_fill(ctx, op64(w, 1), op64(w, 3), w[5]);
		break;
	case SIMGPU_CS_BLIT:
		ret = cs_blit(ctx, w);
		break;
	case SIMGPU_CS_WAIT:
		ret = cs_wait(ctx, st, op64(w, 1), op64(w, 3), w[5]);
		break;
	case SIMGPU_CS_SYNC_ADD:
	case SIMGPU_CS_SYNC_SET:
		ret = cs_sync(ctx, st, op64(w, 1), op64(w, 3),
			      op == SIMGPU_CS_SYNC_ADD);
		break;
	case SIMGPU_CS_TIMESTAMP:
		ret = cs_write64(ctx, op64(w, 1), cs_now_ns(ctx));
		break;
	case SIMGPU_CS_JUMP:
	case SIMGPU_CS_CALL:
		if (!cs_buffer_ok(op64(w, 1), w[3]))
			return -EINVAL;
		if (op == SIMGPU_CS_CALL) {
			if (st->depth >= SIMGPU_CS_MAX_DEPTH)
				return -EINVAL;
			st->stack[st->depth].pc = next;
			st->stack[st->depth].end = st->end;
			st->depth++;
		}
		st->pc = op64(w, 1);
		st->end = st->pc + w[3];
		return 0;
	case SIMGPU_CS_RETURN:
		if (!st->depth)
			return -EINVAL;
		st->depth--;
		st->pc = st->stack[st->depth].pc;
		st->end = st->stack[st->depth].end;
		return 0;
	case SIMGPU_CS_ERROR_BARRIER:
		if (st->error)
			return -EIO;
		break;
	case SIMGPU_CS_DISPATCH:
		ret = simgpu_kernel_dispatch(ctx, w[1], op64(w, 2), w[4]);
		break;
	}
	if (!ret)
		st->pc = next;
	return ret;
}

void simgpu_cs_start(struct simgpu_cs_state *st, uint64_t va, uint64_t size)
{
	memset(st, 0, sizeof(*st));
	st->pc = va;
	/* A wrapping buffer leaves end < pc, which simgpu_cs_run refuses. */
	st->end = va + size;
}

int simgpu_cs_run(struct simgpu_cs_ctx *ctx, struct simgpu_cs_state *st)
{
	uint64_t ran = 0;
	int ret;

	for (;;) {
		if (st->depth > SIMGPU_CS_MAX_DEPTH)
			return -EINVAL;
		if (st->pc == st->end) {
			if (!st->depth)
				return 0;
			/* The end of a called buffer returns to its caller. */
			st->depth--;
			st->pc = st->stack[st->depth].pc;
			st->end = st->stack[st->depth].end;
			continue;
		}
		if (ctx->stop &&
		    atomic_load_explicit(ctx->stop, memory_order_acquire))
			return -EINTR;
		if (ctx->budget && ran >= ctx->budget)
			return -EBUSY;
		ret = cs_step(ctx, st);
		if (ret) {
			if ((ret == -EFAULT || ret == -EINVAL) && !st->error)
				st->error = ret;
			return ret;
		}
		ran++;
		ctx->instructions++;
	}
}
