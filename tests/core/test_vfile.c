// SPDX-License-Identifier: MIT
/*
 * Virtual files (core/vfile.h): attribute files with seq_file/sysfs
 * semantics, stream files with blocking reads and a poll fd, permission
 * checks, fault-safe copies and removal while open.
 */
#include "udrm_test.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "core/vfile.h"

/* A connector-like attribute: "status" shows @value, store accepts
 * "on"/"off" (with or without a newline). */
struct attr {
	char value[64];
	int shows;
	char stored[64];
	size_t stored_len;
	int stores;
	size_t last_len; /* of the last store() call */
	size_t big;	 /* if non-zero: show prints this many 'x' */
};

static int attr_show(void *data, char *buf, size_t len)
{
	struct attr *a = data;
	size_t i;

	a->shows++;
	if (a->big) {
		for (i = 0; i < a->big && i + 1 < len; i++)
			buf[i] = 'x';
		if (len)
			buf[i < len ? i : len - 1] = '\0';
		return (int)a->big;
	}
	return snprintf(buf, len, "%s\n", a->value);
}

static int attr_store(void *data, const char *buf, size_t len)
{
	struct attr *a = data;
	size_t n = len;

	a->stores++;
	a->last_len = len;
	ut_check(buf[len] == '\0', "store buffer not NUL-terminated");
	if (n && buf[n - 1] == '\n')
		n--;
	if ((n != 2 || memcmp(buf, "on", 2)) &&
	    (n != 3 || memcmp(buf, "off", 3)))
		return -EINVAL;
	memcpy(a->stored, buf, n);
	a->stored[n] = '\0';
	a->stored_len = len;
	snprintf(a->value, sizeof(a->value), "%s", a->stored);
	return (int)len;
}

/* A CRC-data-like stream: lines queued by the test, an eventfd readable
 * while some are. One opener at a time. */
struct stream {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int efd;
	int queued;
	int next;
	bool opened;
	int releases;
	void *priv_seen;
};

static int stream_open(void *data, int flags, void **priv)
{
	struct stream *s = data;

	pthread_mutex_lock(&s->lock);
	if (s->opened) {
		pthread_mutex_unlock(&s->lock);
		return -EBUSY;
	}
	s->opened = true;
	pthread_mutex_unlock(&s->lock);
	*priv = s;
	return 0;
}

static ssize_t stream_read(void *data, void *priv, char *buf, size_t len,
			   bool nonblock)
{
	struct stream *s = data;
	uint64_t v;
	int line;

	s->priv_seen = priv;
	pthread_mutex_lock(&s->lock);
	while (!s->queued) {
		if (nonblock) {
			pthread_mutex_unlock(&s->lock);
			return -EAGAIN;
		}
		pthread_cond_wait(&s->cond, &s->lock);
	}
	if (len < 8) {
		pthread_mutex_unlock(&s->lock);
		return -EINVAL;
	}
	line = s->next++;
	if (!--s->queued && read(s->efd, &v, sizeof(v)) < 0)
		v = 0;
	pthread_mutex_unlock(&s->lock);
	snprintf(buf, len, "line%03d", line);
	return 8;
}

static int stream_poll_fd(void *data, void *priv)
{
	return ((struct stream *)data)->efd;
}

static void stream_release(void *data, void *priv)
{
	struct stream *s = data;

	pthread_mutex_lock(&s->lock);
	s->opened = false;
	s->releases++;
	pthread_mutex_unlock(&s->lock);
}

static void stream_push(struct stream *s)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	if (!s->queued++)
		ut_check(write(s->efd, &one, sizeof(one)) == sizeof(one),
			 "eventfd write");
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

struct fixture {
	struct udrm_device *dev;
	struct attr attr;
	struct stream stream;
	struct udrm_vfile *status, *control, *data;
};

