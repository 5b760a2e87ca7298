// SPDX-License-Identifier: MIT
/*
 * The device across fork() and under concurrent ioctls: a child gets a
 * working device, and several threads on one file never corrupt its
 * handle table.
 */
#include "udrm_test.h"

#include <pthread.h>
#include <sys/wait.h>

#include "core/file.h"

/* Runs @fn in a child; the child's failures are reported as exit codes
 * (cmocka's longjmp cannot cross processes). */
static int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	ut_check(pid >= 0, "fork failed");
	if (pid == 0)
		_exit(fn(arg));
	ut_check(waitpid(pid, &status, 0) == pid, "waitpid failed");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

struct fork_ctx {
	struct udrm_file *file;
	uint8_t *parent_map;
	uint64_t size;
};

/* Child: create, map, write and read a new dumb buffer, read a buffer
 * mapped before the fork. Each check has its own exit code. */
static int child_uses_device(void *arg)
{
	struct fork_ctx *c = arg;
	struct drm_mode_create_dumb create = {.width = 64, .height = 64,
					      .bpp = 32};
	struct drm_mode_map_dumb map = {0};
	uint8_t *p;
	void *out = NULL;

	if (ut_pattern_mismatch(c->parent_map, c->size, 5) != (size_t)-1)
		return 10; /* the pre-fork mapping lost its contents */
	if (udrm_file_ioctl(c->file, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return 11;
	map.handle = create.handle;
	if (udrm_file_ioctl(c->file, DRM_IOCTL_MODE_MAP_DUMB, &map))
		return 12;
	if (udrm_file_mmap(c->file, NULL, create.size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, map.offset, &out))
		return 13;
	p = out;
	if (ut_first_nonzero(p, create.size) != (size_t)-1)
		return 14; /* new object not zero: reused the parent's pages */
	ut_fill(p, create.size, 6);
	if (ut_pattern_mismatch(p, create.size, 6) != (size_t)-1)
		return 15;
	/* The parent's pages must not have been handed to the child. */
	if (ut_pattern_mismatch(c->parent_map, c->size, 5) != (size_t)-1)
		return 16;
	return 0;
}

static const char *child_failure(int code)
{
	switch (code) {
	case 10: return "the pre-fork mapping lost its contents in the child";
	case 11: return "MODE_CREATE_DUMB failed in the child";
	case 12: return "MODE_MAP_DUMB failed in the child";
	case 13: return "mmap failed in the child";
	case 14: return "a new object in the child was not zero-filled";
	case 15: return "the child's mapping does not keep its writes";
	case 16: return "the child's new object overwrote a parent object";
	default: return "the child crashed or failed";
	}
}

static void child_can_use_the_device_after_fork(void **state)
{
	struct ut_devices *d = *state;
	struct fork_ctx c;
	uint32_t h;
	int code;

	c.file = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	h = ut_dumb_create(c.file, 64, 64, 32, NULL, &c.size);
	c.parent_map = ut_mmap(c.file, ut_map_offset(c.file, h), c.size,
			       PROT_READ | PROT_WRITE);
	ut_fill(c.parent_map, c.size, 5);
	code = run_child(child_uses_device, &c);
	ut_check(code == 0, "child exit code %d: %s", code,
		 child_failure(code));
	/* The parent keeps working, and its data survived the child. */
	ut_check(ut_pattern_mismatch(c.parent_map, c.size, 5) == (size_t)-1,
		 "the parent's buffer changed while the child ran");
	{
		uint64_t size;
		uint32_t h2 = ut_dumb_create(c.file, 64, 64, 32, NULL, &size);
		uint8_t *p = ut_mmap(c.file, ut_map_offset(c.file, h2), size,
				     PROT_READ | PROT_WRITE);

		ut_check(ut_first_nonzero(p, size) == (size_t)-1,
			 "a new parent object after fork is not zero-filled "
			 "(the child's pages leaked into it)");
		munmap(p, size);
	}
	munmap(c.parent_map, c.size);
	udrm_file_close(c.file);
}

static int child_exits_cleanly(void *arg)
{
	(void)arg;
	return 0;
}

static void fork_with_busy_threads_does_not_deadlock(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	int i;

	/* pthread_atfork takes every device lock: forking repeatedly with
	 * live objects must neither deadlock nor break the parent. */
	for (i = 0; i < 20; i++) {
		uint32_t h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);

		ut_check(run_child(child_exits_cleanly, NULL) == 0,
			 "child %d failed", i);
		ut_gem_close(f, h);
	}
	udrm_file_close(f);
}

/* ---- threads ---- */

enum { THREADS = 4, ITERATIONS = 400 };

struct thread_ctx {
	struct udrm_file *file;
	int index;
	char error[256];
};

static void *hammer(void *arg)
{
	struct thread_ctx *t = arg;
	int i;

	for (i = 0; i < ITERATIONS; i++) {
		struct drm_mode_create_dumb create = {.width = 32,
						      .height = 8 + t->index,
						      .bpp = 32};
		struct drm_gem_flink flink = {0};
		struct drm_gem_open open_req = {0};
		struct drm_mode_map_dumb map = {0};
		struct drm_gem_close close_req = {0};
		long ret;

		ret = udrm_file_ioctl(t->file, DRM_IOCTL_MODE_CREATE_DUMB,
				      &create);
		if (ret) {
			snprintf(t->error, sizeof(t->error),
				 "iteration %d: CREATE_DUMB gave %s", i,
				 ut_errname(ret));
			return NULL;
		}
		flink.handle = create.handle;
		ret = udrm_file_ioctl(t->file, DRM_IOCTL_GEM_FLINK, &flink);
		if (ret) {
			snprintf(t->error, sizeof(t->error),
				 "iteration %d: FLINK of my handle %u gave %s",
				 i, create.handle, ut_errname(ret));
			return NULL;
		}
		open_req.name = flink.name;
		ret = udrm_file_ioctl(t->file, DRM_IOCTL_GEM_OPEN, &open_req);
		if (ret || open_req.size != create.size) {
			snprintf(t->error, sizeof(t->error),
				 "iteration %d: GEM_OPEN of my name %u gave %s "
				 "size %llu (expected %llu)", i, flink.name,
				 ut_errname(ret),
				 (unsigned long long)open_req.size,
				 (unsigned long long)create.size);
			return NULL;
		}
		map.handle = open_req.handle;
		ret = udrm_file_ioctl(t->file, DRM_IOCTL_MODE_MAP_DUMB, &map);
		if (ret) {
			snprintf(t->error, sizeof(t->error),
				 "iteration %d: MAP_DUMB gave %s", i,
				 ut_errname(ret));
			return NULL;
		}
		close_req.handle = create.handle;
		ret = udrm_file_ioctl(t->file, DRM_IOCTL_GEM_CLOSE, &close_req);
		close_req.handle = open_req.handle;
		if (!ret)
			ret = udrm_file_ioctl(t->file, DRM_IOCTL_GEM_CLOSE,
					      &close_req);
		if (ret) {
			snprintf(t->error, sizeof(t->error),
				 "iteration %d: GEM_CLOSE of my handle gave %s",
				 i, ut_errname(ret));
			return NULL;
		}
	}
	return NULL;
}

static void concurrent_create_flink_close_on_one_file(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	pthread_t tids[THREADS];
	struct thread_ctx ctx[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		ctx[i].file = f;
		ctx[i].index = i;
		ctx[i].error[0] = '\0';
		ut_check(pthread_create(&tids[i], NULL, hammer, &ctx[i]) == 0,
			 "pthread_create failed");
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < THREADS; i++)
		ut_check(ctx[i].error[0] == '\0', "thread %d: %s", i,
			 ctx[i].error);
	ut_check(f->handles.count == 0,
		 "every thread closed what it made, but %u handles remain",
		 f->handles.count);
	ut_check(ut_dumb_create(f, 8, 8, 32, NULL, NULL) == 1,
		 "after the threads, the next handle must be 1 again");
	/* Every name went away with its handles. */
	{
		struct drm_gem_open req = {.name = 1};

		ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GEM_OPEN, &req),
			  -ENOENT, "GEM_OPEN of name 1 after all objects "
				   "were closed");
	}
	udrm_file_close(f);
}

