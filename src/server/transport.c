// SPDX-License-Identifier: MIT
#include "transport.h"

#include <errno.h>
#include <stdatomic.h>
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

static inline void slot_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

void udrm_slot_note_cpu(_Atomic int16_t *cpu)
{
	int now = sched_getcpu(); /* rseq or vDSO: no system call */

	atomic_store_explicit(cpu,
			      (int16_t)(now >= 0 && now < INT16_MAX ? now : -1),
			      memory_order_relaxed);
}

uint32_t udrm_slot_spin(_Atomic uint32_t *word, uint32_t value,
			_Atomic int16_t *peer_cpu)
{
	struct timespec start, now;
	uint32_t v;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned int i = 0;; i++) {
		v = atomic_load_explicit(word, memory_order_acquire);
		if (v != value)
			return v;
		if (i % 16 == 0) {
			int cpu = sched_getcpu();

			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - start.tv_sec) * 1000000000L +
				    now.tv_nsec - start.tv_nsec >
			    UDRM_SLOT_SPIN_NS)
				return value;
			/* About every 3 µs, or now if the peer shares this
			 * CPU: let it run. */
			if ((i && i % 64 == 0) ||
			    (cpu >= 0 &&
			     cpu == atomic_load_explicit(
					    peer_cpu, memory_order_relaxed))) {
				sched_yield();
				continue;
			}
		}
		slot_cpu_relax();
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
