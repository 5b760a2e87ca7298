// SPDX-License-Identifier: MIT
/*
 * The per-call caller (core/uaccess.h): when a transport sets one, every
 * user pointer and user fd of the call is the caller's. The fake caller
 * here has its own "address space" (user addresses are ours shifted by
 * ADDR_SHIFT, which the in-process copies would fault on) and its own fd
 * numbers (ours plus FD_SHIFT, which no real fd has), so an entry point
 * that bypassed the caller for memory or fds fails these tests.
 */
#include "udrm_test.h"

#include <linux/sync_file.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/uaccess.h"

#define ADDR_SHIFT 0x100000000000ull
#define FD_SHIFT   100000

struct fake_caller {
	struct udrm_caller base;
	int installs, uninstalls, gets, copies;
	int fail_install;  /* -errno to fail the next install with */
	bool fail_copy_to; /* fail the next copy to the caller */
};

static struct fake_caller *to_fake(struct udrm_caller *c)
{
	return (struct fake_caller *)c;
}

static int fake_copy_from(struct udrm_caller *c, void *dst, uint64_t src,
			  size_t n)
{
	to_fake(c)->copies++;
	if (src < ADDR_SHIFT)
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)(src - ADDR_SHIFT), n);
	return 0;
}

static int fake_copy_to(struct udrm_caller *c, uint64_t dst, const void *src,
			size_t n)
{
	to_fake(c)->copies++;
	if (dst < ADDR_SHIFT || to_fake(c)->fail_copy_to) {
		to_fake(c)->fail_copy_to = false;
		return -EFAULT;
	}
	memcpy((void *)(uintptr_t)(dst - ADDR_SHIFT), src, n);
	return 0;
}

static int fake_fd_install(struct udrm_caller *c, int fd)
{
	struct fake_caller *f = to_fake(c);

	if (f->fail_install) {
		int ret = f->fail_install;

		f->fail_install = 0;
		close(fd);
		return ret;
	}
	f->installs++;
	return fd + FD_SHIFT;
}

static void fake_fd_uninstall(struct udrm_caller *c, int ufd)
{
	to_fake(c)->uninstalls++;
	close(ufd - FD_SHIFT);
}