struct prime_ctx {
	struct udrm_file *exporter, *importer;
	uint32_t handle;
	char error[256];
};

static void *import_loop(void *arg)
{
	struct prime_ctx *c = arg;
	int i;

	for (i = 0; i < ITERATIONS; i++) {
		struct drm_prime_handle exp = {.handle = c->handle,
					       .flags = DRM_CLOEXEC | DRM_RDWR};
		struct drm_prime_handle imp = {0};
		long ret = udrm_file_ioctl(c->exporter,
					   DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp);

		if (ret) {
			snprintf(c->error, sizeof(c->error),
				 "iteration %d: HANDLE_TO_FD gave %s", i,
				 ut_errname(ret));
			return NULL;
		}
		imp.fd = exp.fd;
		ret = udrm_file_ioctl(c->importer,
				      DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp);
		close(exp.fd);
		if (ret || imp.handle == 0) {
			snprintf(c->error, sizeof(c->error),
				 "iteration %d: FD_TO_HANDLE gave %s handle %u",
				 i, ut_errname(ret), imp.handle);
			return NULL;
		}
	}
	return NULL;
}

static void concurrent_imports_of_one_buffer_agree_on_the_handle(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *e = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct prime_ctx ctx[THREADS];
	pthread_t tids[THREADS];
	uint32_t h = ut_dumb_create(e, 64, 64, 32, NULL, NULL);
	int i;

	for (i = 0; i < THREADS; i++) {
		ctx[i].exporter = e;
		ctx[i].importer = r;
		ctx[i].handle = h;
		ctx[i].error[0] = '\0';
		ut_check(pthread_create(&tids[i], NULL, import_loop, &ctx[i]) ==
				 0,
			 "pthread_create failed");
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < THREADS; i++)
		ut_check(ctx[i].error[0] == '\0', "thread %d: %s", i,
			 ctx[i].error);
	ut_check(r->handles.count == 1,
		 "importing one buffer from %d threads must give one handle, "
		 "the importer holds %u", THREADS, r->handles.count);
	udrm_file_close(r);
	udrm_file_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
		T(child_can_use_the_device_after_fork),
		T(fork_with_busy_threads_does_not_deadlock),
		T(concurrent_create_flink_close_on_one_file),
		T(concurrent_imports_of_one_buffer_agree_on_the_handle),
#undef T
	};

	return cmocka_run_group_tests_name("core/fork_threads", tests, NULL,
					   NULL);
}
