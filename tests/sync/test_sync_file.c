// SPDX-License-Identifier: MIT
/*
 * sync_file, as the kernel's drivers/dma-buf/sync_file.c and its
 * selftests (tools/testing/selftests/sync: sync_fence, sync_merge,
 * sync_wait, sync_stress_consumer): readability, merges, FILE_INFO,
 * deadlines and errno, then the two places sync_files cross into other
 * objects: DRM syncobjs (HANDLE_TO_FD / FD_TO_HANDLE with the sync_file
 * flags) and dma-bufs (DMA_BUF_IOCTL_EXPORT/IMPORT_SYNC_FILE).
 *
 * The kernel's selftests use sw_sync timelines; here fences are mock
 * fences the test signals (tests/sync/syncobj_test.h) or vgem fences.
 */
#include "syncobj_test.h"

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "drivers/vgem/vgem_drm.h"
#include "sync/fence_work.h"
#include "sync/sync_fd.h"
#include "sync/sync_file.h"

/*
 * ThreadSanitizer intercepts SIGSEGV so the core's fault guard cannot
 * recover a fault inside a copy (test_syncobj's -EFAULT rows crash there
 * too): under it the -EFAULT checks are left out, the threaded ones run.
 */
#if defined(__SANITIZE_THREAD__)
#define SF_CAN_FAULT 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SF_CAN_FAULT 0
#endif
#endif
#ifndef SF_CAN_FAULT
#define SF_CAN_FAULT 1
#endif

/* A mock fence on (@context, @seqno) of driver "udrm-test", timeline
 * @timeline; records deadlines (so_mock_ops). */
static struct so_mock_fence *sf_fence(uint64_t context, uint64_t seqno,
				      const char *timeline)
{
	struct udrm_fence_names *names =
		udrm_fence_names_create("udrm-test", timeline);
	struct so_mock_fence *m = calloc(1, sizeof(*m));

	ut_check(m && names, "out of memory for a mock fence");
	udrm_fence_init(&m->base, &so_mock_ops, NULL, names, context, seqno);
	udrm_fence_names_put(names);
	return m;
}

static int sf_create(struct udrm_fence *fence)
{
	int fd = udrm_sync_file_create(fence, true);

	ut_check(fd >= 0, "udrm_sync_file_create: %s", ut_errname(fd));
	return fd;
}

/* Whether @fd polls POLLIN within @timeout_ms. */
static bool readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int n = poll(&pfd, 1, timeout_ms);

	ut_check(n >= 0, "poll: %s", strerror(errno));
	return n == 1 && (pfd.revents & POLLIN);
}

static long merge(int fd, int fd2, const char *name, int *out)
{
	struct sync_merge_data data = {.fd2 = fd2};
	long ret;

	snprintf(data.name, sizeof(data.name), "%s", name);
	ret = udrm_sync_file_ioctl(fd, SYNC_IOC_MERGE, &data);
	if (out)
		*out = ret ? -1 : data.fence;
	return ret;
}

static int merge_ok(int fd, int fd2, const char *name)
{
	int out;

	ut_expect(merge(fd, fd2, name, &out), 0, "SYNC_IOC_MERGE of %d and %d",
		  fd, fd2);
	ut_check(out >= 0, "SYNC_IOC_MERGE returned fd %d", out);
	return out;
}

/* FILE_INFO: the number of fences (num_fences 0 asks for the count). */
static uint32_t fence_count(int fd)
{
	struct sync_file_info info = {0};

	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info), 0,
		  "SYNC_IOC_FILE_INFO count of fd %d", fd);
	return info.num_fences;
}

/* The fence behind @fd is @want (pointer identity). */
static void expect_fence(int fd, struct udrm_fence *want, const char *what)
{
	struct udrm_fence *got = udrm_sync_file_get_fence(fd);

	ut_check(got == want, "%s: expected fence %p, got %p", what,
		 (void *)want, (void *)got);
	udrm_fence_put(got);
}

static void put_mock(struct so_mock_fence *m)
{
	udrm_fence_put(&m->base);
}

/* ---- sync_file alone ---- */

static void readable_only_once_the_fence_signals(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	int fd = sf_create(&m->base), fd2;

	(void)state;
	ut_check(!readable(fd, 0), "a pending sync_file must not poll POLLIN");
	ut_check(!readable(fd, 20), "still pending after 20 ms");
	udrm_fence_signal(&m->base);
	ut_check(readable(fd, 0), "POLLIN right after the fence signalled");
	ut_check(readable(fd, 0), "and it stays readable");

	/* Made from a signalled fence: readable at once. */
	fd2 = sf_create(&m->base);
	ut_check(readable(fd2, 0), "a sync_file of a signalled fence polls "
				   "POLLIN at once");
	close(fd2);
	close(fd);
	put_mock(m);
}