static int find_vfile(void *ctx, enum udrm_vfile_root root, const char *path,
		      unsigned int mode, struct udrm_vfile *vfile)
{
	struct fixture *f = ctx;

	if (root == UDRM_VFILE_SYSFS && !strcmp(path, "test-1/status"))
		f->status = vfile;
	if (root == UDRM_VFILE_DEBUGFS && !strcmp(path, "test/crc/control"))
		f->control = vfile;
	if (root == UDRM_VFILE_DEBUGFS && !strcmp(path, "test/crc/data"))
		f->data = vfile;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dev = ut_device("vkms", 0, -1, 0);
	snprintf(f->attr.value, sizeof(f->attr.value), "connected");
	pthread_mutex_init(&f->stream.lock, NULL);
	pthread_cond_init(&f->stream.cond, NULL);
	f->stream.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_SYSFS,
					"test-1/status", 0444, attr_show, NULL,
					&f->attr),
		  0, "adding a read-only attribute");
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_DEBUGFS,
					"test/crc/control", 0644, attr_show,
					attr_store, &f->attr),
		  0, "adding a read-write attribute");
	ut_expect(udrm_vfile_add_stream(f->dev, UDRM_VFILE_DEBUGFS,
					"test/crc/data", 0444, stream_open,
					stream_read, stream_poll_fd,
					stream_release, &f->stream),
		  0, "adding a stream file");
	udrm_device_for_each_vfile(f->dev, find_vfile, f);
	ut_check(f->status && f->control && f->data,
		 "udrm_device_for_each_vfile misses a file");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	udrm_device_destroy(f->dev);
	close(f->stream.efd);
	pthread_cond_destroy(&f->stream.cond);
	pthread_mutex_destroy(&f->stream.lock);
	free(f);
	return 0;
}

static struct udrm_vfile_open *open_ok(struct udrm_vfile *vf, int flags)
{
	struct udrm_vfile_open *of = NULL;

	ut_expect(udrm_vfile_open(vf, flags, &of), 0, "udrm_vfile_open");
	return of;
}

static void test_attribute_read_in_pieces_then_eof(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->status, O_RDONLY);
	char buf[16] = "";

	ut_expect(udrm_vfile_read(of, buf, 4, -1), 4, "first read of 4");
	ut_expect(udrm_vfile_read(of, buf + 4, 100, -1), 6, "rest");
	ut_check(!strcmp(buf, "connected\n"), "read \"%s\"", buf);
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), 0, "at EOF");
	ut_expect(f->attr.shows, 1, "show() calls for one sequential read");
	udrm_vfile_close(of);
}

static void test_attribute_reread_at_zero_shows_again(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->status, O_RDONLY);
	char buf[32] = "";

	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), 10, "read");
	snprintf(f->attr.value, sizeof(f->attr.value), "disconnected");
	/* Reads past 0 come from the open's copy... */
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), 3), 7, "pread at 3");
	ut_check(!memcmp(buf, "nected\n", 7), "pread at 3 gave \"%.7s\"", buf);
	/* ...a read at 0 asks show() again, as seq_file. */
	ut_expect(udrm_vfile_lseek(of, 0, SEEK_SET), 0, "lseek to 0");
	memset(buf, 0, sizeof(buf));
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), 13, "re-read");
	ut_check(!strcmp(buf, "disconnected\n"), "re-read \"%s\"", buf);
	ut_expect(udrm_vfile_lseek(of, -3, SEEK_CUR), 10, "SEEK_CUR back");
	ut_expect(udrm_vfile_lseek(of, 0, SEEK_END), -EINVAL,
		  "SEEK_END (seq_lseek refuses it)");
	ut_expect(udrm_vfile_lseek(of, -1, SEEK_SET), -EINVAL,
		  "negative position");
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), 3,
		  "read after SEEK_CUR");
	ut_check(!memcmp(buf, "ed\n", 3), "read after SEEK_CUR: \"%.3s\"", buf);
	udrm_vfile_close(of);
}

static void test_attribute_larger_than_a_page(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of;
	size_t total = 0;
	char *buf = malloc(20000);
	ssize_t n;

	f->attr.big = 10000;
	of = open_ok(f->status, O_RDONLY);
	while ((n = udrm_vfile_read(of, buf + total, 3000, -1)) > 0)
		total += (size_t)n;
	ut_expect(n, 0, "read to EOF");
	ut_expect(total, 10000, "bytes of a 10000-byte show()");
	ut_check(buf[0] == 'x' && buf[9999] == 'x', "content of a big show");
	udrm_vfile_close(of);
	free(buf);
}

static void test_store_gets_whole_buffer_and_errors(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->control, O_RDWR);
	char buf[32] = "";

	ut_expect(udrm_vfile_write(of, "off\n", 4, -1), 4, "write \"off\\n\"");
	ut_check(!strcmp(f->attr.stored, "off") && f->attr.stored_len == 4,
		 "store() got \"%s\" (%zu bytes)", f->attr.stored,
		 f->attr.stored_len);
	ut_expect(udrm_vfile_write(of, "bogus", 5, -1), -EINVAL,
		  "write of an unknown value");
	ut_expect(udrm_vfile_write(of, "on", 0, -1), 0, "empty write");
	ut_expect(f->attr.stores, 2, "store() calls (none for 0 bytes)");
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), 0), 4,
		  "pread at 0 after a write");
	ut_check(!strcmp(buf, "off\n"), "shows \"%s\" after the write", buf);
	udrm_vfile_close(of);
}

