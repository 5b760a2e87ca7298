// SPDX-License-Identifier: MIT
/*
 * The registry of objects exported as fds (see sync_fd.h): a flat array
 * scanned on lookup, since every lookup polls all kept ends anyway.
 */
#include "sync_fd.h"

#include "core/uaccess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	pthread_mutex_t lock;
	struct udrm_sync_fd **entries; /* (lock) one reference each */
	size_t count, capacity;	       /* (lock) */
} sync_fds = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t sync_fds_once = PTHREAD_ONCE_INIT;

static void sync_fds_prepare(void)
{
	pthread_mutex_lock(&sync_fds.lock);
}

static void sync_fds_after(void)
{
	pthread_mutex_unlock(&sync_fds.lock);
}

static void sync_fds_register_atfork(void)
{
	pthread_atfork(sync_fds_prepare, sync_fds_after, sync_fds_after);
}

static void sync_fds_lock(void)
{
	pthread_once(&sync_fds_once, sync_fds_register_atfork);
	pthread_mutex_lock(&sync_fds.lock);
}

struct udrm_sync_fd *udrm_sync_fd_get(struct udrm_sync_fd *sfd)
{
	atomic_fetch_add_explicit(&sfd->refcount, 1, memory_order_relaxed);
	return sfd;
}

void udrm_sync_fd_put(struct udrm_sync_fd *sfd)
{
	int kept;

	if (!sfd || atomic_fetch_sub_explicit(&sfd->refcount, 1,
					      memory_order_acq_rel) != 1)
		return;
	kept = atomic_load(&sfd->kept_fd);
	sfd->ops->release(sfd);
	if (kept >= 0)
		close(kept);
}

/*
 * Unregisters the objects whose exported fds are all closed and returns
 * them in *dead (a malloc'ed array of *ndead references) for the caller
 * to put after unlocking. Registry lock held.
 */
static void sync_fds_sweep_locked(struct udrm_sync_fd ***dead, size_t *ndead)
{
	struct udrm_sync_fd **out;
	struct pollfd *pfds;
	size_t i, kept = 0, n = 0;

	*dead = NULL;
	*ndead = 0;
	if (!sync_fds.count)
		return;
	pfds = calloc(sync_fds.count, sizeof(*pfds));
	out = calloc(sync_fds.count, sizeof(*out));
	if (!pfds || !out)
		goto out; /* try again next time */
	for (i = 0; i < sync_fds.count; i++)
		pfds[i].fd = atomic_load(&sync_fds.entries[i]->kept_fd);
	if (poll(pfds, sync_fds.count, 0) < 0)
		goto out;
	for (i = 0; i < sync_fds.count; i++) {
		struct udrm_sync_fd *sfd = sync_fds.entries[i];

		if (!(pfds[i].revents & (POLLHUP | POLLERR | POLLNVAL))) {
			sync_fds.entries[kept++] = sfd;
			continue;
		}
		/* POLLNVAL: someone closed our end; its number is not ours
		 * to use or close any more. */
		if (pfds[i].revents & POLLNVAL)
			atomic_store(&sfd->kept_fd, -1);
		out[n++] = sfd;
	}
	sync_fds.count = kept;
	if (n) {
		*dead = out;
		*ndead = n;
		out = NULL;
	}
out:
	free(out);
	free(pfds);
}

static void sync_fds_put_dead(struct udrm_sync_fd **dead, size_t ndead)
{
	size_t i;

	for (i = 0; i < ndead; i++)
		udrm_sync_fd_put(dead[i]);
	free(dead);
}

void udrm_sync_fd_sweep(void)
{
	struct udrm_sync_fd **dead;
	size_t ndead;

	sync_fds_lock();
	sync_fds_sweep_locked(&dead, &ndead);
	sync_fds_after();
	sync_fds_put_dead(dead, ndead);
}

size_t udrm_sync_fd_count(void)
{
	size_t n;

	sync_fds_lock();
	n = sync_fds.count;
	sync_fds_after();
	return n;
}

int udrm_sync_fd_export(struct udrm_sync_fd *sfd,
			const struct udrm_sync_fd_ops *ops, bool cloexec,
			int *fd)
{
	struct udrm_sync_fd **dead;
	struct stat st;
	size_t ndead;
	int sv[2], ufd, ret;

	/* sv[0] is kept (always close-on-exec), sv[1] exported. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if (!cloexec && fcntl(sv[1], F_SETFD, 0)) {
		ret = -errno;
		goto err_close;
	}
	if (fstat(sv[1], &st)) {
		ret = -errno;
		goto err_close;
	}
	/* The exported end goes to the caller (consumed) before the object
	 * is registered: a failure after this point uninstalls it. */
	ufd = udrm_fd_install(sv[1]);
	if (ufd < 0) {
		close(sv[0]);
		return ufd;
	}
	sfd->ops = ops;
	atomic_init(&sfd->refcount, 2);
	atomic_init(&sfd->kept_fd, sv[0]);
	sfd->st_dev = st.st_dev;
	sfd->st_ino = st.st_ino;

	sync_fds_lock();
	sync_fds_sweep_locked(&dead, &ndead);
	if (sync_fds.count == sync_fds.capacity) {
		size_t cap = sync_fds.capacity ? sync_fds.capacity * 2 : 16;
		struct udrm_sync_fd **grown;

		grown = realloc(sync_fds.entries, cap * sizeof(*grown));
		if (!grown) {
			sync_fds_after();
			sync_fds_put_dead(dead, ndead);
			udrm_fd_uninstall(ufd);
			close(sv[0]);
			return -ENOMEM;
		}
		sync_fds.entries = grown;
		sync_fds.capacity = cap;
	}
	sync_fds.entries[sync_fds.count++] = sfd;
	sync_fds_after();
	sync_fds_put_dead(dead, ndead);
	*fd = ufd;
	return 0;

err_close:
	close(sv[0]);
	close(sv[1]);
	return ret;
}

struct udrm_sync_fd *
udrm_sync_fd_lookup_local(int fd, const struct udrm_sync_fd_ops *ops)
{
	struct udrm_sync_fd *found = NULL, **dead;
	struct stat st;
	size_t i, ndead;

	if (fd < 0 || fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return NULL;
	sync_fds_lock();
	/* Sweep first: a dead export's inode number may be reused. */
	sync_fds_sweep_locked(&dead, &ndead);
	for (i = 0; i < sync_fds.count; i++) {
		struct udrm_sync_fd *sfd = sync_fds.entries[i];

		if (sfd->st_ino == st.st_ino && sfd->st_dev == st.st_dev) {
			if (sfd->ops == ops)
				found = udrm_sync_fd_get(sfd);
			break;
		}
	}
	sync_fds_after();
	sync_fds_put_dead(dead, ndead);
	return found;
}

struct udrm_sync_fd *udrm_sync_fd_lookup(int ufd,
					 const struct udrm_sync_fd_ops *ops)
{
	struct udrm_sync_fd *found;
	int fd;

	if (udrm_fd_get(ufd, &fd))
		return NULL;
	found = udrm_sync_fd_lookup_local(fd, ops);
	udrm_fd_put(ufd, fd);
	return found;
}

void udrm_sync_fd_make_readable(struct udrm_sync_fd *sfd)
{
	static const char byte;
	int kept = atomic_load(&sfd->kept_fd);

	/* The peer may be gone (every copy closed): nothing to wake. */
	if (kept >= 0)
		(void)send(kept, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}
