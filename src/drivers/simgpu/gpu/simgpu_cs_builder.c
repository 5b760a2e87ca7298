// SPDX-License-Identifier: MIT
/*
 * simgpu command-stream encoder: the instruction lengths and the builder.
 * Kept apart from the interpreter so that userspace (libsimgpu) can build
 * streams without the engine, the MMU or the kernels.
 */
#include <endian.h>
#include <stdint.h>

#include "simgpu_cs.h"

/* Length in words of each opcode's instructions; 0 = unknown opcode. */
static const uint8_t cs_op_len[] = {
	[SIMGPU_CS_NOP] = 1,	  [SIMGPU_CS_WRITE32] = 4,
	[SIMGPU_CS_WRITE64] = 5,  [SIMGPU_CS_COPY] = 7,
	[SIMGPU_CS_FILL] = 6,	  [SIMGPU_CS_BLIT] = 11,
	[SIMGPU_CS_WAIT] = 6,	  [SIMGPU_CS_SYNC_ADD] = 5,
	[SIMGPU_CS_SYNC_SET] = 5, [SIMGPU_CS_TIMESTAMP] = 3,
	[SIMGPU_CS_JUMP] = 4,	  [SIMGPU_CS_CALL] = 4,
	[SIMGPU_CS_RETURN] = 1,	  [SIMGPU_CS_ERROR_BARRIER] = 1,
	[SIMGPU_CS_DISPATCH] = 5,
};

unsigned int simgpu_cs_op_length(uint32_t op)
{
	return op < sizeof(cs_op_len) ? cs_op_len[op] : 0;
}

/* Builder. Once an instruction does not fit, nothing more is added, so a
 * stream never silently lacks an instruction in its middle. */
static uint32_t *cs_emit(struct simgpu_cs_builder *b, enum simgpu_cs_op op)
{
	unsigned int len = simgpu_cs_op_length(op);
	uint32_t *w;

	if (b->overflow || b->cap - b->len < len) {
		b->overflow = true;
		return NULL;
	}
	w = b->words + b->len;
	b->len += len;
	w[0] = htole32((uint32_t)op << 24 | (uint32_t)len << 16);
	return w;
}

static void put32(uint32_t *w, unsigned int i, uint32_t v)
{
	w[i] = htole32(v);
}

static void put64(uint32_t *w, unsigned int i, uint64_t v)
{
	w[i] = htole32((uint32_t)v);
	w[i + 1] = htole32((uint32_t)(v >> 32));
}

void simgpu_cs_builder_init(struct simgpu_cs_builder *b, uint32_t *words,
			    size_t cap)
{
	b->words = words;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
}

void simgpu_cs_nop(struct simgpu_cs_builder *b)
{
	cs_emit(b, SIMGPU_CS_NOP);
}

void simgpu_cs_write32(struct simgpu_cs_builder *b, uint64_t va, uint32_t value)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_WRITE32);

	if (!w)
		return;
	put64(w, 1, va);
	put32(w, 3, value);
}

void simgpu_cs_write64(struct simgpu_cs_builder *b, uint64_t va, uint64_t value)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_WRITE64);

	if (!w)
		return;
	put64(w, 1, va);
	put64(w, 3, value);
}

void simgpu_cs_copy(struct simgpu_cs_builder *b, uint64_t dst, uint64_t src,
		    uint64_t size)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_COPY);

	if (!w)
		return;
	put64(w, 1, dst);
	put64(w, 3, src);
	put64(w, 5, size);
}

void simgpu_cs_fill(struct simgpu_cs_builder *b, uint64_t dst, uint64_t size,
		    uint32_t value)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_FILL);

	if (!w)
		return;
	put64(w, 1, dst);
	put64(w, 3, size);
	put32(w, 5, value);
}

void simgpu_cs_blit(struct simgpu_cs_builder *b, uint64_t dst,
		    uint32_t dst_pitch, uint32_t dst_format, uint64_t src,
		    uint32_t src_pitch, uint32_t src_format, uint32_t width,
		    uint32_t height)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_BLIT);

	if (!w)
		return;
	put64(w, 1, dst);
	put32(w, 3, dst_pitch);
	put32(w, 4, dst_format);
	put64(w, 5, src);
	put32(w, 7, src_pitch);
	put32(w, 8, src_format);
	put32(w, 9, width);
	put32(w, 10, height);
}

void simgpu_cs_wait(struct simgpu_cs_builder *b, uint64_t va, uint64_t value,
		    enum simgpu_cs_wait_cond cond)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_WAIT);

	if (!w)
		return;
	put64(w, 1, va);
	put64(w, 3, value);
	put32(w, 5, (uint32_t)cond);
}

void simgpu_cs_sync_add(struct simgpu_cs_builder *b, uint64_t va,
			uint64_t value)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_SYNC_ADD);

	if (!w)
		return;
	put64(w, 1, va);
	put64(w, 3, value);
}

void simgpu_cs_sync_set(struct simgpu_cs_builder *b, uint64_t va,
			uint64_t value)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_SYNC_SET);

	if (!w)
		return;
	put64(w, 1, va);
	put64(w, 3, value);
}

void simgpu_cs_timestamp(struct simgpu_cs_builder *b, uint64_t va)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_TIMESTAMP);

	if (!w)
		return;
	put64(w, 1, va);
}

void simgpu_cs_jump(struct simgpu_cs_builder *b, uint64_t va, uint32_t size)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_JUMP);

	if (!w)
		return;
	put64(w, 1, va);
	put32(w, 3, size);
}

void simgpu_cs_call(struct simgpu_cs_builder *b, uint64_t va, uint32_t size)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_CALL);

	if (!w)
		return;
	put64(w, 1, va);
	put32(w, 3, size);
}

void simgpu_cs_return(struct simgpu_cs_builder *b)
{
	cs_emit(b, SIMGPU_CS_RETURN);
}

void simgpu_cs_error_barrier(struct simgpu_cs_builder *b)
{
	cs_emit(b, SIMGPU_CS_ERROR_BARRIER);
}

void simgpu_cs_dispatch(struct simgpu_cs_builder *b, enum simgpu_kernel kernel,
			uint64_t args, uint32_t count)
{
	uint32_t *w = cs_emit(b, SIMGPU_CS_DISPATCH);

	if (!w)
		return;
	put32(w, 1, (uint32_t)kernel);
	put64(w, 2, args);
	put32(w, 4, count);
}
