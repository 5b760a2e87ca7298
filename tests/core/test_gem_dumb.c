// SPDX-License-Identifier: MIT
/*
 * GEM handles and dumb buffers, as the kernel's drm_gem.c,
 * drm_dumb_buffers.c and drm_gem_shmem_helper.c: handle allocation, the
 * size checks of MODE_CREATE_DUMB, MAP_DUMB's fake offsets and what
 * drm_gem_mmap() accepts.
 */
#include "udrm_test.h"

#include <sys/resource.h>

#include "core/file.h"

static long create_dumb(struct udrm_file *f, struct drm_mode_create_dumb *req)
{
	return udrm_file_ioctl(f, DRM_IOCTL_MODE_CREATE_DUMB, req);
}

static long gem_close(struct udrm_file *f, uint32_t handle)
{
	struct drm_gem_close req = {.handle = handle};

	return udrm_file_ioctl(f, DRM_IOCTL_GEM_CLOSE, &req);
}

static long mmap_obj(struct udrm_file *f, size_t len, int prot, int flags,
		     uint64_t offset, void **out)
{
	*out = NULL;
	return udrm_file_mmap(f, NULL, len, prot, flags, offset, out);
}

static void handles_start_at_one_and_reuse_lowest_free(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h[4];
	int i;

	for (i = 0; i < 4; i++) {
		h[i] = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
		ut_check(h[i] == (uint32_t)i + 1,
			 "object %d of a new file: expected handle %d, got %u",
			 i, i + 1, h[i]);
	}
	ut_gem_close(f, 2);
	ut_check(ut_dumb_create(f, 16, 16, 32, NULL, NULL) == 2,
		 "after closing handle 2 the next handle must be 2");
	ut_gem_close(f, 1);
	ut_gem_close(f, 3);
	ut_check(ut_dumb_create(f, 16, 16, 32, NULL, NULL) == 1,
		 "after closing 1 and 3 the next handle must be 1");
	ut_check(ut_dumb_create(f, 16, 16, 32, NULL, NULL) == 3,
		 "then 3");
	ut_check(ut_dumb_create(f, 16, 16, 32, NULL, NULL) == 5,
		 "then 5");
	/* Handles are per file. */
	{
		struct udrm_file *g = ut_open(d->vkms, UDRM_NODE_PRIMARY,
					      O_RDWR);

		ut_check(ut_dumb_create(g, 16, 16, 32, NULL, NULL) == 1,
			 "another file's first handle must be 1");
		udrm_file_close(g);
	}
	udrm_file_close(f);
}

static void gem_close_of_unknown_handle_is_einval(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_mode_destroy_dumb destroy = {.handle = 7};
	uint32_t h;

	ut_expect(gem_close(f, 0), -EINVAL, "GEM_CLOSE of handle 0");
	ut_expect(gem_close(f, 7), -EINVAL, "GEM_CLOSE of unknown handle 7");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy),
		  -EINVAL, "DESTROY_DUMB of unknown handle 7");
	h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	ut_expect(gem_close(f, h), 0, "GEM_CLOSE of a live handle");
	ut_expect(gem_close(f, h), -EINVAL, "GEM_CLOSE of the same handle "
					     "twice");
	h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	destroy.handle = h;
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy), 0,
		  "DESTROY_DUMB of a live handle");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy),
		  -EINVAL, "DESTROY_DUMB of the same handle twice");
	udrm_file_close(f);
}