static void get_fence_only_for_sync_files(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	int fd = sf_create(&m->base), fds[2], dupfd;

	(void)state;
	expect_fence(fd, &m->base, "the fence of a new sync_file");
	dupfd = dup(fd);
	expect_fence(dupfd, &m->base, "the fence through a dup()");
	ut_check(pipe(fds) == 0, "pipe: %s", strerror(errno));
	ut_check(udrm_sync_file_get_fence(fds[0]) == NULL,
		 "a pipe is not a sync_file");
	ut_check(udrm_sync_file_get_fence(-1) == NULL, "fd -1");
	close(fds[0]);
	close(fds[1]);
	ut_expect(udrm_sync_file_create(NULL, true), -EINVAL,
		  "udrm_sync_file_create of no fence");
	ut_expect(fcntl(fd, F_GETFD), FD_CLOEXEC, "cloexec was asked");
	close(dupfd);
	close(fd);
	fd = udrm_sync_file_create(&m->base, false);
	ut_expect(fcntl(fd, F_GETFD), 0, "no cloexec was asked");
	close(fd);
	udrm_fence_signal(&m->base);
	put_mock(m);
}

static void plain_sockets_are_not_sync_files(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	struct sync_file_info info = {0};
	int sv[2], fd = sf_create(&m->base);

	(void)state;
	ut_check(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0,
		 "socketpair: %s", strerror(errno));
	ut_check(udrm_sync_file_get_fence(sv[0]) == NULL,
		 "a socket of the program is not a sync_file");
	ut_expect(udrm_sync_file_ioctl(sv[0], SYNC_IOC_FILE_INFO, &info),
		  -ENOTTY, "FILE_INFO on a plain socket");
	ut_expect(
		udrm_sync_file_ioctl(fd, _IOWR(SYNC_IOC_MAGIC, 9, int), &info),
		-ENOTTY, "an unknown sync_file ioctl");
	ut_expect(udrm_sync_file_ioctl(fd, DMA_BUF_IOCTL_SYNC, &info), -ENOTTY,
		  "a dma-buf ioctl on a sync_file");
	close(sv[0]);
	close(sv[1]);
	close(fd);
	udrm_fence_signal(&m->base);
	put_mock(m);
}

static void merge_of_a_fence_with_itself_is_that_fence(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	int fd = sf_create(&m->base), merged;

	(void)state;
	merged = merge_ok(fd, fd, "self");
	ut_expect(fence_count(merged), 1, "fences in a self-merge");
	expect_fence(merged, &m->base, "the fence of a self-merge");
	ut_check(!readable(merged, 0), "the self-merge is pending");
	udrm_fence_signal(&m->base);
	ut_check(readable(merged, 0), "the self-merge signalled with it");
	ut_expect(fcntl(merged, F_GETFD), FD_CLOEXEC, "merge fds are cloexec");
	close(merged);
	close(fd);
	put_mock(m);
}

static void merge_across_timelines_waits_for_all(void **state)
{
	struct so_mock_fence *a = sf_fence(udrm_fence_context_alloc(1), 1, "a");
	struct so_mock_fence *b = sf_fence(udrm_fence_context_alloc(1), 1, "b");
	struct so_mock_fence *c = sf_fence(udrm_fence_context_alloc(1), 1, "c");
	int fa = sf_create(&a->base), fb = sf_create(&b->base);
	int fc = sf_create(&c->base), ab, abc;

	(void)state;
	ab = merge_ok(fa, fb, "ab");
	abc = merge_ok(ab, fc, "abc");
	ut_expect(fence_count(ab), 2, "fences in a merge of two timelines");
	ut_expect(fence_count(abc), 3, "a merge of a merge is flattened");
	udrm_fence_signal(&a->base);
	ut_check(!readable(abc, 50), "a merge waits for every timeline (1/3)");
	udrm_fence_signal(&c->base);
	ut_check(!readable(abc, 50), "a merge waits for every timeline (2/3)");
	ut_check(!readable(ab, 0), "ab still waits for b");
	udrm_fence_signal(&b->base);
	ut_check(readable(abc, 2000), "the merge signals with the last one");
	ut_check(readable(ab, 2000), "ab signals with b");
	close(abc);
	close(ab);
	close(fa);
	close(fb);
	close(fc);
	put_mock(a);
	put_mock(b);
	put_mock(c);
}

