// SPDX-License-Identifier: MIT
/*
 * udrm_file_ioctl() dispatch as the kernel's drm_ioctl(): which numbers
 * reach a handler, how the argument is copied in and out, what a bad
 * pointer does, and drm_ioctl_permit()'s checks (render node, DRM_AUTH,
 * DRM_MASTER).
 */
#include "udrm_test.h"

#include <errno.h>
#include <string.h>

#include "core/file.h"

#define GETCAP_NR _IOC_NR(DRM_IOCTL_GET_CAP)

static void non_drm_ioctl_type_is_enotty(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};

	ut_expect(udrm_file_ioctl(f, _IOWR('e', GETCAP_NR, struct drm_get_cap),
				  &cap),
		  -ENOTTY, "GET_CAP's number with ioctl type 'e'");
	ut_expect(udrm_file_ioctl(f, TCGETS, &cap), -ENOTTY,
		  "a terminal ioctl (TCGETS) on a DRM file");
	/* The type is checked before anything touches the argument. */
	ut_expect(udrm_file_ioctl(f, _IOWR('e', GETCAP_NR, struct drm_get_cap),
				  NULL),
		  -ENOTTY, "a non-DRM ioctl with a NULL argument");
	udrm_file_close(f);
}

static void unknown_core_ioctl_number_is_einval(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t buf[4] = {0};

	/* 0x3d and 0x3e are holes in the kernel's core table. */
	ut_expect(udrm_file_ioctl(f, DRM_IOWR(0x3e, struct drm_get_cap), buf),
		  -EINVAL, "DRM ioctl nr 0x3e (no core ioctl)");
	ut_expect(udrm_file_ioctl(f, DRM_IO(0x3d), NULL), -EINVAL,
		  "DRM ioctl nr 0x3d (no core ioctl)");
	/* Past the end of the core table. */
	ut_expect(udrm_file_ioctl(f, DRM_IOWR(0xff, struct drm_get_cap), buf),
		  -EINVAL, "DRM ioctl nr 0xff (past the core table)");
	/* A missing handler is found before the argument is copied, so even
	 * a NULL pointer gives -EINVAL and not -EFAULT. */
	ut_expect(udrm_file_ioctl(f, DRM_IOWR(0x3e, struct drm_get_cap), NULL),
		  -EINVAL, "DRM ioctl nr 0x3e with a NULL argument");
	udrm_file_close(f);
}

static void driver_ioctl_past_drivers_table_is_einval(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *kms = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *gem = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint64_t buf[8] = {0};
	unsigned int nr;

	for (nr = DRM_COMMAND_BASE; nr < DRM_COMMAND_END; nr += 0x1f) {
		ut_expect(udrm_file_ioctl(kms, DRM_IOWR(nr, uint64_t[8]), buf),
			  -EINVAL, "vkms driver ioctl nr 0x%x", nr);
	}
	/* vgem's table has a few entries at most; 0x9f is far past it. */
	ut_expect(udrm_file_ioctl(gem, DRM_IOWR(DRM_COMMAND_END - 1,
						 uint64_t[8]),
				  buf),
		  -EINVAL, "vgem driver ioctl nr 0x9f");
	udrm_file_close(gem);
	udrm_file_close(kms);
}

/* The kernel copies _IOC_SIZE(cmd) bytes in, zero-fills what the handler's
 * struct has beyond that, and copies _IOC_SIZE(cmd) bytes back. */
static void short_argument_is_zero_extended_and_only_its_size_copied_out(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t buf[2] = {DRM_CAP_DUMB_BUFFER, 0x5a5a5a5a5a5a5a5aull};

	/* Only .capability is passed; the handler still runs and fills
	 * .value, which must not be written past the caller's 8 bytes. */
	ut_expect(udrm_file_ioctl(f, DRM_IOWR(GETCAP_NR, uint64_t), buf), 0,
		  "GET_CAP with an 8-byte argument");
	ut_check(buf[0] == DRM_CAP_DUMB_BUFFER,
		 "the capability field was changed to 0x%llx",
		 (unsigned long long)buf[0]);
	ut_check(buf[1] == 0x5a5a5a5a5a5a5a5aull,
		 "GET_CAP wrote 0x%llx past the caller's 8-byte argument",
		 (unsigned long long)buf[1]);
	udrm_file_close(f);
}

static void long_argument_tail_is_copied_back_unchanged(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t buf[4] = {DRM_CAP_DUMB_BUFFER, 77, 0x1111222233334444ull,
			   0x5555666677778888ull};

	ut_expect(udrm_file_ioctl(f, DRM_IOWR(GETCAP_NR, uint64_t[3]), buf), 0,
		  "GET_CAP with a 24-byte argument");
	ut_check(buf[1] == 1, "DUMB_BUFFER cap: expected value 1, got %llu",
		 (unsigned long long)buf[1]);
	ut_check(buf[2] == 0x1111222233334444ull,
		 "bytes past the kernel struct but inside the caller's size "
		 "must round-trip unchanged; got 0x%llx",
		 (unsigned long long)buf[2]);
	ut_check(buf[3] == 0x5555666677778888ull,
		 "bytes past the caller's size were written (0x%llx)",
		 (unsigned long long)buf[3]);
	udrm_file_close(f);
}

