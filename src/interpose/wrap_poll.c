// SPDX-License-Identifier: MIT
/*
 * poll() and ppoll() on udrm dma-bufs. To libc a dma-buf is a memfd, which
 * is always ready; the kernel's dma_buf_poll() is ready only once the
 * buffer's implicit fences allow the access (POLLIN: the writers are done,
 * POLLOUT: everyone is). For each dma-buf entry that must wait, the core
 * gives a sync_file of those fences, and the real ppoll() waits on it in
 * the dma-buf's stead.
 *
 * Virtual files (sysfs, debugfs) are placeholders in the tree to libc: an
 * attribute is always ready, as kernfs's default poll; a stream file (a
 * CRC "data" file) is polled through the fd its driver makes readable.
 *
 * Programs without dma-bufs or virtual files pay two relaxed atomic loads.
 * select(), pselect() and epoll still see both as always ready.
 */
#include "preload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A sync_file polled in place of one access of one dma-buf entry. */
struct ip_poll_wait {
	nfds_t index; /* the program's entry */
	short bit;    /* POLLIN or POLLOUT */
};

struct ip_poll {
	struct pollfd *all; /* the program's entries, then the sync_files */
	struct ip_poll_wait *waits;
	short *ready;  /* dma-buf accesses that need not wait */
	bool *dmabuf;  /* which entries are udrm dma-bufs or always-ready
			  virtual files (their answer is in @ready) */
	bool *vstream; /* which entries poll a virtual file's poll fd */
	struct ipfd_entry **ventry; /* virtual files, pinned during the poll */
	nfds_t nwaits;
};

static void ip_poll_free(struct ip_poll *p, nfds_t nfds)
{
	int saved = errno;
	nfds_t i;

	for (i = 0; i < p->nwaits; i++)
		ip_real.close(p->all[nfds + i].fd);
	for (i = 0; p->ventry && i < nfds; i++)
		if (p->ventry[i])
			ipfd_put(&ip_vfds, p->ventry[i]);
	free(p->ventry);
	free(p->vstream);
	free(p->all);
	free(p->waits);
	free(p->ready);
	free(p->dmabuf);
	errno = saved;
}

/* kernfs's default poll (DEFAULT_POLLMASK), a stream's when readable. */
#define IP_ALWAYS_READY (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
#define IP_READABLE	(POLLIN | POLLRDNORM)

/* Makes entry @i poll what a virtual file's readiness depends on; false if
 * fds[i] is no virtual file. */
static bool ip_poll_vfile(struct ip_poll *p, const struct pollfd *fds, nfds_t i)
{
	struct ipfd_entry *entry = ipfd_get(&ip_vfds, fds[i].fd);
	int fd;

	if (!entry)
		return false;
	p->ventry[i] = entry;
	fd = ip_vf_poll_fd(entry->file);
	if (fd < 0) {
		p->dmabuf[i] = true;
		p->ready[i] = fds[i].events & IP_ALWAYS_READY;
		p->all[i].fd = -1;
	} else {
		p->vstream[i] = true;
		p->all[i].fd = fd;
		p->all[i].events = POLLIN;
	}
	return true;
}

/* Replaces the dma-buf and virtual file entries; returns the number of
 * them, -1 on ENOMEM. */