static void test_store_is_cut_to_a_page(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->control, O_WRONLY);
	char *big = calloc(1, 10000);

	memset(big, 'a', 9999);
	/* The store refuses it, but it must see at most one page. */
	ut_expect(udrm_vfile_write(of, big, 9999, -1), -EINVAL, "big write");
	ut_expect(f->attr.stores, 1, "store() calls");
	ut_expect(f->attr.last_len, UDRM_VFILE_STORE_MAX,
		  "bytes store() saw of a 9999-byte write");
	udrm_vfile_close(of);
	free(big);
}

static void test_access_modes_are_checked(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = NULL;
	char c;

	ut_expect(udrm_vfile_open(f->status, O_WRONLY, &of), -EACCES,
		  "O_WRONLY on a 0444 file");
	ut_expect(udrm_vfile_open(f->status, O_RDWR, &of), -EACCES,
		  "O_RDWR on a 0444 file");
	ut_expect(udrm_vfile_open(f->data, O_WRONLY, &of), -EACCES,
		  "O_WRONLY on a stream file");
	ut_expect(udrm_vfile_open(f->status, O_ACCMODE, &of), -EINVAL,
		  "access mode 3");
	of = open_ok(f->control, O_WRONLY);
	ut_expect(udrm_vfile_read(of, &c, 1, -1), -EBADF,
		  "read on a write-only open");
	udrm_vfile_close(of);
	of = open_ok(f->control, O_RDONLY);
	ut_expect(udrm_vfile_write(of, "on", 2, -1), -EBADF,
		  "write on a read-only open");
	udrm_vfile_close(of);
}

static void test_bad_user_pointers_give_efault(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->control, O_RDWR);
	char buf[16] = "";

	ut_guard_user_faults();
	ut_expect(udrm_vfile_read(of, ut_noaccess_page(), 16, -1), -EFAULT,
		  "read into a PROT_NONE page");
	ut_expect(udrm_vfile_read(of, ut_readonly_page(), 16, -1), -EFAULT,
		  "read into a read-only page");
	ut_expect(udrm_vfile_read(of, UT_KERNEL_ADDRESS, 16, -1), -EFAULT,
		  "read into a kernel address");
	ut_expect(udrm_vfile_write(of, ut_noaccess_page(), 2, -1), -EFAULT,
		  "write from a PROT_NONE page");
	ut_expect(f->attr.stores, 0, "store() calls after a faulting write");
	/* The position did not move. */
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), 10,
		  "read after the faults");
	udrm_vfile_close(of);
}

static void test_add_checks_paths_modes_and_ops(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"", "/abs", "a//b", "a/", "./a", "a/../b", "..",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_SYSFS,
						bad[i], 0444, attr_show, NULL,
						NULL),
			  -EINVAL, "path \"%s\"", bad[i]);
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_SYSFS, "x", 0444,
					NULL, NULL, NULL),
		  -EINVAL, "a readable file without show");
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_SYSFS, "x", 0644,
					attr_show, NULL, NULL),
		  -EINVAL, "a writable file without store");
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_SYSFS, "x", 04444,
					attr_show, NULL, NULL),
		  -EINVAL, "mode with setuid bits");
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_SYSFS,
					"test-1/status", 0444, attr_show, NULL,
					NULL),
		  -EEXIST, "the same path twice");
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_SYSFS, "test-1",
					0444, attr_show, NULL, NULL),
		  -EEXIST, "a file where a directory is");
	ut_expect(udrm_vfile_add_simple(f->dev, UDRM_VFILE_DEBUGFS,
					"test-1/status", 0444, attr_show, NULL,
					NULL),
		  0, "the same path under the other root");
}

static void test_stream_nonblocking_and_poll_fd(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->data, O_RDONLY | O_NONBLOCK);
	struct pollfd pfd;
	char buf[16] = "";

	pfd.fd = udrm_vfile_poll_fd(of);
	ut_expect(pfd.fd, f->stream.efd, "the stream's poll fd");
	pfd.events = POLLIN;
	ut_expect(poll(&pfd, 1, 0), 0, "poll with nothing queued");
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), -EAGAIN,
		  "non-blocking read with nothing queued");
	stream_push(&f->stream);
	ut_expect(poll(&pfd, 1, 0), 1, "poll with a line queued");
	ut_expect(udrm_vfile_read(of, buf, 4, -1), -EINVAL,
		  "read into a buffer shorter than a line");
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), 8, "read a line");
	ut_check(!strcmp(buf, "line000"), "read \"%s\"", buf);
	ut_check(f->stream.priv_seen == &f->stream,
		 "read() did not get open()'s priv");
	ut_expect(poll(&pfd, 1, 0), 0, "poll after the line was read");
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), 0), -ESPIPE,
		  "pread on a stream");
	ut_expect(udrm_vfile_lseek(of, 0, SEEK_SET), -ESPIPE,
		  "lseek on a stream");
	udrm_vfile_close(of);
	ut_expect(f->stream.releases, 1, "release() calls after close");
}

