// SPDX-License-Identifier: MIT
#include "udrm_test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/uaccess.h"

static const struct {
	int err;
	const char *name;
} ut_errnos[] = {
#define UT_E(e) {e, #e}
	UT_E(EPERM),  UT_E(ENOENT),     UT_E(EINTR),  UT_E(EIO),
	UT_E(EBADF),  UT_E(EAGAIN),     UT_E(ENOMEM), UT_E(EACCES),
	UT_E(EFAULT), UT_E(EBUSY),      UT_E(EEXIST), UT_E(ENODEV),
	UT_E(EINVAL), UT_E(EMFILE),     UT_E(ENOTTY), UT_E(ENOSPC),
	UT_E(ERANGE), UT_E(ENOSYS),     UT_E(EOPNOTSUPP),
	UT_E(ENXIO),  UT_E(ESPIPE),     UT_E(EOVERFLOW),
#undef UT_E
};

const char *ut_errname(long value)
{
	/* Several calls may feed one message: rotate the buffers. */
	static __thread char bufs[4][64];
	static __thread unsigned int next;
	char *buf = bufs[next++ % 4];
	size_t i;

	if (value < 0) {
		for (i = 0; i < sizeof(ut_errnos) / sizeof(ut_errnos[0]); i++) {
			if (ut_errnos[i].err == -value) {
				snprintf(buf, sizeof(bufs[0]), "-%s (%s)",
					 ut_errnos[i].name,
					 strerror(ut_errnos[i].err));
				return buf;
			}
		}
	}
	snprintf(buf, sizeof(bufs[0]), "%ld", value);
	return buf;
}

/* The core's fault guard, captured before cmocka runs (see
 * ut_guard_user_faults()), and what it forwarded to then. */
static struct sigaction ut_guard[2], ut_guard_forward[2];
static const int ut_fault_signals[2] = {SIGSEGV, SIGBUS};

__attribute__((constructor)) static void ut_capture_guard(void)
{
	int i;

	udrm_uaccess_init();
	for (i = 0; i < 2; i++) {
		sigaction(ut_fault_signals[i], NULL, &ut_guard[i]);
		udrm_uaccess_sigaction(ut_fault_signals[i], NULL,
				       &ut_guard_forward[i]);
	}
}

void ut_guard_user_faults(void)
{
	struct sigaction harness;
	int i;

	for (i = 0; i < 2; i++) {
		sigaction(ut_fault_signals[i], &ut_guard[i], &harness);
		udrm_uaccess_sigaction(ut_fault_signals[i], &harness, NULL);
	}
}

static void ut_unguard_user_faults(void)
{
	int i;

	for (i = 0; i < 2; i++)
		udrm_uaccess_sigaction(ut_fault_signals[i],
				       &ut_guard_forward[i], NULL);
}

long ut_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

struct udrm_device *ut_device(const char *driver, int primary_minor,
			      int render_minor, unsigned int flags)
{
	struct udrm_device_desc desc = {
		.driver = driver,
		.primary_minor = primary_minor,
		.render_minor = render_minor,
		.flags = flags,
	};
	struct udrm_device *dev = NULL;

	ut_expect(udrm_device_create(&desc, &dev), 0,
		  "creating a %s device (primary %d, render %d)", driver,
		  primary_minor, render_minor);
	ut_check(dev != NULL, "udrm_device_create succeeded without a device");
	return dev;
}

struct udrm_file *ut_open(struct udrm_device *dev, enum udrm_node_type type,
			  int open_flags)
{
	struct udrm_file *file = NULL;

	ut_expect(udrm_file_open(dev, type, open_flags, &file), 0,
		  "opening the %s node of %s",
		  type == UDRM_NODE_RENDER ? "render" : "primary",
		  udrm_device_driver_name(dev));
	ut_check(file != NULL, "udrm_file_open succeeded without a file");
	return file;
}

static int setup_devices(void **state, unsigned int flags)
{
	struct ut_devices *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	d->vkms = ut_device("vkms", 0, -1, flags);
	d->vgem = ut_device("vgem", 1, 128, flags);
	*state = d;
	return 0;
}

int ut_setup_default(void **state)
{
	return setup_devices(state, 0);
}

