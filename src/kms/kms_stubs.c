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
STUB_IOCTL(udrm_mode_setcrtc)
STUB_IOCTL(udrm_mode_setplane)
STUB_IOCTL(udrm_mode_cursor_ioctl)
STUB_IOCTL(udrm_mode_cursor2_ioctl)
STUB_IOCTL(udrm_mode_gamma_get_ioctl)
STUB_IOCTL(udrm_mode_gamma_set_ioctl)
STUB_IOCTL(udrm_connector_property_set_ioctl)
STUB_IOCTL(udrm_mode_page_flip_ioctl)
STUB_IOCTL(udrm_mode_obj_set_property_ioctl)
STUB_IOCTL(udrm_mode_atomic_ioctl)
STUB_IOCTL(udrm_wait_vblank_ioctl)
STUB_IOCTL(udrm_crtc_get_sequence_ioctl)
STUB_IOCTL(udrm_crtc_queue_sequence_ioctl)

