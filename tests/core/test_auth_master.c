// SPDX-License-Identifier: MIT
/*
 * Master and authentication, as the kernel's drm_auth.c: who becomes
 * master, GET_MAGIC/AUTH_MAGIC, SET_MASTER/DROP_MASTER and their
 * drm_master_check_perm() rules (CAP_SYS_ADMIN is UDRM_DEVICE_PRIVILEGED).
 */
#include "udrm_test.h"

/* A file is current master iff a DRM_MASTER ioctl passes the permission
 * check: SET_VERSION with all fields -1 changes nothing. */
static bool is_current_master(struct udrm_file *f)
{
	struct drm_set_version sv = {-1, -1, -1, -1};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_SET_VERSION, &sv);

	ut_check(ret == 0 || ret == -EACCES,
		 "SET_VERSION(-1...) must give 0 or -EACCES, got %s",
		 ut_errname(ret));
	return ret == 0;
}

/* Authenticated iff a DRM_AUTH ioctl passes: GEM_OPEN of name 0 then
 * fails in the handler (-ENOENT) instead of the check (-EACCES). */
static bool is_authenticated(struct udrm_file *f)
{
	struct drm_gem_open req = {.name = 0};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_GEM_OPEN, &req);

	ut_check(ret == -ENOENT || ret == -EACCES,
		 "GEM_OPEN(name 0) must give -ENOENT or -EACCES, got %s",
		 ut_errname(ret));
	return ret == -ENOENT;
}

static uint32_t get_magic(struct udrm_file *f)
{
	struct drm_auth auth = {0};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_MAGIC, &auth), 0,
		  "GET_MAGIC");
	return auth.magic;
}

static long auth_magic(struct udrm_file *master, uint32_t magic)
{
	struct drm_auth auth = {.magic = magic};

	return udrm_file_ioctl(master, DRM_IOCTL_AUTH_MAGIC, &auth);
}

static void first_primary_opener_is_master_and_authenticated(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *first = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *second = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_check(is_current_master(first), "the first opener must be master");
	ut_check(is_authenticated(first),
		 "the first opener must be authenticated");
	ut_check(!is_current_master(second),
		 "the second opener must not be master");
	ut_check(!is_authenticated(second),
		 "the second opener of an unprivileged device must not be "
		 "authenticated");
	/* Each device has its own master. */
	{
		struct udrm_file *g = ut_open(d->vgem, UDRM_NODE_PRIMARY,
					      O_RDWR);

		ut_check(is_current_master(g),
			 "the first opener of vgem's card must be its master");
		udrm_file_close(g);
	}
	udrm_file_close(second);
	udrm_file_close(first);
}

static void get_magic_is_nonzero_stable_and_per_file(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *a = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *b = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t ma = get_magic(a), mb = get_magic(b);

	ut_check(ma != 0 && mb != 0, "magics must be non-zero (%u, %u)", ma,
		 mb);
	ut_check(get_magic(a) == ma,
		 "GET_MAGIC twice on one file must return the same magic");
	ut_check(ma != mb, "two files got the same magic %u", ma);
	udrm_file_close(b);
	udrm_file_close(a);
	udrm_file_close(m);
}

static void auth_magic_authenticates_the_client_once(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t magic = get_magic(c);
	uint32_t h;

	ut_expect(auth_magic(m, magic), 0, "AUTH_MAGIC of the client's magic");
	ut_check(is_authenticated(c),
		 "AUTH_MAGIC must authenticate the client");
	/* drm_authmagic() clears the entry: a magic works once. */
	ut_expect(auth_magic(m, magic), -EINVAL,
		  "AUTH_MAGIC of an already used magic");
	/* ... and the client can now flink. */
	h = ut_dumb_create(c, 8, 8, 32, NULL, NULL);
	ut_flink(c, h);
	udrm_file_close(c);
	udrm_file_close(m);
}