static void merge_keeps_the_later_point_of_a_context(void **state)
{
	uint64_t ctx = udrm_fence_context_alloc(1);
	struct so_mock_fence *p1 = sf_fence(ctx, 1, "tl");
	struct so_mock_fence *p2 = sf_fence(ctx, 2, "tl");
	struct so_mock_fence *o = sf_fence(udrm_fence_context_alloc(1), 7, "o");
	int f1 = sf_create(&p1->base), f2 = sf_create(&p2->base);
	int fo = sf_create(&o->base), m12, m21, m12o;

	(void)state;
	m12 = merge_ok(f1, f2, "12");
	m21 = merge_ok(f2, f1, "21");
	expect_fence(m12, &p2->base, "merge of points 1 and 2");
	expect_fence(m21, &p2->base, "merge of points 2 and 1");
	m12o = merge_ok(m12, fo, "12o");
	ut_expect(fence_count(m12o), 2, "one fence per context");
	/* Signalled fences drop out of a merge. */
	udrm_fence_signal(&p1->base);
	udrm_fence_signal(&p2->base);
	close(m12);
	m12 = merge_ok(f1, fo, "1o");
	expect_fence(m12, &o->base, "a merge with a signalled fence");
	udrm_fence_signal(&o->base);
	close(m21);
	m21 = merge_ok(f1, f2, "done");
	ut_expect(fence_count(m21), 1, "a merge of signalled fences");
	ut_check(readable(m21, 0), "a merge of signalled fences is readable");
	close(m21);
	close(m12o);
	close(m12);
	close(f1);
	close(f2);
	close(fo);
	put_mock(p1);
	put_mock(p2);
	put_mock(o);
}

static void merge_errors(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	struct sync_merge_data data;
	int fd = sf_create(&m->base), fds[2], out;

	(void)state;
	ut_check(pipe(fds) == 0, "pipe: %s", strerror(errno));
	ut_expect(merge(fd, fds[0], "pipe", &out), -ENOENT,
		  "MERGE with a pipe (sync_file_fdget() fails: -ENOENT)");
	ut_expect(merge(fd, -1, "bad", &out), -ENOENT, "MERGE with fd -1");
	ut_expect(merge(fd, 100000, "bad", &out), -ENOENT,
		  "MERGE with a closed fd");
	data = (struct sync_merge_data){.fd2 = fd, .flags = 1};
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_MERGE, &data), -EINVAL,
		  "MERGE with flags");
	data = (struct sync_merge_data){.fd2 = fd, .pad = 1};
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_MERGE, &data), -EINVAL,
		  "MERGE with pad");
	if (SF_CAN_FAULT) {
		ut_guard_user_faults();
		ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_MERGE,
					       ut_noaccess_page()),
			  -EFAULT, "MERGE with an unmapped argument");
		ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_MERGE,
					       UT_KERNEL_ADDRESS),
			  -EFAULT, "MERGE with a kernel address");
	}
	close(fds[0]);
	close(fds[1]);
	close(fd);
	udrm_fence_signal(&m->base);
	put_mock(m);
}

static void merge_name_is_copied_and_terminated(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	struct sync_merge_data data = {0};
	struct sync_file_info info = {0};
	int fd = sf_create(&m->base);

	(void)state;
	memset(data.name, 'x', sizeof(data.name)); /* no terminator */
	data.fd2 = fd;
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_MERGE, &data), 0,
		  "MERGE with an unterminated name");
	ut_expect(udrm_sync_file_ioctl(data.fence, SYNC_IOC_FILE_INFO, &info),
		  0, "FILE_INFO of the merge");
	ut_expect(strlen(info.name), sizeof(info.name) - 1,
		  "the name is cut to 31 characters");
	ut_check(info.name[0] == 'x', "the name is the one given: \"%s\"",
		 info.name);
	close(data.fence);
	close(fd);
	udrm_fence_signal(&m->base);
	put_mock(m);
}

