// SPDX-License-Identifier: MIT
/*
 * Global names, as the kernel's drm_gem_flink_ioctl() and
 * drm_gem_open_ioctl(): a name lives while the object has handles.
 */
#include "udrm_test.h"

static long flink(struct udrm_file *f, uint32_t handle, uint32_t *name)
{
	struct drm_gem_flink req = {.handle = handle};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_GEM_FLINK, &req);

	*name = req.name;
	return ret;
}

static long gem_open(struct udrm_file *f, uint32_t name, uint32_t *handle,
		     uint64_t *size)
{
	struct drm_gem_open req = {.name = name};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_GEM_OPEN, &req);

	*handle = req.handle;
	*size = req.size;
	return ret;
}

static void flink_of_unknown_handle_is_enoent(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t name;

	ut_expect(flink(m, 1, &name), -ENOENT, "GEM_FLINK of unknown handle 1");
	ut_expect(flink(m, 0, &name), -ENOENT, "GEM_FLINK of handle 0");
	udrm_file_close(m);
}

static void flink_twice_gives_the_same_name(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t a = ut_dumb_create(m, 8, 8, 32, NULL, NULL);
	uint32_t b = ut_dumb_create(m, 8, 8, 32, NULL, NULL);
	uint32_t na = ut_flink(m, a), nb = ut_flink(m, b);

	ut_check(ut_flink(m, a) == na, "GEM_FLINK twice gave two names");
	ut_check(na != nb, "two objects got the same name %u", na);
	udrm_file_close(m);
}

static void gem_open_of_unknown_name_is_enoent(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h;
	uint64_t size;

	ut_expect(gem_open(m, 0, &h, &size), -ENOENT, "GEM_OPEN of name 0");
	ut_expect(gem_open(m, 12345, &h, &size), -ENOENT,
		  "GEM_OPEN of unknown name 12345");
	udrm_file_close(m);
}

static void gem_open_returns_handle_and_size_of_shared_object(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size, osize;
	uint32_t h = ut_dumb_create(m, 300, 20, 32, NULL, &size);
	uint32_t name = ut_flink(m, h), ch;
	uint8_t *pm, *pc;
	size_t bad;

	ut_authenticate(m, c);
	ut_dumb_create(c, 8, 8, 32, NULL, NULL); /* so ch is not 1 */
	ut_expect(gem_open(c, name, &ch, &osize), 0, "GEM_OPEN of a name");
	ut_check(ch == 2, "GEM_OPEN handle: expected 2 (lowest free), got %u",
		 ch);
	ut_check(osize == size, "GEM_OPEN size: expected %llu, got %llu",
		 (unsigned long long)size, (unsigned long long)osize);
	pm = ut_mmap(m, ut_map_offset(m, h), size, PROT_READ | PROT_WRITE);
	pc = ut_mmap(c, ut_map_offset(c, ch), size, PROT_READ | PROT_WRITE);
	ut_fill(pm, size, 3);
	bad = ut_pattern_mismatch(pc, size, 3);
	ut_check(bad == (size_t)-1, "the opened object does not share pages "
				    "with the original (byte %zu)", bad);
	ut_fill(pc, size, 4);
	bad = ut_pattern_mismatch(pm, size, 4);
	ut_check(bad == (size_t)-1, "writes through the opener are not "
				    "visible to the creator (byte %zu)", bad);
	munmap(pm, size);
	munmap(pc, size);
	udrm_file_close(c);
	udrm_file_close(m);
}

static void gem_open_in_the_same_file_gives_a_new_handle(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(m, 8, 8, 32, NULL, NULL), h2;
	uint64_t size;

	ut_expect(gem_open(m, ut_flink(m, h), &h2, &size), 0,
		  "GEM_OPEN of one's own name");
	ut_check(h2 != h, "GEM_OPEN in the creating file must create a second "
			  "handle, got the original %u", h);
	/* Both handles work, and closing one keeps the object. */
	ut_gem_close(m, h);
	ut_map_offset(m, h2);
	udrm_file_close(m);
}

static void name_disappears_when_the_last_handle_closes(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(m, 8, 8, 32, NULL, NULL);
	uint32_t name = ut_flink(m, h), ch, ch2, again;
	uint64_t size;

	ut_authenticate(m, c);
	ut_expect(gem_open(c, name, &ch, &size), 0, "GEM_OPEN");
	ut_gem_close(m, h);
	ut_expect(gem_open(c, name, &ch2, &size), 0,
		  "GEM_OPEN while another file still has a handle");
	ut_gem_close(c, ch);
	ut_gem_close(c, ch2);
	ut_expect(gem_open(c, name, &ch, &size), -ENOENT,
		  "GEM_OPEN of a name after every handle was closed");
	/* A new object gets a name again (the idr hands out the lowest). */
	h = ut_dumb_create(m, 8, 8, 32, NULL, NULL);
	again = ut_flink(m, h);
	ut_check(again == name, "names are allocated lowest-free: expected "
				"%u again, got %u", name, again);
	udrm_file_close(c);
	udrm_file_close(m);
}

static void names_are_per_device(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *k = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *g = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t name = ut_flink(k, ut_dumb_create(k, 8, 8, 32, NULL, NULL));
	uint32_t h;
	uint64_t size;

	ut_expect(gem_open(g, name, &h, &size), -ENOENT,
		  "GEM_OPEN on vgem of a name made on vkms");
	udrm_file_close(g);
	udrm_file_close(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
		T(flink_of_unknown_handle_is_enoent),
		T(flink_twice_gives_the_same_name),
		T(gem_open_of_unknown_name_is_enoent),
		T(gem_open_returns_handle_and_size_of_shared_object),
		T(gem_open_in_the_same_file_gives_a_new_handle),
		T(name_disappears_when_the_last_handle_closes),
		T(names_are_per_device),
#undef T
	};

	return cmocka_run_group_tests_name("core/flink", tests, NULL, NULL);
}
