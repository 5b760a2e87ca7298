// SPDX-License-Identifier: MIT
/*
 * Firmware images and version names (see simgpu_fw.h).
 */
#include "simgpu_fw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Header plus a body standing for the firmware's code. */
#define SIMGPU_FW_IMAGE_BODY 256u

size_t simgpu_fw_image_size(void)
{
	uint32_t max = 0;

	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		uint32_t size = fwabi_sizeof(&simgpu_fw_versions[i],
					     SIMGPU_FW_S_IMAGE_HEADER);

		if (size > max)
			max = size;
	}
	return max + SIMGPU_FW_IMAGE_BODY;
}

long simgpu_fw_image_build(void *dst, size_t cap, uint32_t code, uint32_t magic)
{
	const struct fwabi_version *v = simgpu_fw_abi_lookup(code);
	const struct fwabi_version *layout = v ? v : &simgpu_fw_versions[0];
	uint32_t header = fwabi_sizeof(layout, SIMGPU_FW_S_IMAGE_HEADER);
	uint64_t features = 0, bit;
	uint8_t *body;
	size_t size = header + SIMGPU_FW_IMAGE_BODY;

	if (cap < size)
		return -ENOSPC;
	memset(dst, 0, size);
	/* Magic and version never move: any version's layout writes them. */
	fwabi_set(layout, SIMGPU_FW_IMAGE_HEADER_MAGIC, dst, 0, magic);
	fwabi_set(layout, SIMGPU_FW_IMAGE_HEADER_ABI_VERSION, dst, 0, code);
	if (!v)
		return (long)size;

	if (!fwabi_const_get(v, SIMGPU_FW_C_FEAT_TIMESTAMP, &bit))
		features |= bit;
	if (!fwabi_const_get(v, SIMGPU_FW_C_FEAT_SYNC_WAIT, &bit))
		features |= bit;
	fwabi_set(v, SIMGPU_FW_IMAGE_HEADER_FEATURES, dst, 0, features);
	fwabi_set(v, SIMGPU_FW_IMAGE_HEADER_HEADER_SIZE, dst, 0, header);
	fwabi_set(v, SIMGPU_FW_IMAGE_HEADER_IMAGE_SIZE, dst, 0, size);
	/* Absent before 1.1: fwabi_set refuses it there. */
	fwabi_set(v, SIMGPU_FW_IMAGE_HEADER_BUILD_ID, dst, 0, 0x5167u);
	body = (uint8_t *)dst + header;
	for (unsigned int i = 0; i < SIMGPU_FW_IMAGE_BODY; i++)
		body[i] = (uint8_t)(i * 37u + code);
	return (long)size;
}

int simgpu_fw_version_parse(const char *text, uint32_t *code)
{
	unsigned long long value;
	char *end;

	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		if (!strcmp(text, simgpu_fw_versions[i].name)) {
			*code = simgpu_fw_versions[i].code;
			return 0;
		}
	}
	errno = 0;
	value = strtoull(text, &end, 0);
	if (errno || end == text || *end || value > UINT32_MAX ||
	    !simgpu_fw_abi_lookup((uint32_t)value))
		return -EINVAL;
	*code = (uint32_t)value;
	return 0;
}

const char *simgpu_fw_version_name(uint32_t code)
{
	const struct fwabi_version *v = simgpu_fw_abi_lookup(code);

	return v ? v->name : NULL;
}

uint32_t simgpu_fw_version_newest(void)
{
	return simgpu_fw_versions[simgpu_fw_num_versions - 1].code;
}