static void file_info_of_one_fence(void **state)
{
	struct so_mock_fence *m =
		sf_fence(udrm_fence_context_alloc(1), 42, "ring0");
	struct sync_fence_info fi[2];
	struct sync_file_info info = {0};
	char want[64];
	int fd = sf_create(&m->base);

	(void)state;
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info), 0,
		  "FILE_INFO count");
	ut_expect(info.num_fences, 1, "num_fences of one fence");
	ut_expect(info.status, 0, "status of a pending file");
	snprintf(want, sizeof(want), "udrm-test-ring0%llu-42",
		 (unsigned long long)m->base.context);
	want[sizeof(info.name) - 1] = '\0';
	ut_check(!strcmp(info.name, want),
		 "the default name is driver-timeline<context>-<seqno>: "
		 "expected \"%s\", got \"%s\"",
		 want, info.name);

	memset(fi, 0xa5, sizeof(fi));
	info = (struct sync_file_info){.num_fences = 2,
				       .sync_fence_info = udrm_user_ptr(fi)};
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info), 0,
		  "FILE_INFO with room for 2");
	ut_expect(info.num_fences, 1, "num_fences is the real count");
	ut_check(!strcmp(fi[0].obj_name, "ring0"),
		 "obj_name is the timeline name: got \"%s\"", fi[0].obj_name);
	ut_check(!strcmp(fi[0].driver_name, "udrm-test"),
		 "driver_name: got \"%s\"", fi[0].driver_name);
	ut_expect(fi[0].status, 0, "status of a pending fence");
	ut_expect(fi[0].timestamp_ns, 0, "no timestamp while pending");
	ut_expect((unsigned char)fi[1].obj_name[0], 0xa5,
		  "nothing written past the fences");

	udrm_fence_set_error(&m->base, -EIO);
	udrm_fence_signal_timestamp(&m->base, 123456789);
	info = (struct sync_file_info){.num_fences = 1,
				       .sync_fence_info = udrm_user_ptr(fi)};
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info), 0,
		  "FILE_INFO after an error");
	ut_expect(fi[0].status, -EIO, "the fence's error");
	ut_expect(info.status, -EIO, "the file's status is the error");
	ut_expect(fi[0].timestamp_ns, 123456789, "the signal timestamp");
	close(fd);
	put_mock(m);
}

static void file_info_of_an_array(void **state)
{
	struct so_mock_fence *a = sf_fence(udrm_fence_context_alloc(1), 1, "a");
	struct so_mock_fence *b = sf_fence(udrm_fence_context_alloc(1), 2, "b");
	int fa = sf_create(&a->base), fb = sf_create(&b->base), ab;
	struct sync_file_info info = {0};
	struct sync_fence_info fi[2];

	(void)state;
	ab = merge_ok(fa, fb, "pair");
	info.num_fences = 1;
	info.sync_fence_info = udrm_user_ptr(fi);
	ut_expect(udrm_sync_file_ioctl(ab, SYNC_IOC_FILE_INFO, &info), -EINVAL,
		  "FILE_INFO with room for 1 of 2 fences");
	info = (struct sync_file_info){.num_fences = 2,
				       .sync_fence_info = udrm_user_ptr(fi)};
	udrm_fence_signal(&a->base);
	ut_expect(udrm_sync_file_ioctl(ab, SYNC_IOC_FILE_INFO, &info), 0,
		  "FILE_INFO of a merge");
	ut_expect(info.num_fences, 2, "both fences are reported");
	ut_check(!strcmp(info.name, "pair"), "the merge's name: got \"%s\"",
		 info.name);
	ut_expect(info.status, 0, "one fence pending: status 0");
	ut_check(!strcmp(fi[0].obj_name, "a") && !strcmp(fi[1].obj_name, "b"),
		 "fences in context order: got \"%s\", \"%s\"", fi[0].obj_name,
		 fi[1].obj_name);
	ut_expect(fi[0].status, 1, "a signalled");
	ut_check(fi[0].timestamp_ns != 0, "a has a timestamp");
	ut_expect(fi[1].status, 0, "b pending");
	udrm_fence_signal(&b->base);
	ut_expect(udrm_sync_file_ioctl(ab, SYNC_IOC_FILE_INFO, &info), 0,
		  "FILE_INFO after both signalled");
	ut_expect(info.status, 1, "all signalled: status 1");
	close(ab);
	close(fa);
	close(fb);
	put_mock(a);
	put_mock(b);
}

static void file_info_errors(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	struct sync_file_info info;
	int fd = sf_create(&m->base);

	(void)state;
	info = (struct sync_file_info){.flags = 1};
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info), -EINVAL,
		  "FILE_INFO with flags");
	info = (struct sync_file_info){.pad = 1};
	ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info), -EINVAL,
		  "FILE_INFO with pad");
	if (SF_CAN_FAULT) {
		ut_guard_user_faults();
		info = (struct sync_file_info){
			.num_fences = 1,
			.sync_fence_info = udrm_user_ptr(ut_readonly_page())};
		ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info),
			  -EFAULT, "FILE_INFO into a read-only array");
		ut_expect(udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO,
					       ut_noaccess_page()),
			  -EFAULT, "FILE_INFO with an unmapped argument");
	}
	close(fd);
	udrm_fence_signal(&m->base);
	put_mock(m);
}

