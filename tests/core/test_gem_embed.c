// SPDX-License-Identifier: MIT
/*
 * GEM objects embedded in a driver's struct (white-box through
 * core/gem.h): udrm_gem_object_init, the release hook that frees the
 * driver's struct, a driver-chosen reservation, and the export hook that
 * vetoes PRIME export (Panthor's private objects).
 */
#include "udrm_test.h"

#include <stdlib.h>

#include "core/gem.h"
#include "sync/dma_resv.h"

struct drv_obj {
	uint32_t magic;
	struct udrm_gem_object base;
};

static int released;
static int export_asked;
static int export_answer;

static void drv_release(struct udrm_gem_object *obj)
{
	struct drv_obj *o = (struct drv_obj *)((char *)obj -
					       offsetof(struct drv_obj, base));

	ut_check(o->magic == 0x5a5a, "release got a struct that is not ours");
	released++;
	free(o);
}

static int drv_export(struct udrm_gem_object *obj)
{
	(void)obj;
	export_asked++;
	return export_answer;
}

static const struct udrm_gem_funcs drv_funcs = {
	.release = drv_release,
	.export = drv_export,
};

static struct drv_obj *drv_obj_create(struct udrm_device *dev, uint64_t size)
{
	struct drv_obj *o = calloc(1, sizeof(*o));

	ut_check(o, "out of memory");
	o->magic = 0x5a5a;
	ut_expect(udrm_gem_object_init(dev, &o->base, size), 0,
		  "udrm_gem_object_init of %llu bytes",
		  (unsigned long long)size);
	o->base.funcs = &drv_funcs;
	return o;
}

static void init_rounds_up_and_release_frees_the_drivers_struct(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct drv_obj *o = drv_obj_create(d->vgem, 5000);
	uint32_t h;
	uint64_t off;
	uint8_t *p;

	released = 0;
	ut_check(o->base.size == 8192,
		 "size 5000 should round to 8192, got %llu",
		 (unsigned long long)o->base.size);
	ut_check(o->base.shm && o->base.resv, "init gave no pages or resv");
	ut_expect(udrm_gem_handle_create(f, &o->base, &h), 0, "handle_create");
	udrm_gem_object_put(&o->base);
	ut_expect(udrm_gem_create_mmap_offset(&o->base, &off), 0,
		  "mmap offset");
	p = ut_mmap(f, off, 8192, PROT_READ | PROT_WRITE);
	ut_check(ut_first_nonzero(p, 8192) == (size_t)-1,
		 "a new embedded object should read as zeros");
	ut_fill(p, 8192, 7);
	munmap(p, 8192);
	ut_check(released == 0, "released while a handle holds it");
	ut_gem_close(f, h);
	ut_check(released == 1, "the last put should call release once, got %d",
		 released);
	udrm_file_close(f);
}

static void init_refuses_zero_and_overflowing_sizes(void **state)
{
	struct ut_devices *d = *state;
	struct drv_obj o = {0};

	ut_expect(udrm_gem_object_init(d->vgem, &o.base, 0), -EINVAL,
		  "init of 0 bytes");
	ut_expect(udrm_gem_object_init(d->vgem, &o.base, UINT64_MAX - 100),
		  -EINVAL, "init of an overflowing size");
}

static void export_hook_vetoes_prime_export(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct drv_obj *o = drv_obj_create(d->vgem, 4096);
	struct drm_prime_handle req = {.flags = DRM_CLOEXEC, .fd = -1};

	released = 0;
	export_asked = 0;
	ut_expect(udrm_gem_handle_create(f, &o->base, &req.handle), 0,
		  "handle_create");
	udrm_gem_object_put(&o->base);

	export_answer = -EINVAL;
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &req),
		  -EINVAL, "HANDLE_TO_FD of an object whose driver refuses");
	ut_check(export_asked == 1, "the export hook should be asked once");
	ut_check(!o->base.dmabuf,
		 "a refused export must not register a dma-buf");

	export_answer = 0;
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &req), 0,
		  "HANDLE_TO_FD once the driver allows it");
	ut_check(req.fd >= 0, "no fd");
	close(req.fd);
	/* Already a dma-buf: the kernel reuses it without asking again. */
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &req), 0,
		  "second HANDLE_TO_FD");
	close(req.fd);
	ut_check(export_asked == 2,
		 "the hook is asked before the first export "
		 "only, asked %d times",
		 export_asked);
	ut_gem_close(f, req.handle);
	ut_check(released == 1, "release not called");
	udrm_file_close(f);
}

static void set_resv_shares_a_reservation(void **state)
{
	struct ut_devices *d = *state;
	struct drv_obj *a = drv_obj_create(d->vgem, 4096);
	struct drv_obj *b = drv_obj_create(d->vgem, 4096);

	released = 0;
	ut_check(a->base.resv != b->base.resv, "objects start with their own");
	udrm_gem_object_set_resv(&b->base, a->base.resv);
	ut_check(a->base.resv == b->base.resv, "set_resv should share a's");
	/* b's reference keeps the reservation alive after a goes. */
	udrm_gem_object_put(&a->base);
	ut_check(atomic_load(&b->base.resv->refcount) == 1,
		 "b should hold the only reference, refcount %d",
		 atomic_load(&b->base.resv->refcount));
	udrm_gem_object_put(&b->base);
	ut_check(released == 2, "both objects released, got %d", released);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ut_setup_default,                  \
					ut_teardown_devices)
		T(init_rounds_up_and_release_frees_the_drivers_struct),
		T(init_refuses_zero_and_overflowing_sizes),
		T(export_hook_vetoes_prime_export),
		T(set_resv_shares_a_reservation),
#undef T
	};

	return cmocka_run_group_tests_name("core/gem_embed", tests, NULL, NULL);
}
