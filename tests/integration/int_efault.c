// SPDX-License-Identifier: MIT
/*
 * Bad pointers given to DRM ioctls fail with EFAULT instead of crashing
 * the program, and the program's own SIGSEGV handler still sees its own
 * faults.
 */
#include "itest.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>

static sigjmp_buf own_fault_env;
static volatile sig_atomic_t own_faults;

static void own_handler(int sig)
{
	(void)sig;
	own_faults++;
	siglongjmp(own_fault_env, 1);
}

int main(void)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);
	long page = sysconf(_SC_PAGESIZE);
	/* Kept mapped PROT_NONE: an unmapped hole could be reused by the
	 * allocator (or a sanitizer runtime) before the ioctl. */
	char *noaccess = mmap(NULL, page, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *readonly = mmap(NULL, page, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct drm_version v = {0};
	struct sigaction sa = {0};

	CHECK(noaccess != MAP_FAILED && readonly != MAP_FAILED, "mmap");

	/* A program with its own SIGSEGV handler, installed after udrm. */
	sa.sa_handler = own_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");

	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_VERSION, NULL), EFAULT,
		    "VERSION with a NULL argument");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP, (void *)1), EFAULT,
		    "GET_CAP with argument 0x1");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP, noaccess), EFAULT,
		    "GET_CAP with a PROT_NONE argument");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP,
			  (void *)0xffff888000000000ull),
		    EFAULT, "GET_CAP with a kernel-half address");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP, readonly), EFAULT,
		    "GET_CAP (_IOWR) with a read-only argument");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, noaccess), EFAULT,
		    "drmIoctl(MODE_CREATE_DUMB) with a PROT_NONE argument");
	v.name_len = 16;
	v.name = noaccess;
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_VERSION, &v), EFAULT,
		    "VERSION with a PROT_NONE name buffer");
	CHECK(own_faults == 0,
	      "udrm's recovered faults reached the program's handler");

	/* The program's own fault goes to its handler. */
	if (!sigsetjmp(own_fault_env, 1))
		*(volatile char *)noaccess = 1;
	CHECK(own_faults == 1, "the program's own SIGSEGV handler did not run "
			       "for its own fault");

	/* Still usable. */
	{
		drmVersionPtr ver = drmGetVersion(fd);

		CHECK(ver && !strcmp(ver->name, "vkms"),
		      "drmGetVersion after the faults");
		drmFreeVersion(ver);
	}
	close(fd);
	return 0;
}
