// SPDX-License-Identifier: MIT
/*
 * Bad ioctl arguments fail with EFAULT and never fault the program, on a
 * file already used (so that, under the server, the ioctls go through the
 * shared request slot, their argument copied by the interposer's fault
 * guard): an unmapped, a NULL, a read-only out and a half-mapped argument;
 * a program's own SIGSEGV handler still gets its own faults; and the
 * argument struct, its nested buffers and a mapping of the buffer it
 * names come back right. A forked child's ioctls use its own connection
 * and leave its parent's working.
 */
#include "mp.h"

#include <setjmp.h>
#include <sys/mman.h>

static sigjmp_buf own_fault;
static volatile sig_atomic_t own_faults;

static void on_segv(int sig)
{
	(void)sig;
	own_faults++;
	siglongjmp(own_fault, 1);
}

static void check_getcap(int fd, const char *who)
{
	struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};

	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP, &cap), 0, "%s: GET_CAP", who);
	CHECK(cap.value == 1, "%s: GET_CAP(DUMB_BUFFER) = %llu, expected 1",
	      who, (unsigned long long)cap.value);
}

struct child_args {
	int fd;
	void *none;
};

static void child_main(void *arg, int sock)
{
	struct child_args *a = arg;

	(void)sock;
	check_getcap(a->fd, "forked child");
	CHECK_ERRNO(ioctl(a->fd, DRM_IOCTL_GET_CAP, a->none), EFAULT,
		    "forked child: GET_CAP into PROT_NONE memory");
	check_getcap(a->fd, "forked child, again");
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_NODEFER};
	long page = sysconf(_SC_PAGESIZE);
	struct drm_mode_create_dumb *edge;
	char name[16] = {0};
	struct drm_version version = {.name = name,
				      .name_len = sizeof(name) - 1};
	struct itest_dumb dumb;
	struct child_args args;
	struct mp_peer child;
	unsigned char *pages, *map;
	void *none, *ro;
	int fd;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	check_getcap(fd, "first use");

	none = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ro = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	pages = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(none != MAP_FAILED && ro != MAP_FAILED && pages != MAP_FAILED,
	      "mmap");
	CHECK(mprotect(pages + page, (size_t)page, PROT_NONE) == 0, "mprotect");

	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP, none), EFAULT,
		    "GET_CAP into PROT_NONE memory");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP, NULL), EFAULT,
		    "GET_CAP with a NULL argument");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_VERSION, ro), EFAULT,
		    "VERSION into read-only memory");
	/* The struct's last 8 bytes are on the unmapped page. */
	edge = (void *)(pages + page - sizeof(*edge) + 8);
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, edge), EFAULT,
		    "CREATE_DUMB with a half-mapped argument");
	check_getcap(fd, "after the bad pointers");

	/* The program's own faults still reach its handler. */
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");
	if (!sigsetjmp(own_fault, 1))
		*(volatile int *)none = 1;
	CHECK(own_faults == 1, "the program's handler saw its fault");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_GET_CAP, none), EFAULT,
		    "GET_CAP into PROT_NONE memory, with the program's "
		    "handler installed");
	CHECK(own_faults == 1, "udrm's fault did not reach the program");

	/* Out structs, nested buffers, the buffer they name. */
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_VERSION, &version), 0, "VERSION");
	CHECK(!strcmp(name, "vkms") && version.name_len == 4,
	      "VERSION names vkms: '%s' (%zu)", name, version.name_len);
	dumb = itest_dumb_create(fd, 64, 64, 32);
	CHECK(dumb.pitch == 256 && dumb.size >= 64 * 256,
	      "CREATE_DUMB: pitch %u size %llu", dumb.pitch,
	      (unsigned long long)dumb.size);
	map = itest_mmap(fd, dumb.offset, dumb.size, PROT_READ | PROT_WRITE);
	itest_fill(map, dumb.size, 7);
	CHECK(itest_mismatch(map, dumb.size, 7) == (size_t)-1,
	      "the mapping holds what was written");
	munmap(map, dumb.size);

	args.fd = fd;
	args.none = none;
	mp_fork(&child, "the forked child", child_main, &args);
	check_getcap(fd, "parent while the child runs");
	mp_peer_join(&child);
	check_getcap(fd, "parent after the child");
	close(fd);
	return 0;
}