static void set_deadline_reaches_the_fences(void **state)
{
	struct so_mock_fence *a = sf_fence(udrm_fence_context_alloc(1), 1, "a");
	struct so_mock_fence *b = sf_fence(udrm_fence_context_alloc(1), 1, "b");
	int fa = sf_create(&a->base), fb = sf_create(&b->base), ab;
	struct udrm_sync_set_deadline ts = {.deadline_ns = 1000};

	(void)state;
	ut_expect(udrm_sync_file_ioctl(fa, UDRM_SYNC_IOC_SET_DEADLINE, &ts), 0,
		  "SET_DEADLINE");
	ut_expect(a->deadline, 1000, "the deadline reached the fence's ops");
	ab = merge_ok(fa, fb, "ab");
	ts.deadline_ns = 500;
	ut_expect(udrm_sync_file_ioctl(ab, UDRM_SYNC_IOC_SET_DEADLINE, &ts), 0,
		  "SET_DEADLINE on a merge");
	ut_check(a->deadline == 500 && b->deadline == 500,
		 "a merge's deadline reaches every fence: got %llu, %llu",
		 (unsigned long long)a->deadline,
		 (unsigned long long)b->deadline);
	ts.pad = 1;
	ut_expect(udrm_sync_file_ioctl(fa, UDRM_SYNC_IOC_SET_DEADLINE, &ts),
		  -EINVAL, "SET_DEADLINE with pad");
	udrm_fence_signal(&a->base);
	udrm_fence_signal(&b->base);
	close(ab);
	close(fa);
	close(fb);
	put_mock(a);
	put_mock(b);
}

static void closed_fds_release_their_fence(void **state)
{
	struct so_mock_fence *m = so_mock_fence();
	struct so_mock_fence *o = so_mock_fence();
	int fd, dupfd, other, refs;

	(void)state;
	udrm_sync_fd_sweep();
	refs = atomic_load(&m->base.refcount);
	fd = sf_create(&m->base);
	ut_expect(atomic_load(&m->base.refcount), refs + 1,
		  "a sync_file holds one fence reference");
	dupfd = dup(fd);
	close(fd);
	udrm_sync_fd_sweep();
	ut_expect(atomic_load(&m->base.refcount), refs + 1,
		  "a dup() keeps the sync_file alive");
	expect_fence(dupfd, &m->base, "the fence through the remaining dup");
	other = sf_create(&o->base);
	close(dupfd);
	/* Lazy: nothing happens until the registry is next used. */
	ut_expect(atomic_load(&m->base.refcount), refs + 1,
		  "closing is noticed lazily");
	expect_fence(other, &o->base, "a lookup of another sync_file");
	ut_expect(atomic_load(&m->base.refcount), refs,
		  "the lookup's sweep released the closed file's fence");
	ut_expect(udrm_sync_fd_count(), 1, "only the other file is left");
	close(other);
	udrm_sync_fd_sweep();
	ut_expect(udrm_sync_fd_count(), 0, "the registry is empty");

	/* A pending callback is cancelled before the kept end closes. */
	fd = sf_create(&m->base);
	close(fd);
	udrm_sync_fd_sweep();
	udrm_fence_signal(&m->base);
	udrm_fence_signal(&o->base);
	put_mock(m);
	put_mock(o);
}

/* ---- a producer/consumer stress, after sync_stress_consumer.c ---- */

#define STRESS_THREADS	  4
#define STRESS_ITERATIONS 200

struct stress {
	struct so_mock_fence **fences; /* STRESS_THREADS * ITERATIONS + 1 */
	pthread_mutex_t lock;
	unsigned int counter; /* (lock) */
	atomic_int failures;
};

struct stress_thread {
	struct stress *s;
	unsigned int id;
};

/* Thread @id runs turns id, id + N, ...: it waits on a sync_file of the
 * turn's fence, checks the counter says it is its turn, and signals the
 * next turn. */
static void *stress_producer(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	unsigned int i;

	for (i = t->id; i < STRESS_THREADS * STRESS_ITERATIONS;
	     i += STRESS_THREADS) {
		int fd = udrm_sync_file_create(&s->fences[i]->base, true);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (fd < 0 || poll(&pfd, 1, 10000) != 1) {
			atomic_fetch_add(&s->failures, 1);
			if (fd >= 0)
				close(fd);
			break;
		}
		close(fd);
		pthread_mutex_lock(&s->lock);
		if (s->counter != i)
			atomic_fetch_add(&s->failures, 1);
		s->counter++;
		pthread_mutex_unlock(&s->lock);
		udrm_fence_signal(&s->fences[i + 1]->base);
	}
	return NULL;
}