static long ip_poll_prepare(struct ip_poll *p, const struct pollfd *fds,
			    nfds_t nfds, bool dmabufs_exist, bool vfiles_open)
{
	static const short bits[] = {POLLIN, POLLOUT};
	long dmabufs = 0;
	nfds_t i;
	size_t b;

	p->all = calloc(nfds * 3 + 1, sizeof(*p->all));
	p->waits = calloc(nfds * 2 + 1, sizeof(*p->waits));
	p->ready = calloc(nfds + 1, sizeof(*p->ready));
	p->dmabuf = calloc(nfds + 1, sizeof(*p->dmabuf));
	p->vstream = calloc(nfds + 1, sizeof(*p->vstream));
	p->ventry = calloc(nfds + 1, sizeof(*p->ventry));
	p->nwaits = 0;
	if (!p->all || !p->waits || !p->ready || !p->dmabuf || !p->vstream ||
	    !p->ventry)
		return -1;
	memcpy(p->all, fds, nfds * sizeof(*fds));
	for (i = 0; i < nfds; i++) {
		if (vfiles_open && fds[i].fd >= 0 && ip_poll_vfile(p, fds, i)) {
			dmabufs++;
			continue;
		}
		for (b = 0; b < 2 && fds[i].fd >= 0 && dmabufs_exist; b++) {
			int sync_fd, ret;

			if (!(fds[i].events & bits[b]))
				continue;
			ret = ip_dmabuf_poll_fd(fds[i].fd, bits[b] == POLLOUT,
						&sync_fd);
			if (ret == -ENOTTY)
				break;
			p->dmabuf[i] = true;
			if (ret < 0 || sync_fd < 0) {
				/* Nothing to wait for (or no way to): the
				 * memfd's own answer, ready. */
				p->ready[i] |= bits[b];
				continue;
			}
			p->all[nfds + p->nwaits].fd = sync_fd;
			p->all[nfds + p->nwaits].events = POLLIN;
			p->waits[p->nwaits].index = i;
			p->waits[p->nwaits].bit = bits[b];
			p->nwaits++;
		}
		if (p->dmabuf[i]) {
			p->all[i].fd = -1; /* poll() skips negative fds */
			dmabufs++;
		}
	}
	return dmabufs;
}

static int ip_poll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		   const sigset_t *sigmask)
{
	const struct timespec zero = {0, 0};
	struct ip_poll p;
	bool any_ready = false, dmabufs_exist, vfiles_open;
	long dmabufs;
	nfds_t i;
	int ret;

	if (ip_bypass || !ip_ready_now())
		return ip_real.ppoll(fds, nfds, ts, sigmask);
	dmabufs_exist = ip_dmabufs_may_exist();
	vfiles_open = ip_vfiles_open();
	if (!dmabufs_exist && !vfiles_open)
		return ip_real.ppoll(fds, nfds, ts, sigmask);
	ip_bypass++;
	dmabufs = ip_poll_prepare(&p, fds, nfds, dmabufs_exist, vfiles_open);
	ip_bypass--;
	if (dmabufs <= 0) {
		ip_poll_free(&p, nfds);
		return ip_real.ppoll(fds, nfds, ts, sigmask);
	}
	for (i = 0; i < nfds; i++)
		any_ready |= p.ready[i] != 0;
	ret = ip_real.ppoll(p.all, nfds + p.nwaits, any_ready ? &zero : ts,
			    sigmask);
	if (ret < 0) {
		ip_poll_free(&p, nfds);
		return ret;
	}
	for (i = 0; i < nfds; i++) {
		if (p.dmabuf[i])
			fds[i].revents = p.ready[i];
		else if (p.vstream[i])
			fds[i].revents =
				(short)(((p.all[i].revents & POLLIN)
						 ? fds[i].events & IP_READABLE
						 : 0) |
					(p.all[i].revents &
					 (POLLERR | POLLHUP | POLLNVAL)));
		else
			fds[i].revents = p.all[i].revents;
	}
	for (i = 0; i < p.nwaits; i++)
		if (p.all[nfds + i].revents & POLLIN)
			fds[p.waits[i].index].revents |= p.waits[i].bit;
	ret = 0;
	for (i = 0; i < nfds; i++)
		ret += fds[i].revents != 0;
	ip_poll_free(&p, nfds);
	return ret;
}

IP_EXPORT int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		    const sigset_t *sigmask)
{
	IP_NEED(ppoll);
	return ip_poll(fds, nfds, ts, sigmask);
}

IP_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000};

	IP_NEED(ppoll);
	return ip_poll(fds, nfds, timeout < 0 ? NULL : &ts, NULL);
}

extern void __chk_fail(void) __attribute__((noreturn));
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		const sigset_t *sigmask, size_t fdslen);

IP_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout,
			 size_t fdslen)
{
	if (fdslen / sizeof(*fds) < nfds)
		__chk_fail();
	return poll(fds, nfds, timeout);
}

IP_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t nfds,
			  const struct timespec *ts, const sigset_t *sigmask,
			  size_t fdslen)
{
	if (fdslen / sizeof(*fds) < nfds)
		__chk_fail();
	return ppoll(fds, nfds, ts, sigmask);
}
