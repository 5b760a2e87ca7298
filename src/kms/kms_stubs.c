// SPDX-License-Identifier: MIT
/*
 * TEMPORARY during the KMS bring-up: weak stand-ins for the KMS entry
 * points so the tree links while kms/ is written in parallel. Every real
 * definition overrides its stub; this file goes once all exist.
 */
#include <errno.h>

#include "kms.h"

#define STUB_IOCTL(name)                                                       \
	__attribute__((weak)) UDRM_KMS_IOCTL(name)                             \
	{                                                                      \
		return -EOPNOTSUPP;                                            \
	}
STUB_IOCTL(udrm_mode_getresources)
STUB_IOCTL(udrm_mode_getplane_res)
STUB_IOCTL(udrm_mode_getcrtc)
STUB_IOCTL(udrm_mode_setcrtc)
STUB_IOCTL(udrm_mode_getplane)
STUB_IOCTL(udrm_mode_setplane)
STUB_IOCTL(udrm_mode_cursor_ioctl)
STUB_IOCTL(udrm_mode_cursor2_ioctl)
STUB_IOCTL(udrm_mode_gamma_get_ioctl)
STUB_IOCTL(udrm_mode_gamma_set_ioctl)
STUB_IOCTL(udrm_mode_getencoder)
STUB_IOCTL(udrm_mode_getconnector)
STUB_IOCTL(udrm_mode_getproperty_ioctl)
STUB_IOCTL(udrm_connector_property_set_ioctl)
STUB_IOCTL(udrm_mode_getblob_ioctl)
STUB_IOCTL(udrm_mode_getfb)
STUB_IOCTL(udrm_mode_getfb2_ioctl)
STUB_IOCTL(udrm_mode_addfb_ioctl)
STUB_IOCTL(udrm_mode_addfb2_ioctl)
STUB_IOCTL(udrm_mode_rmfb_ioctl)
STUB_IOCTL(udrm_mode_closefb_ioctl)
STUB_IOCTL(udrm_mode_page_flip_ioctl)
STUB_IOCTL(udrm_mode_dirtyfb_ioctl)
STUB_IOCTL(udrm_mode_obj_get_properties_ioctl)
STUB_IOCTL(udrm_mode_obj_set_property_ioctl)
STUB_IOCTL(udrm_mode_atomic_ioctl)
STUB_IOCTL(udrm_mode_createblob_ioctl)
STUB_IOCTL(udrm_mode_destroyblob_ioctl)
STUB_IOCTL(udrm_mode_create_lease_ioctl)
STUB_IOCTL(udrm_mode_list_lessees_ioctl)
STUB_IOCTL(udrm_mode_get_lease_ioctl)
STUB_IOCTL(udrm_mode_revoke_lease_ioctl)
STUB_IOCTL(udrm_wait_vblank_ioctl)
STUB_IOCTL(udrm_crtc_get_sequence_ioctl)
STUB_IOCTL(udrm_crtc_queue_sequence_ioctl)
STUB_IOCTL(udrm_mode_noop_ioctl)

__attribute__((weak)) void udrm_kms_file_open(struct udrm_file *file)
{
}
__attribute__((weak)) void udrm_kms_file_close(struct udrm_file *file)
{
}
__attribute__((weak)) void udrm_kms_fini(struct udrm_kms *kms)
{
}