static void argument_is_copied_out_even_when_handler_fails(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_get_cap cap = {.capability = 0xdead, .value = 12345};

	/* drm_getcap() zeroes .value before rejecting the capability, and
	 * drm_ioctl() copies the struct out whatever the handler returned. */
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, &cap), -EINVAL,
		  "GET_CAP of unknown capability 0xdead on vkms");
	ut_check(cap.value == 0,
		 "a failed GET_CAP must still copy out the zeroed value; "
		 "value is %llu",
		 (unsigned long long)cap.value);
	udrm_file_close(f);
}

static void direction_bits_of_the_caller_limit_the_copies(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER,
				  .value = 99};

	/* _IOW: copied in, never out. */
	ut_expect(udrm_file_ioctl(f, DRM_IOW(GETCAP_NR, struct drm_get_cap),
				  &cap),
		  0, "GET_CAP issued as _IOW");
	ut_check(cap.value == 99,
		 "an _IOW ioctl must not copy out; value became %llu",
		 (unsigned long long)cap.value);

	/* _IOR: nothing copied in, so the handler sees capability 0 (not a
	 * vkms capability) and the zeroed struct is copied out. */
	cap.capability = DRM_CAP_DUMB_BUFFER;
	cap.value = 99;
	ut_expect(udrm_file_ioctl(f, DRM_IOR(GETCAP_NR, struct drm_get_cap),
				  &cap),
		  -EINVAL, "GET_CAP issued as _IOR (capability reads as 0)");
	ut_check(cap.capability == 0 && cap.value == 0,
		 "an _IOR ioctl must copy the kernel struct out: got "
		 "capability %llu value %llu",
		 (unsigned long long)cap.capability,
		 (unsigned long long)cap.value);

	/* _IO: no copies at all, so a NULL argument is fine. */
	ut_expect(udrm_file_ioctl(f, DRM_IO(GETCAP_NR), NULL), -EINVAL,
		  "GET_CAP issued as _IO with a NULL argument");
	udrm_file_close(f);
}

static void bad_argument_pointers_are_efault(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	void *noaccess = ut_noaccess_page();
	void *readonly = ut_readonly_page();

	ut_guard_user_faults();

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, NULL), -EFAULT,
		  "GET_CAP with a NULL argument");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, (void *)1), -EFAULT,
		  "GET_CAP with argument pointer 0x1");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, noaccess), -EFAULT,
		  "GET_CAP with a PROT_NONE argument page");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, UT_KERNEL_ADDRESS),
		  -EFAULT, "GET_CAP with a kernel-half argument address");
	/* Readable, so the copy in works and the handler runs; the copy out
	 * fails. */
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, readonly), -EFAULT,
		  "GET_CAP (_IOWR) with a read-only argument page");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VERSION, readonly), -EFAULT,
		  "VERSION (_IOWR) with a read-only argument page");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_MAGIC, noaccess), -EFAULT,
		  "GET_MAGIC (_IOR) with a PROT_NONE argument page");
	/* An argument that straddles the end of a readable area. */
	{
		long page = ut_page_size();
		char *area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ut_check(area != MAP_FAILED, "mmap failed");
		ut_check(mprotect(area + page, page, PROT_NONE) == 0,
			 "mprotect failed");
		ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP,
					  area + page - 8),
			  -EFAULT, "GET_CAP with a struct crossing into a "
				   "PROT_NONE page");
		munmap(area, 2 * page);
	}
	/* The file still works. */
	{
		struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};

		ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, &cap), 0,
			  "GET_CAP after the faults");
	}
	udrm_file_close(f);
}

static void bad_pointer_inside_argument_is_efault(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_version v = {
		.name_len = 16,
		.name = ut_noaccess_page(),
	};

	ut_guard_user_faults();

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VERSION, &v), -EFAULT,
		  "VERSION with a PROT_NONE name buffer");
	v.name = ut_readonly_page();
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VERSION, &v), -EFAULT,
		  "VERSION with a read-only name buffer");
	udrm_file_close(f);
}

/* ---- drm_ioctl_permit() ---- */

