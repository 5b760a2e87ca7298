// SPDX-License-Identifier: MIT
#include "transport.h"

#include <errno.h>
#include <time.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int udrm_msg_send(int sock, struct udrm_msg *msg, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = {msg, sizeof(*msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	msg->size = sizeof(*msg);
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	return n == (ssize_t)sizeof(*msg) ? 0 : -EPIPE;
}

void udrm_msg_spin(int sock)
{
	struct timespec start, now;
	char byte;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 ||
		    errno != EAGAIN)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec -
			    start.tv_nsec >
		    UDRM_MSG_SPIN_NS)
			return;
		sched_yield();
	}
}

int udrm_msg_recv(int sock, struct udrm_msg *msg, int *fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} control;
	struct iovec iov = {msg, sizeof(*msg)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	int nfds = 0, fds[4];
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	if (n == 0)
		return -EPIPE;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0;
		     CMSG_LEN((i + 1) * sizeof(int)) <= c->cmsg_len && nfds < 4;
		     i++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
	}
	if (n != (ssize_t)sizeof(*msg) || msg->size != sizeof(*msg) ||
	    nfds > 1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	if (nfds)
		*fd = fds[0];
	return 0;
}

bool udrm_ino_set_has(const struct udrm_ino_set *set, uint64_t ino)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->inos[i] == ino)
			return true;
	return false;
}

int udrm_ino_set_add(struct udrm_ino_set *set, uint64_t ino)
{
	if (udrm_ino_set_has(set, ino))
		return 0;
	if (set->count == set->capacity) {
		size_t cap = set->capacity ? set->capacity * 2 : 8;
		uint64_t *inos = realloc(set->inos, cap * sizeof(*inos));

		if (!inos)
			return -ENOMEM;
		set->inos = inos;
		set->capacity = cap;
	}
	set->inos[set->count++] = ino;
	return 0;
}

void udrm_ino_set_filter(struct udrm_ino_set *set,
			 bool (*keep)(void *ctx, uint64_t ino), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < set->count; i++)
		if (keep(ctx, set->inos[i]))
			set->inos[n++] = set->inos[i];
	set->count = n;
}

void udrm_ino_set_fini(struct udrm_ino_set *set)
{
	free(set->inos);
	*set = (struct udrm_ino_set){0};
}
