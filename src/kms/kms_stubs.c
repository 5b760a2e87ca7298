// SPDX-License-Identifier: MIT
/*
 * TEMPORARY during the KMS bring-up: weak stand-ins for the KMS entry
 * points so the tree links while kms/ is written in parallel. Every real
 * definition overrides its stub; this file goes once all exist.
 *
 * Careful: the core is a static library, so a weak stub here satisfies
 * the linker before the real definition's object is ever pulled in (the
 * ioctl table is the only reference to most handlers). Drop a stub as
 * soon as its real function lands.
 */
#include <errno.h>

#include "kms.h"

#define STUB_IOCTL(name)                                                       \
	__attribute__((weak)) UDRM_KMS_IOCTL(name)                             \
	{                                                                      \
		return -EOPNOTSUPP;                                            \
	}