static int fake_fd_get(struct udrm_caller *c, int ufd)
{
	int fd;

	to_fake(c)->gets++;
	if (ufd < FD_SHIFT)
		return -EBADF;
	fd = fcntl(ufd - FD_SHIFT, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -EBADF : fd;
}

static const struct udrm_caller_ops fake_ops = {
	.copy_from_user = fake_copy_from,
	.copy_to_user = fake_copy_to,
	.fd_install = fake_fd_install,
	.fd_uninstall = fake_fd_uninstall,
	.fd_get = fake_fd_get,
};

/* The caller's address of our @p. */
static void *user(void *p)
{
	return (void *)(uintptr_t)((uint64_t)(uintptr_t)p + ADDR_SHIFT);
}

/* An ioctl made by @fake on @file. */
static long remote_ioctl(struct fake_caller *fake, struct udrm_file *file,
			 unsigned long cmd, void *arg)
{
	struct udrm_caller *old = udrm_caller_swap(&fake->base);
	long ret = udrm_file_ioctl(file, cmd, user(arg));

	udrm_caller_swap(old);
	return ret;
}

static void fake_init(struct fake_caller *fake)
{
	memset(fake, 0, sizeof(*fake));
	fake->base.ops = &fake_ops;
}

static void prime_fds_are_the_callers(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *a = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *b = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(a, 64, 64, 32, NULL, NULL);
	struct drm_prime_handle exp = {.handle = h, .flags = DRM_CLOEXEC};
	struct drm_prime_handle imp = {0}, again = {0};
	struct fake_caller fake;
	struct stat st;

	fake_init(&fake);
	ut_expect(remote_ioctl(&fake, a, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp), 0,
		  "remote PRIME_HANDLE_TO_FD");
	ut_check(exp.fd >= FD_SHIFT,
		 "the exported fd is the caller's number, got %d", exp.fd);
	ut_expect(fake.installs, 1, "fd installs in the caller");
	ut_check(fstat(exp.fd - FD_SHIFT, &st) == 0 && S_ISREG(st.st_mode),
		 "the installed fd is the dma-buf");
	ut_check(fake.copies >= 2, "the arguments went through the caller");

	imp.fd = exp.fd;
	ut_expect(remote_ioctl(&fake, b, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp), 0,
		  "remote PRIME_FD_TO_HANDLE of the caller's fd");
	ut_check(imp.handle != 0, "a handle in the importing file");
	ut_expect(fake.gets, 1, "fd lookups in the caller");
	again.fd = exp.fd;
	ut_expect(remote_ioctl(&fake, a, DRM_IOCTL_PRIME_FD_TO_HANDLE, &again),
		  0, "remote import into the exporting file");
	ut_expect(again.handle, h, "the exporting file gets its own handle");

	/* Our own number for the same fd means nothing to the caller. */
	imp.fd = exp.fd - FD_SHIFT;
	ut_expect(remote_ioctl(&fake, b, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp),
		  -EBADF, "remote import of an fd the caller does not have");
	close(exp.fd - FD_SHIFT);
	udrm_file_close(b);
	udrm_file_close(a);
}

static void failed_install_fails_the_export(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *a = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(a, 64, 64, 32, NULL, NULL);
	struct drm_prime_handle exp = {.handle = h};
	struct drm_syncobj_create create = {0};
	struct drm_syncobj_handle sh = {0};
	struct fake_caller fake;

	fake_init(&fake);
	fake.fail_install = -EMFILE;
	ut_expect(remote_ioctl(&fake, a, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp),
		  -EMFILE, "PRIME_HANDLE_TO_FD when the caller has no fd left");
	ut_expect(udrm_file_ioctl(a, DRM_IOCTL_SYNCOBJ_CREATE, &create), 0,
		  "SYNCOBJ_CREATE");
	fake.fail_install = -EMFILE;
	sh.handle = create.handle;
	ut_expect(remote_ioctl(&fake, a, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh),
		  -EMFILE,
		  "SYNCOBJ_HANDLE_TO_FD when the caller has no fd left");
	udrm_file_close(a);
}

static void syncobj_and_sync_file_fds_are_the_callers(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *a = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct drm_syncobj_create create = {
		.flags = DRM_SYNCOBJ_CREATE_SIGNALED};
	struct drm_syncobj_handle opaque = {0}, back = {0}, sf = {0}, imp = {0};
	struct sync_merge_data merge = {.name = "merged"};
	struct fake_caller fake;
	struct udrm_caller *old;
	int installs;

	fake_init(&fake);
	ut_expect(udrm_file_ioctl(a, DRM_IOCTL_SYNCOBJ_CREATE, &create), 0,
		  "SYNCOBJ_CREATE");
	opaque.handle = create.handle;
	ut_expect(
		remote_ioctl(&fake, a, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &opaque),
		0, "remote SYNCOBJ_HANDLE_TO_FD");
	ut_check(opaque.fd >= FD_SHIFT, "opaque fd is the caller's, got %d",
		 opaque.fd);
	back.fd = opaque.fd;
	ut_expect(remote_ioctl(&fake, a, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &back),
		  0, "remote SYNCOBJ_FD_TO_HANDLE of the caller's fd");
	ut_check(back.handle != 0 && back.handle != create.handle,
		 "a new handle for the same syncobj");

	sf.handle = create.handle;
	sf.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
	ut_expect(remote_ioctl(&fake, a, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sf),
		  0, "remote export of a sync_file");
	ut_check(sf.fd >= FD_SHIFT, "sync_file fd is the caller's, got %d",
		 sf.fd);
	imp.handle = back.handle;
	imp.fd = sf.fd;
	imp.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
	ut_expect(remote_ioctl(&fake, a, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp),
		  0, "remote import of the caller's sync_file");

	/* sync_file MERGE, an ioctl on the sync_file's own fd: fd2 and the
	 * result are the caller's. */
	merge.fd2 = sf.fd;
	installs = fake.installs;
	old = udrm_caller_swap(&fake.base);
	ut_expect(udrm_sync_file_ioctl(sf.fd - FD_SHIFT, SYNC_IOC_MERGE,
				       user(&merge)),
		  0, "remote SYNC_IOC_MERGE");
	udrm_caller_swap(old);
	ut_expect(fake.installs, installs + 1, "the merged fd is installed");
	ut_check(merge.fence >= FD_SHIFT, "merged fd is the caller's, got %d",
		 merge.fence);

	/* A result that cannot be written back is uninstalled again, as the
	 * kernel never installs it. */
	installs = fake.installs;
	fake.fail_copy_to = true;
	old = udrm_caller_swap(&fake.base);
	ut_expect(udrm_sync_file_ioctl(sf.fd - FD_SHIFT, SYNC_IOC_MERGE,
				       user(&merge)),
		  -EFAULT, "MERGE whose result cannot be written back");
	udrm_caller_swap(old);
	ut_expect(fake.installs, installs + 1, "the merged fd was installed");
	ut_expect(fake.uninstalls, 1, "and uninstalled");

	close(merge.fence - FD_SHIFT);
	close(sf.fd - FD_SHIFT);
	close(opaque.fd - FD_SHIFT);
	udrm_file_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ut_setup_default,                  \
					ut_teardown_devices)
		T(prime_fds_are_the_callers),
		T(failed_install_fails_the_export),
		T(syncobj_and_sync_file_fds_are_the_callers),
#undef T
	};

	return cmocka_run_group_tests_name("core/caller", tests, NULL, NULL);
}