static void dumb_create_rejects_zero_dimensions(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	static const uint32_t dims[][3] = {
		{0, 16, 32}, {16, 0, 32}, {16, 16, 0}, {0, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
		struct drm_mode_create_dumb req = {
			.width = dims[i][0], .height = dims[i][1],
			.bpp = dims[i][2],
			.handle = 55, .pitch = 66, .size = 77,
		};

		ut_expect(create_dumb(f, &req), -EINVAL,
			  "MODE_CREATE_DUMB %ux%u@%u", dims[i][0], dims[i][1],
			  dims[i][2]);
		/* drm_mode_create_dumb_ioctl() clears the outputs on error. */
		ut_check(req.handle == 0 && req.pitch == 0 && req.size == 0,
			 "a failed MODE_CREATE_DUMB must zero handle/pitch/size,"
			 " got %u/%u/%llu", req.handle, req.pitch,
			 (unsigned long long)req.size);
	}
	udrm_file_close(f);
}

static void dumb_create_rejects_sizes_that_overflow_32_bits(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	static const struct {
		uint32_t width, height, bpp;
		const char *why;
	} cases[] = {
		{0xffffffffu, 1, 32, "cpp * width overflows"},
		{4096, 0x100000, 32, "height * stride overflows"},
		{1, 1, 0xfffffff8u, "bpp > U32_MAX - 8"},
		{0xffffffffu, 1, 8, "size 0xffffffff page-aligns to 0"},
		{0x10000, 0x10000, 8, "exactly 4 GiB"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct drm_mode_create_dumb req = {
			.width = cases[i].width, .height = cases[i].height,
			.bpp = cases[i].bpp,
		};

		ut_expect(create_dumb(f, &req), -EINVAL,
			  "MODE_CREATE_DUMB %ux%u@%u (%s)", cases[i].width,
			  cases[i].height, cases[i].bpp, cases[i].why);
	}
	udrm_file_close(f);
}

static void dumb_pitch_and_size_follow_the_shmem_helper(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	const uint64_t page = (uint64_t)ut_page_size();
	static const uint32_t cases[][3] = {
		{1024, 768, 32}, {100, 3, 24}, {33, 17, 16}, {1, 1, 32},
		{4096, 4096, 8}, {641, 480, 32},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t w = cases[i][0], h = cases[i][1], bpp = cases[i][2];
		uint32_t pitch_want = (w * bpp + 7) / 8;
		uint64_t size_want = ((uint64_t)pitch_want * h + page - 1) /
				     page * page;
		uint32_t pitch;
		uint64_t size;

		ut_dumb_create(f, w, h, bpp, &pitch, &size);
		ut_check(pitch == pitch_want && size == size_want,
			 "%ux%u@%u: expected pitch %u size %llu, got pitch %u "
			 "size %llu", w, h, bpp, pitch_want,
			 (unsigned long long)size_want, pitch,
			 (unsigned long long)size);
	}
	udrm_file_close(f);
}

static void dumb_create_ignores_pitch_and_size_inputs(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_mode_create_dumb req = {
		.width = 64, .height = 64, .bpp = 32,
		.pitch = 1, .size = 1ull << 40, .handle = 1234,
	};

	/* drm_mode_create_dumb() zeroes them before the driver sees them. */
	ut_expect(create_dumb(f, &req), 0, "MODE_CREATE_DUMB with garbage in "
					   "the output fields");
	ut_check(req.pitch == 256 && req.size == 16384 && req.handle == 1,
		 "expected pitch 256, size 16384, handle 1; got %u, %llu, %u",
		 req.pitch, (unsigned long long)req.size, req.handle);
	udrm_file_close(f);
}

static void dumb_create_ignores_flags(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_mode_create_dumb req = {
		.width = 64, .height = 64, .bpp = 32, .flags = 0x1,
	};

	/* drm_mode_create_dumb() never looks at .flags (a patch to reject
	 * them was discussed but the kernel still accepts any value). */
	ut_expect(create_dumb(f, &req), 0, "MODE_CREATE_DUMB with flags 0x1");
	udrm_file_close(f);
}

static void map_dumb_gives_page_aligned_offsets_above_4g(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t a = ut_dumb_create(f, 64, 64, 32, NULL, NULL);
	uint32_t b = ut_dumb_create(f, 64, 64, 32, NULL, NULL);
	uint64_t oa = ut_map_offset(f, a), ob = ut_map_offset(f, b);
	struct drm_mode_map_dumb bad = {.handle = 99, .offset = 42};

	ut_check(oa >= (1ull << 32) && ob >= (1ull << 32),
		 "fake offsets start at DRM_FILE_PAGE_OFFSET_START (4 GiB); "
		 "got 0x%llx and 0x%llx",
		 (unsigned long long)oa, (unsigned long long)ob);
	ut_check(oa % (uint64_t)ut_page_size() == 0 &&
			 ob % (uint64_t)ut_page_size() == 0,
		 "fake offsets must be page aligned");
	ut_check(oa != ob, "two objects got the same fake offset");
	ut_check(ut_map_offset(f, a) == oa,
		 "MAP_DUMB twice must give the same offset");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_MODE_MAP_DUMB, &bad), -ENOENT,
		  "MAP_DUMB of unknown handle 99");
	ut_check(bad.offset == 0,
		 "a failed MAP_DUMB must zero the offset, got 0x%llx",
		 (unsigned long long)bad.offset);
	udrm_file_close(f);
}