static void test_attribute_poll_fd_is_always_ready(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->status, O_RDONLY);

	ut_expect(udrm_vfile_poll_fd(of), -1, "poll fd of an attribute");
	udrm_vfile_close(of);
}

static void test_open_refusal_is_passed_on(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *a = open_ok(f->data, O_RDONLY), *b = NULL;

	ut_expect(udrm_vfile_open(f->data, O_RDONLY, &b), -EBUSY,
		  "second open of a one-opener stream");
	udrm_vfile_close(a);
	b = open_ok(f->data, O_RDONLY);
	udrm_vfile_close(b);
	ut_expect(f->stream.releases, 2, "release() calls");
}

static void *blocking_reader(void *arg)
{
	struct udrm_vfile_open *of = arg;
	static char buf[16];

	return (void *)(intptr_t)udrm_vfile_read(of, buf, sizeof(buf), -1);
}

static void test_stream_blocking_read_and_set_nonblock(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->data, O_RDONLY);
	pthread_t thread;
	void *ret;
	char buf[16];

	pthread_create(&thread, NULL, blocking_reader, of);
	usleep(20000);
	stream_push(&f->stream);
	pthread_join(thread, &ret);
	ut_expect((intptr_t)ret, 8, "blocking read woken by a line");
	udrm_vfile_set_nonblock(of, true);
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), -EAGAIN,
		  "read after set_nonblock(true)");
	udrm_vfile_close(of);
}

static void test_removal_releases_open_files(void **state)
{
	struct fixture *f = *state;
	struct udrm_vfile_open *of = open_ok(f->data, O_RDONLY);
	struct udrm_vfile_open *attr = open_ok(f->status, O_RDONLY);
	char buf[16];

	ut_expect(
		udrm_vfile_remove(f->dev, UDRM_VFILE_DEBUGFS, "test/crc/data"),
		0, "removing an open stream file");
	ut_expect(f->stream.releases, 1, "release() at removal");
	ut_expect(udrm_vfile_read(of, buf, sizeof(buf), -1), -ENODEV,
		  "read after removal");
	ut_expect(udrm_vfile_poll_fd(of), -1, "poll fd after removal");
	udrm_vfile_close(of);
	ut_expect(f->stream.releases, 1, "release() calls after close");
	ut_expect(
		udrm_vfile_remove(f->dev, UDRM_VFILE_DEBUGFS, "test/crc/data"),
		-ENOENT, "removing it twice");
	/* Device destruction (teardown) with @attr still open: freed
	 * without calling into the driver; closing it afterwards is fine. */
	udrm_device_destroy(f->dev);
	ut_expect(udrm_vfile_read(attr, buf, sizeof(buf), -1), -ENODEV,
		  "read after the device is gone");
	udrm_vfile_close(attr);
	f->dev = ut_device("vkms", 0, -1, 0);
}

static void test_frames_need_a_display(void **state)
{
	struct fixture *f = *state;
	struct udrm_device *vgem = ut_device("vgem", 1, 128, 0);
	struct udrm_frame frame;

	ut_expect(udrm_device_capture(vgem, NULL, NULL), -EOPNOTSUPP,
		  "capture on vgem");
	ut_expect(udrm_device_last_frame(vgem, 0, &frame), -EOPNOTSUPP,
		  "last_frame on vgem");
	ut_expect(udrm_device_last_frame(f->dev, 0, NULL), -EINVAL,
		  "last_frame without a frame to fill");
	udrm_device_destroy(vgem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_attribute_read_in_pieces_then_eof),
		T(test_attribute_reread_at_zero_shows_again),
		T(test_attribute_larger_than_a_page),
		T(test_store_gets_whole_buffer_and_errors),
		T(test_store_is_cut_to_a_page),
		T(test_access_modes_are_checked),
		T(test_bad_user_pointers_give_efault),
		T(test_add_checks_paths_modes_and_ops),
		T(test_stream_nonblocking_and_poll_fd),
		T(test_attribute_poll_fd_is_always_ready),
		T(test_open_refusal_is_passed_on),
		T(test_stream_blocking_read_and_set_nonblock),
		T(test_removal_releases_open_files),
		T(test_frames_need_a_display),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