int ut_setup_privileged(void **state)
{
	return setup_devices(state, UDRM_DEVICE_PRIVILEGED);
}

int ut_teardown_devices(void **state)
{
	struct ut_devices *d = *state;

	ut_unguard_user_faults();
	if (d) {
		udrm_device_destroy(d->vkms);
		udrm_device_destroy(d->vgem);
		free(d);
	}
	*state = NULL;
	return 0;
}

uint32_t ut_dumb_create(struct udrm_file *file, uint32_t width,
			uint32_t height, uint32_t bpp, uint32_t *pitch,
			uint64_t *size)
{
	struct drm_mode_create_dumb req = {
		.width = width, .height = height, .bpp = bpp,
	};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_CREATE_DUMB, &req), 0,
		  "MODE_CREATE_DUMB %ux%u@%u", width, height, bpp);
	ut_check(req.handle != 0, "MODE_CREATE_DUMB returned handle 0");
	if (pitch)
		*pitch = req.pitch;
	if (size)
		*size = req.size;
	return req.handle;
}

uint64_t ut_map_offset(struct udrm_file *file, uint32_t handle)
{
	struct drm_mode_map_dumb req = {.handle = handle};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_MAP_DUMB, &req), 0,
		  "MODE_MAP_DUMB of handle %u", handle);
	return req.offset;
}

void *ut_mmap(struct udrm_file *file, uint64_t offset, size_t len, int prot)
{
	void *map = NULL;

	ut_expect(udrm_file_mmap(file, NULL, len, prot, MAP_SHARED, offset,
				 &map),
		  0, "mmap of %zu bytes at fake offset 0x%llx", len,
		  (unsigned long long)offset);
	ut_check(map != NULL && map != MAP_FAILED,
		 "udrm_file_mmap succeeded without a mapping");
	return map;
}

void ut_gem_close(struct udrm_file *file, uint32_t handle)
{
	struct drm_gem_close req = {.handle = handle};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_GEM_CLOSE, &req), 0,
		  "GEM_CLOSE of handle %u", handle);
}

void ut_authenticate(struct udrm_file *master, struct udrm_file *client)
{
	struct drm_auth auth = {0};

	ut_expect(udrm_file_ioctl(client, DRM_IOCTL_GET_MAGIC, &auth), 0,
		  "GET_MAGIC in the client");
	ut_check(auth.magic != 0, "GET_MAGIC returned magic 0");
	ut_expect(udrm_file_ioctl(master, DRM_IOCTL_AUTH_MAGIC, &auth), 0,
		  "AUTH_MAGIC of the client's magic %u by the master",
		  auth.magic);
}

uint32_t ut_flink(struct udrm_file *file, uint32_t handle)
{
	struct drm_gem_flink req = {.handle = handle};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_GEM_FLINK, &req), 0,
		  "GEM_FLINK of handle %u", handle);
	ut_check(req.name != 0, "GEM_FLINK returned name 0");
	return req.name;
}

static uint8_t pattern_byte(size_t i, uint32_t seed)
{
	uint32_t x = (uint32_t)i * 2654435761u + seed * 40503u + 1;

	return (uint8_t)(x >> 13) | 1; /* never zero */
}

void ut_fill(void *p, size_t len, uint32_t seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern_byte(i, seed);
}

size_t ut_pattern_mismatch(const void *p, size_t len, uint32_t seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pattern_byte(i, seed))
			return i;
	return (size_t)-1;
}

size_t ut_first_nonzero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return i;
	return (size_t)-1;
}

void *ut_noaccess_page(void)
{
	static void *page;

	/* Kept mapped PROT_NONE: an unmapped page could be reused by the
	 * allocator (or a sanitizer) before the test touches it. */
	if (!page) {
		page = mmap(NULL, ut_page_size(), PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ut_check(page != MAP_FAILED, "mmap of a PROT_NONE page failed");
	}
	return page;
}

void *ut_readonly_page(void)
{
	static void *page;

	if (!page) {
		page = mmap(NULL, ut_page_size(), PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ut_check(page != MAP_FAILED, "mmap of a read-only page failed");
	}
	return page;
}