static void render_node_refuses_ioctls_without_render_allow(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct drm_unique u = {0};
	struct drm_auth auth = {0};
	struct drm_set_version sv = {-1, -1, -1, -1};
	struct drm_gem_flink flink = {.handle = 1};
	struct drm_gem_open gopen = {.name = 1};
	struct drm_mode_create_dumb create = {.width = 8, .height = 8,
					      .bpp = 32};
	struct drm_mode_map_dumb map = {.handle = 1};
	struct drm_mode_destroy_dumb destroy = {.handle = 1};
	struct drm_set_client_cap ccap = {.capability =
						  DRM_CLIENT_CAP_STEREO_3D};

	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_GET_UNIQUE, &u), -EACCES,
		  "GET_UNIQUE on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_GET_MAGIC, &auth), -EACCES,
		  "GET_MAGIC on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_AUTH_MAGIC, &auth), -EACCES,
		  "AUTH_MAGIC on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_SET_VERSION, &sv), -EACCES,
		  "SET_VERSION on a render node");
	/* drm_ioctls[]: SET_MASTER, DROP_MASTER and SET_CLIENT_CAP have
	 * flags 0, so render clients are refused. */
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_SET_MASTER, NULL), -EACCES,
		  "SET_MASTER on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_DROP_MASTER, NULL), -EACCES,
		  "DROP_MASTER on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_SET_CLIENT_CAP, &ccap), -EACCES,
		  "SET_CLIENT_CAP on a render node (flags 0 in drm_ioctls[])");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_GEM_FLINK, &flink), -EACCES,
		  "GEM_FLINK on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_GEM_OPEN, &gopen), -EACCES,
		  "GEM_OPEN on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_MODE_CREATE_DUMB, &create),
		  -EACCES, "MODE_CREATE_DUMB on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_MODE_MAP_DUMB, &map), -EACCES,
		  "MODE_MAP_DUMB on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy),
		  -EACCES, "MODE_DESTROY_DUMB on a render node");
	udrm_file_close(r);
}

static void render_node_allows_render_ioctls(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct drm_version v = {0};
	struct drm_get_cap cap = {.capability = DRM_CAP_PRIME};
	struct drm_gem_close close_req = {.handle = 1};
	struct drm_prime_handle prime = {.handle = 1, .fd = -1};

	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_VERSION, &v), 0,
		  "VERSION on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_GET_CAP, &cap), 0,
		  "GET_CAP(PRIME) on a render node");
	/* Allowed, so the handler's own answer comes back. */
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_GEM_CLOSE, &close_req), -EINVAL,
		  "GEM_CLOSE of an unknown handle on a render node");
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime),
		  -ENOENT, "PRIME_HANDLE_TO_FD of an unknown handle on a "
			   "render node");
	prime.fd = -1;
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime),
		  -EBADF, "PRIME_FD_TO_HANDLE of fd -1 on a render node");
	udrm_file_close(r);
}

static void unauthenticated_primary_client_is_refused_auth_ioctls(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *master = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *client = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(client, 16, 16, 32, NULL, NULL);
	uint32_t mh = ut_dumb_create(master, 16, 16, 32, NULL, NULL);
	struct drm_gem_flink flink = {.handle = h};
	struct drm_gem_open gopen = {.name = ut_flink(master, mh)};

	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_GEM_FLINK, &flink),
		  -EACCES, "GEM_FLINK by an unauthenticated client");
	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_GEM_OPEN, &gopen), -EACCES,
		  "GEM_OPEN by an unauthenticated client");
	/* Once authenticated, the same calls work. */
	ut_authenticate(master, client);
	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_GEM_FLINK, &flink), 0,
		  "GEM_FLINK by an authenticated client");
	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_GEM_OPEN, &gopen), 0,
		  "GEM_OPEN by an authenticated client");
	udrm_file_close(client);
	udrm_file_close(master);
}

static void non_master_is_refused_master_ioctls(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *master = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *client = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_auth auth = {.magic = 1};
	struct drm_set_version sv = {-1, -1, -1, -1};

	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_AUTH_MAGIC, &auth),
		  -EACCES, "AUTH_MAGIC by a non-master");
	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_SET_VERSION, &sv), -EACCES,
		  "SET_VERSION by a non-master");
	ut_authenticate(master, client);
	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_SET_VERSION, &sv), -EACCES,
		  "SET_VERSION by an authenticated non-master");
	ut_expect(udrm_file_ioctl(master, DRM_IOCTL_SET_VERSION, &sv), 0,
		  "SET_VERSION by the master");
	udrm_file_close(client);
	udrm_file_close(master);
}

static void permission_is_checked_after_the_argument_is_copied(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);

	ut_guard_user_faults();

	/* drm_ioctl() copies the argument in before drm_ioctl_kernel()
	 * checks permissions. */
	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_MODE_CREATE_DUMB, NULL),
		  -EFAULT, "MODE_CREATE_DUMB on a render node with a NULL "
			   "argument");
	udrm_file_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
		T(non_drm_ioctl_type_is_enotty),
		T(unknown_core_ioctl_number_is_einval),
		T(driver_ioctl_past_drivers_table_is_einval),
		T(short_argument_is_zero_extended_and_only_its_size_copied_out),
		T(long_argument_tail_is_copied_back_unchanged),
		T(argument_is_copied_out_even_when_handler_fails),
		T(direction_bits_of_the_caller_limit_the_copies),
		T(bad_argument_pointers_are_efault),
		T(bad_pointer_inside_argument_is_efault),
		T(render_node_refuses_ioctls_without_render_allow),
		T(render_node_allows_render_ioctls),
		T(unauthenticated_primary_client_is_refused_auth_ioctls),
		T(non_master_is_refused_master_ioctls),
		T(permission_is_checked_after_the_argument_is_copied),
#undef T
	};

	return cmocka_run_group_tests_name("core/ioctl_dispatch", tests, NULL,
					   NULL);
}