static void dumb_mapping_is_zero_filled_and_shared(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = ut_dumb_create(f, 256, 64, 32, NULL, &size);
	uint64_t off = ut_map_offset(f, h);
	uint8_t *a = ut_mmap(f, off, size, PROT_READ | PROT_WRITE);
	uint8_t *b = ut_mmap(f, off, size, PROT_READ);
	size_t bad;

	bad = ut_first_nonzero(a, size);
	ut_check(bad == (size_t)-1, "a new dumb buffer has a non-zero byte at "
				    "%zu", bad);
	ut_fill(a, size, 1);
	bad = ut_pattern_mismatch(b, size, 1);
	ut_check(bad == (size_t)-1, "a second mapping does not show the "
				    "first one's writes (byte %zu)", bad);
	munmap(a, size);
	munmap(b, size);
	udrm_file_close(f);
}

static void freed_pages_read_as_zero_in_a_new_object(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	int round;

	/* Dirty and free objects, then check new ones are clean: objects
	 * share an arena whose pages are reused. */
	for (round = 0; round < 8; round++) {
		uint32_t h = ut_dumb_create(f, 128, 128, 32, NULL, &size);
		uint8_t *p = ut_mmap(f, ut_map_offset(f, h), size,
				     PROT_READ | PROT_WRITE);
		size_t bad = ut_first_nonzero(p, size);

		ut_check(bad == (size_t)-1,
			 "round %d: a new object has a non-zero byte at %zu "
			 "(a freed object's data leaked)", round, bad);
		ut_fill(p, size, (uint32_t)round);
		munmap(p, size);
		ut_gem_close(f, h);
	}
	udrm_file_close(f);
}

static void mmap_checks_offset_length_and_sharing(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	const size_t page = (size_t)ut_page_size();
	uint64_t size;
	uint32_t h = ut_dumb_create(f, 1024, 2, 32, NULL, &size); /* 2 pages */
	uint64_t off = ut_map_offset(f, h);
	void *map;

	ut_check(size == 2 * page, "expected a 2-page object");
	ut_expect(mmap_obj(f, size + page, PROT_READ, MAP_SHARED, off, &map),
		  -EINVAL, "mmap longer than the object");
	ut_expect(mmap_obj(f, page, PROT_READ, MAP_SHARED, off + page, &map),
		  -EINVAL, "mmap at an offset inside the object");
	ut_expect(mmap_obj(f, page, PROT_READ, MAP_SHARED, off + 64 * page,
			   &map),
		  -EINVAL, "mmap at an offset no object has");
	ut_expect(mmap_obj(f, page, PROT_READ, MAP_SHARED, 0, &map), -EINVAL,
		  "mmap at offset 0");
	/* drm_gem_shmem_mmap(): is_cow_mapping() -> -EINVAL. */
	ut_expect(mmap_obj(f, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, off,
			   &map),
		  -EINVAL, "MAP_PRIVATE mmap of a dumb buffer");
	/* A prefix of the object is fine. */
	ut_expect(mmap_obj(f, page, PROT_READ | PROT_WRITE, MAP_SHARED, off,
			   &map),
		  0, "mmap of the first page of a 2-page object");
	munmap(map, page);
	udrm_file_close(f);
}

static void mmap_needs_a_handle_in_the_mapping_file(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *g = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = ut_dumb_create(f, 64, 64, 32, NULL, &size);
	uint64_t off = ut_map_offset(f, h);
	void *map;

	/* drm_vma_node_is_allowed() fails: -EACCES. */
	ut_expect(mmap_obj(g, size, PROT_READ, MAP_SHARED, off, &map), -EACCES,
		  "mmap of another file's object");
	/* Once the handle is gone from f, f may not map it either. */
	ut_gem_close(f, h);
	ut_expect(mmap_obj(f, size, PROT_READ, MAP_SHARED, off, &map), -EINVAL,
		  "mmap of a freed object's old offset");
	udrm_file_close(g);
	udrm_file_close(f);
}

static void readonly_file_cannot_map_for_writing(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDONLY);
	uint64_t size;
	uint32_t h = ut_dumb_create(f, 64, 64, 32, NULL, &size);
	uint64_t off = ut_map_offset(f, h);
	void *map;

	ut_expect(mmap_obj(f, size, PROT_READ | PROT_WRITE, MAP_SHARED, off,
			   &map),
		  -EACCES, "PROT_WRITE shared mmap on an O_RDONLY file");
	ut_expect(mmap_obj(f, size, PROT_READ, MAP_SHARED, off, &map), 0,
		  "PROT_READ mmap on an O_RDONLY file");
	munmap(map, size);
	udrm_file_close(f);
}