static void producer_consumer_stress(void **state)
{
	const unsigned int turns = STRESS_THREADS * STRESS_ITERATIONS;
	struct stress_thread threads[STRESS_THREADS];
	pthread_t tids[STRESS_THREADS];
	struct stress s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	uint64_t ctx = udrm_fence_context_alloc(1);
	int last, all, i;

	(void)state;
	s.fences = calloc(turns + 1, sizeof(*s.fences));
	ut_check(s.fences != NULL, "out of memory");
	for (i = 0; i <= (int)turns; i++)
		s.fences[i] = sf_fence(ctx, (uint64_t)i + 1, "stress");
	/* The consumer: a merge of the last turns of every thread. */
	all = sf_create(&s.fences[turns]->base);
	for (i = 1; i < STRESS_THREADS; i++) {
		int fd = sf_create(&s.fences[turns - (unsigned int)i]->base);

		last = merge_ok(all, fd, "consumer");
		close(fd);
		close(all);
		all = last;
	}
	ut_expect(fence_count(all), 1, "one context: the latest point only");
	for (i = 0; i < STRESS_THREADS; i++) {
		threads[i] = (struct stress_thread){&s, (unsigned int)i};
		ut_expect(pthread_create(&tids[i], NULL, stress_producer,
					 &threads[i]),
			  0, "starting producer %d", i);
	}
	udrm_fence_signal(&s.fences[0]->base);
	ut_check(readable(all, 20000), "the consumer saw every turn");
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_join(tids[i], NULL);
	ut_expect(atomic_load(&s.failures), 0, "turns out of order or lost");
	ut_expect(s.counter, turns, "every turn ran once");
	close(all);
	for (i = 0; i <= (int)turns; i++)
		put_mock(s.fences[i]);
	free(s.fences);
	udrm_sync_fd_sweep();
	ut_expect(udrm_sync_fd_count(), 0, "every sync_file was released");
}

/* ---- syncobj <-> sync_file ---- */

static long handle_to_fd(struct udrm_file *f, uint32_t h, uint32_t flags,
			 uint64_t point, int *fd)
{
	struct udrm_drm_syncobj_handle req = {
		.handle = h, .flags = flags, .point = point, .fd = -1};
	long ret = udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &req);

	*fd = req.fd;
	return ret;
}

static long fd_to_handle(struct udrm_file *f, int fd, uint32_t h,
			 uint32_t flags, uint64_t point)
{
	struct udrm_drm_syncobj_handle req = {
		.handle = h, .flags = flags, .point = point, .fd = fd};

	return udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &req);
}

static void syncobj_binary_export_import(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t src = so_create(f, 0), dst = so_create(f, 0);
	int fd;

	so_attach(f, src, &m->base, 0);
	ut_expect(handle_to_fd(f, src,
			       DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
			       0, &fd),
		  0, "EXPORT_SYNC_FILE of a binary syncobj");
	expect_fence(fd, &m->base, "the exported sync_file's fence");
	ut_expect(fcntl(fd, F_GETFD), FD_CLOEXEC,
		  "exported sync_files are "
		  "cloexec");
	ut_check(!readable(fd, 0), "the sync_file is pending");
	ut_expect(fd_to_handle(f, fd, dst,
			       DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
			       0),
		  0, "IMPORT_SYNC_FILE into a binary syncobj");
	ut_expect(so_wait1(f, dst, 0, 0), -ETIME, "the import is pending");
	udrm_fence_signal(&m->base);
	ut_check(readable(fd, 0), "the sync_file signalled with the syncobj");
	ut_expect(so_wait1(f, dst, 0, 0), 0, "the import signalled");
	ut_expect(fd_to_handle(f, udrm_file_fd(f), dst,
			       DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
			       0),
		  -EINVAL, "IMPORT_SYNC_FILE of the device fd");
	close(fd);
	put_mock(m);
	udrm_file_close(f);
}