static void auth_magic_of_unknown_magic_is_einval(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t magic = get_magic(c);

	ut_expect(auth_magic(m, magic + 1000), -EINVAL,
		  "AUTH_MAGIC of a magic nobody got");
	ut_expect(auth_magic(m, 0), -EINVAL, "AUTH_MAGIC of magic 0");
	ut_check(!is_authenticated(c),
		 "a failed AUTH_MAGIC must not authenticate anyone");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void magic_of_closed_file_cannot_be_authenticated(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t magic = get_magic(c);

	udrm_file_close(c);
	ut_expect(auth_magic(m, magic), -EINVAL,
		  "AUTH_MAGIC of the magic of a closed file");
	udrm_file_close(m);
}

static void set_master_while_another_is_master_unprivileged_is_eacces(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	/* drm_master_check_perm(): never master and no CAP_SYS_ADMIN. */
	ut_expect(udrm_file_ioctl(c, DRM_IOCTL_SET_MASTER, NULL), -EACCES,
		  "SET_MASTER by an unprivileged non-master");
	ut_check(is_current_master(m), "the master lost master");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void set_master_while_another_is_master_privileged_is_ebusy(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(udrm_file_ioctl(c, DRM_IOCTL_SET_MASTER, NULL), -EBUSY,
		  "SET_MASTER by a privileged non-master while a master "
		  "exists");
	ut_check(is_current_master(m), "the master lost master");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void set_master_by_current_master_is_a_no_op(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_SET_MASTER, NULL), 0,
		  "SET_MASTER by the current master");
	ut_check(is_current_master(m), "still master");
	udrm_file_close(m);
}

static void drop_master_by_non_master_unprivileged_is_eacces(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	/* drm_dropmaster_ioctl() checks drm_master_check_perm() first. */
	ut_expect(udrm_file_ioctl(c, DRM_IOCTL_DROP_MASTER, NULL), -EACCES,
		  "DROP_MASTER by an unprivileged file that never was master");
	ut_check(is_current_master(m), "the master lost master");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void drop_master_by_non_master_privileged_is_einval(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(udrm_file_ioctl(c, DRM_IOCTL_DROP_MASTER, NULL), -EINVAL,
		  "DROP_MASTER by a privileged non-master");
	ut_check(is_current_master(m), "the master lost master");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void dropped_master_may_set_master_again(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_DROP_MASTER, NULL), 0,
		  "DROP_MASTER by the master");
	ut_check(!is_current_master(m), "a dropped master is still master");
	ut_check(is_authenticated(m),
		 "dropping master must not unauthenticate the file");
	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_DROP_MASTER, NULL), -EINVAL,
		  "DROP_MASTER again by a former master");
	/* Nobody is master now, but the other file never was one. */
	ut_expect(udrm_file_ioctl(c, DRM_IOCTL_SET_MASTER, NULL), -EACCES,
		  "SET_MASTER by an unprivileged file that never was master, "
		  "with no master");
	/* was_master and the same process: allowed without privilege. */
	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_SET_MASTER, NULL), 0,
		  "SET_MASTER by the former master");
	ut_check(is_current_master(m), "SET_MASTER did not restore master");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void privileged_file_takes_master_when_none_is_set(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_DROP_MASTER, NULL), 0,
		  "DROP_MASTER by the master");
	ut_expect(udrm_file_ioctl(c, DRM_IOCTL_SET_MASTER, NULL), 0,
		  "SET_MASTER by a privileged file with no master");
	ut_check(is_current_master(c), "the new master is not master");
	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_SET_MASTER, NULL), -EBUSY,
		  "SET_MASTER by the former master while another is master");
	/* The new master has its own magic map: it authenticates. */
	{
		struct udrm_file *x = ut_open(d->vkms, UDRM_NODE_PRIMARY,
					      O_RDWR);

		ut_expect(auth_magic(c, get_magic(x)), 0,
			  "AUTH_MAGIC by the new master of a file opened "
			  "after it took master");
		udrm_file_close(x);
	}
	udrm_file_close(c);
	udrm_file_close(m);
}

static void closing_master_lets_next_opener_become_master(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *n;

	udrm_file_close(m);
	ut_check(!is_current_master(c),
		 "an existing file must not become master when the master "
		 "closes");
	n = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	ut_check(is_current_master(n),
		 "the first opener after the master closed must be master");
	ut_check(is_authenticated(n), "the new master must be authenticated");
	udrm_file_close(n);
	udrm_file_close(c);
}

static void authentication_survives_master_drop(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_authenticate(m, c);
	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_DROP_MASTER, NULL), 0,
		  "DROP_MASTER");
	ut_check(is_authenticated(c),
		 "a client stays authenticated after its master drops");
	ut_expect(auth_magic(m, 1), -EACCES,
		  "AUTH_MAGIC by a dropped master");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void privileged_device_files_start_authenticated(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_check(!is_current_master(c), "the second file must not be master");
	ut_check(is_authenticated(c),
		 "files of a privileged device start authenticated "
		 "(drm_file_alloc: capable(CAP_SYS_ADMIN))");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void render_files_have_no_master(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *p;

	ut_expect(udrm_file_ioctl(r, DRM_IOCTL_SET_MASTER, NULL), -EACCES,
		  "SET_MASTER on a render node");
	/* The render opener did not take master: the card's first opener
	 * still becomes master. */
	p = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	ut_check(is_current_master(p),
		 "the first primary opener must be master even when a render "
		 "file was opened before");
	udrm_file_close(p);
	udrm_file_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
#define P(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_privileged, \
					      ut_teardown_devices)
		T(first_primary_opener_is_master_and_authenticated),
		T(get_magic_is_nonzero_stable_and_per_file),
		T(auth_magic_authenticates_the_client_once),
		T(auth_magic_of_unknown_magic_is_einval),
		T(magic_of_closed_file_cannot_be_authenticated),
		T(set_master_while_another_is_master_unprivileged_is_eacces),
		P(set_master_while_another_is_master_privileged_is_ebusy),
		T(set_master_by_current_master_is_a_no_op),
		T(drop_master_by_non_master_unprivileged_is_eacces),
		P(drop_master_by_non_master_privileged_is_einval),
		T(dropped_master_may_set_master_again),
		P(privileged_file_takes_master_when_none_is_set),
		T(closing_master_lets_next_opener_become_master),
		T(authentication_survives_master_drop),
		P(privileged_device_files_start_authenticated),
		T(render_files_have_no_master),
#undef T
#undef P
	};

	return cmocka_run_group_tests_name("core/auth_master", tests, NULL,
					   NULL);
}