static void mapping_stays_valid_after_handle_is_closed(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = ut_dumb_create(f, 64, 64, 32, NULL, &size);
	uint8_t *p = ut_mmap(f, ut_map_offset(f, h), size,
			     PROT_READ | PROT_WRITE);
	size_t bad;

	ut_fill(p, size, 7);
	ut_gem_close(f, h);
	/* Other objects must not land on the still-mapped pages. */
	{
		uint64_t s2;
		uint32_t h2 = ut_dumb_create(f, 64, 64, 32, NULL, &s2);
		uint8_t *q = ut_mmap(f, ut_map_offset(f, h2), s2,
				     PROT_READ | PROT_WRITE);

		memset(q, 0xee, s2);
		munmap(q, s2);
	}
	bad = ut_pattern_mismatch(p, size, 7);
	ut_check(bad == (size_t)-1, "a mapping changed after its handle was "
				    "closed and a new object was made: byte "
				    "%zu is 0x%02x", bad,
		 bad == (size_t)-1 ? 0 : p[bad]);
	ut_fill(p, size, 8); /* still writable */
	munmap(p, size);
	udrm_file_close(f);
}

static void closing_the_file_releases_its_handles(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(m, 64, 64, 32, NULL, NULL);
	struct drm_gem_open req = {.name = ut_flink(m, h)};
	struct udrm_file *n;

	udrm_file_close(m);
	n = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR); /* new master */
	ut_expect(udrm_file_ioctl(n, DRM_IOCTL_GEM_OPEN, &req), -ENOENT,
		  "GEM_OPEN of a name whose only handle was in a closed file");
	udrm_file_close(n);
}

static void ten_thousand_objects_fit_under_a_1024_fd_limit(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct rlimit old, lim;
	uint32_t i, h;
	uint8_t *p;
	uint64_t size;

	ut_check(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit failed");
	lim = old;
	if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 1024)
		lim.rlim_cur = 1024;
	ut_check(setrlimit(RLIMIT_NOFILE, &lim) == 0, "setrlimit failed");

	for (i = 1; i <= 10000; i++) {
		struct drm_mode_create_dumb req = {.width = 32, .height = 32,
						   .bpp = 32};
		long ret = create_dumb(f, &req);

		if (ret) {
			setrlimit(RLIMIT_NOFILE, &old);
			fail_msg("object %u of 10000: MODE_CREATE_DUMB gave %s "
				 "(objects must not each take an fd)",
				 i, ut_errname(ret));
		}
		if (req.handle != i) {
			setrlimit(RLIMIT_NOFILE, &old);
			fail_msg("object %u got handle %u", i, req.handle);
		}
	}
	/* The last one is usable. */
	h = 10000;
	p = ut_mmap(f, ut_map_offset(f, h), 4096, PROT_READ | PROT_WRITE);
	p[4095] = 1;
	munmap(p, 4096);
	ut_check(f->handles.count == 10000,
		 "the file's handle table holds %u handles, expected 10000",
		 f->handles.count);
	for (i = 1; i <= 10000; i += 2)
		ut_gem_close(f, i);
	ut_check(ut_dumb_create(f, 32, 32, 32, NULL, &size) == 1,
		 "after closing the odd handles, the next must be 1");
	udrm_file_close(f);
	setrlimit(RLIMIT_NOFILE, &old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
		T(handles_start_at_one_and_reuse_lowest_free),
		T(gem_close_of_unknown_handle_is_einval),
		T(dumb_create_rejects_zero_dimensions),
		T(dumb_create_rejects_sizes_that_overflow_32_bits),
		T(dumb_pitch_and_size_follow_the_shmem_helper),
		T(dumb_create_ignores_pitch_and_size_inputs),
		T(dumb_create_ignores_flags),
		T(map_dumb_gives_page_aligned_offsets_above_4g),
		T(dumb_mapping_is_zero_filled_and_shared),
		T(freed_pages_read_as_zero_in_a_new_object),
		T(mmap_checks_offset_length_and_sharing),
		T(mmap_needs_a_handle_in_the_mapping_file),
		T(readonly_file_cannot_map_for_writing),
		T(mapping_stays_valid_after_handle_is_closed),
		T(closing_the_file_releases_its_handles),
		T(ten_thousand_objects_fit_under_a_1024_fd_limit),
#undef T
	};

	return cmocka_run_group_tests_name("core/gem_dumb", tests, NULL, NULL);
}