static void syncobj_timeline_point_export_import(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m5 = so_mock_fence();
	struct so_mock_fence *m9 = so_mock_fence();
	uint32_t tl = so_create(f, 0), dst = so_create(f, 0);
	const uint32_t exp = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE |
			     DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE;
	const uint32_t imp = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE |
			     DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE;
	int fd5, fd9, scratch;

	so_attach(f, tl, &m5->base, 5);
	so_attach(f, tl, &m9->base, 9);
	ut_expect(handle_to_fd(f, tl, exp, 5, &fd5), 0,
		  "EXPORT_SYNC_FILE of point 5");
	ut_expect(handle_to_fd(f, tl, exp, 9, &fd9), 0,
		  "EXPORT_SYNC_FILE of point 9");
	ut_expect(handle_to_fd(f, tl, exp, 10, &scratch), -EINVAL,
		  "EXPORT_SYNC_FILE of a point not submitted");
	ut_check(!readable(fd5, 0) && !readable(fd9, 0), "both pending");
	udrm_fence_signal(&m5->base);
	ut_check(readable(fd5, 2000), "point 5's sync_file signalled");
	ut_check(!readable(fd9, 0), "point 9 still pending");

	ut_expect(fd_to_handle(f, fd9, dst, imp, 3), 0,
		  "IMPORT_SYNC_FILE at point 3");
	ut_expect(so_query(f, dst, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 3,
		  "the import added point 3");
	ut_expect(so_timeline_wait1(f, dst, 3, 0, 0), -ETIME,
		  "point 3 waits for point 9 of the other timeline");
	udrm_fence_signal(&m9->base);
	ut_check(readable(fd9, 2000), "point 9's sync_file signalled");
	ut_expect(so_timeline_wait1(f, dst, 3, 0, so_in_ms(2000)), 0,
		  "point 3 signalled");
	close(fd5);
	close(fd9);
	put_mock(m5);
	put_mock(m9);
	udrm_file_close(f);
}

/* ---- dma-buf <-> sync_file ---- */

static uint32_t vgem_attach(struct udrm_file *f, uint32_t handle,
			    uint32_t flags)
{
	struct drm_vgem_fence_attach req = {.handle = handle, .flags = flags};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VGEM_FENCE_ATTACH, &req), 0,
		  "VGEM_FENCE_ATTACH flags 0x%x", flags);
	return req.out_fence;
}

static void vgem_signal(struct udrm_file *f, uint32_t fence)
{
	struct drm_vgem_fence_signal req = {.fence = fence};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VGEM_FENCE_SIGNAL, &req), 0,
		  "VGEM_FENCE_SIGNAL %u", fence);
}

static int prime_export(struct udrm_file *f, uint32_t handle)
{
	struct drm_prime_handle req = {.handle = handle,
				       .flags = DRM_CLOEXEC | DRM_RDWR};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &req), 0,
		  "PRIME_HANDLE_TO_FD");
	return req.fd;
}

static long export_sync_file(int dmabuf, uint32_t flags, int *fd)
{
	struct dma_buf_export_sync_file req = {.flags = flags, .fd = -1};
	long ret =
		udrm_dmabuf_ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req);

	*fd = req.fd;
	return ret;
}

static int export_sync_file_ok(int dmabuf, uint32_t flags)
{
	int fd;

	ut_expect(export_sync_file(dmabuf, flags, &fd), 0,
		  "EXPORT_SYNC_FILE flags 0x%x", flags);
	ut_check(fd >= 0, "EXPORT_SYNC_FILE gave fd %d", fd);
	return fd;
}

static long import_sync_file(int dmabuf, uint32_t flags, int fd)
{
	struct dma_buf_import_sync_file req = {.flags = flags, .fd = fd};

	return udrm_dmabuf_ioctl(dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &req);
}

static void dmabuf_export_follows_usage(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t bo = ut_dumb_create(f, 64, 64, 32, NULL, NULL);
	int dmabuf = prime_export(f, bo), rd, wr, fd;
	uint32_t writer, reader, reader2;

	/* Idle: the stub. */
	fd = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_RW);
	ut_check(readable(fd, 0), "an idle buffer exports a signalled file");
	ut_expect(fence_count(fd), 1, "one (stub) fence");
	close(fd);

	writer = vgem_attach(f, bo, VGEM_FENCE_WRITE);
	rd = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_READ);
	wr = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_WRITE);
	ut_check(!readable(rd, 0), "a reader waits for the writer");
	ut_check(!readable(wr, 0), "a writer waits for the writer");
	vgem_signal(f, writer);
	ut_check(readable(rd, 2000) && readable(wr, 2000),
		 "both signal with the writer");
	close(rd);
	close(wr);

	reader = vgem_attach(f, bo, 0);
	reader2 = vgem_attach(f, bo, 0);
	rd = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_READ);
	wr = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_WRITE);
	ut_check(readable(rd, 0), "a reader does not wait for readers");
	ut_expect(fence_count(wr), 2, "a writer waits for both readers");
	vgem_signal(f, reader);
	ut_check(!readable(wr, 50), "the writer still waits for reader 2");
	vgem_signal(f, reader2);
	ut_check(readable(wr, 2000), "the array signalled");
	close(rd);
	close(wr);

	ut_expect(export_sync_file(dmabuf, 0, &fd), -EINVAL,
		  "EXPORT_SYNC_FILE without READ or WRITE");
	ut_expect(export_sync_file(dmabuf, DMA_BUF_SYNC_RW | 4, &fd), -EINVAL,
		  "EXPORT_SYNC_FILE with an unknown flag");
	ut_expect(export_sync_file(dmabuf, DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END,
				   &fd),
		  -EINVAL, "EXPORT_SYNC_FILE with DMA_BUF_SYNC_END");
	close(dmabuf);
	udrm_file_close(f);
}

static void dmabuf_import_adds_fences_with_usage(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t bo = ut_dumb_create(f, 64, 64, 32, NULL, NULL);
	struct so_mock_fence *a = sf_fence(udrm_fence_context_alloc(1), 1, "a");
	struct so_mock_fence *b = sf_fence(udrm_fence_context_alloc(1), 1, "b");
	int dmabuf = prime_export(f, bo), fa = sf_create(&a->base);
	int fb = sf_create(&b->base), ab, rd, wr, fds[2];

	/* A read: only writers wait for it. */
	ut_expect(import_sync_file(dmabuf, DMA_BUF_SYNC_READ, fa), 0,
		  "IMPORT_SYNC_FILE as a read");
	rd = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_READ);
	wr = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_WRITE);
	ut_check(readable(rd, 0), "readers do not wait for an imported read");
	expect_fence(wr, &a->base, "writers wait for the imported read");
	close(rd);
	close(wr);

	/* A merge imported as a write: both fences, unwrapped. */
	ab = merge_ok(fa, fb, "ab");
	ut_expect(import_sync_file(dmabuf, DMA_BUF_SYNC_WRITE, ab), 0,
		  "IMPORT_SYNC_FILE of a merge as a write");
	rd = export_sync_file_ok(dmabuf, DMA_BUF_SYNC_READ);
	ut_expect(fence_count(rd), 2, "readers wait for both imported fences");
	udrm_fence_signal(&a->base);
	udrm_fence_signal(&b->base);
	ut_check(readable(rd, 2000), "and signal with them");
	close(rd);

	ut_check(pipe(fds) == 0, "pipe: %s", strerror(errno));
	ut_expect(import_sync_file(dmabuf, DMA_BUF_SYNC_WRITE, fds[0]), -EINVAL,
		  "IMPORT_SYNC_FILE of a pipe");
	ut_expect(import_sync_file(dmabuf, 0, fa), -EINVAL,
		  "IMPORT_SYNC_FILE without READ or WRITE");
	ut_expect(import_sync_file(dmabuf, DMA_BUF_SYNC_RW | 8, fa), -EINVAL,
		  "IMPORT_SYNC_FILE with an unknown flag");
	ut_expect(udrm_sync_file_ioctl(dmabuf, SYNC_IOC_FILE_INFO, &fds),
		  -ENOTTY, "a dma-buf is not a sync_file");
	close(fds[0]);
	close(fds[1]);
	close(ab);
	close(fa);
	close(fb);
	close(dmabuf);
	put_mock(a);
	put_mock(b);
	udrm_file_close(f);
}

static int teardown(void **state)
{
	udrm_fence_work_flush();
	udrm_sync_fd_sweep();
	return ut_teardown_devices(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, teardown)
		T(readable_only_once_the_fence_signals),
		T(get_fence_only_for_sync_files),
		T(plain_sockets_are_not_sync_files),
		T(merge_of_a_fence_with_itself_is_that_fence),
		T(merge_across_timelines_waits_for_all),
		T(merge_keeps_the_later_point_of_a_context),
		T(merge_errors),
		T(merge_name_is_copied_and_terminated),
		T(file_info_of_one_fence),
		T(file_info_of_an_array),
		T(file_info_errors),
		T(set_deadline_reaches_the_fences),
		T(closed_fds_release_their_fence),
		T(producer_consumer_stress),
		T(syncobj_binary_export_import),
		T(syncobj_timeline_point_export_import),
		T(dmabuf_export_follows_usage),
		T(dmabuf_import_adds_fences_with_usage),
#undef T
	};

	return cmocka_run_group_tests_name("sync_file", tests, NULL, NULL);
}
