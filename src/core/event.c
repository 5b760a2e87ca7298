// SPDX-License-Identifier: MIT
#include "event.h"

#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "file.h"
#include "uaccess.h"

int udrm_event_init(struct udrm_file *file)
{
	int sv[2];
	int sndbuf = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	/* The core's end never blocks; the budget keeps it from filling. */
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) ||
	    ((file->open_flags & O_NONBLOCK) &&
	     fcntl(sv[0], F_SETFL, O_NONBLOCK))) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* The user end only receives. */
	shutdown(sv[0], SHUT_WR);
	file->user_fd = sv[0];
	file->event_fd = sv[1];
	file->event_space = UDRM_EVENT_SPACE;
	pthread_mutex_init(&file->event_lock, NULL);
	return 0;
}

void udrm_event_fini(struct udrm_file *file)
{
	if (file->user_fd >= 0) /* not handed over (udrm_file_take_fd) */
		close(file->user_fd);
	close(file->event_fd);
	pthread_mutex_destroy(&file->event_lock);
}

int udrm_event_reserve(struct udrm_file *file, size_t length)
{
	int ret = 0;

	if (length < sizeof(struct drm_event) || length > UDRM_EVENT_SPACE)
		return -EINVAL;
	pthread_mutex_lock(&file->event_lock);
	if ((size_t)file->event_space < length)
		ret = -ENOMEM;
	else
		file->event_space -= (int)length;
	pthread_mutex_unlock(&file->event_lock);
	return ret;
}

void udrm_event_cancel(struct udrm_file *file, size_t length)
{
	pthread_mutex_lock(&file->event_lock);
	file->event_space += (int)length;
	pthread_mutex_unlock(&file->event_lock);
}

int udrm_event_send(struct udrm_file *file, const struct drm_event *event)
{
	ssize_t n = send(file->event_fd, event, event->length,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n != (ssize_t)event->length) {
		int err = n < 0 ? -errno : -EIO;

		udrm_event_cancel(file, event->length);
		return err;
	}
	return 0;
}

void udrm_event_consumed(struct udrm_file *file, size_t n)
{
	pthread_mutex_lock(&file->event_lock);
	if (n > (size_t)(UDRM_EVENT_SPACE - file->event_space))
		n = (size_t)(UDRM_EVENT_SPACE - file->event_space);
	file->event_space += (int)n;
	pthread_mutex_unlock(&file->event_lock);
}

/* Moves as many whole events as fit to @buf. Returns bytes moved, 0 if the
 * first event does not fit, -EAGAIN if none is pending, -EFAULT. */
static ssize_t event_read_pending(struct udrm_file *file, uint64_t buf,
				  size_t len)
{
	uint8_t event[UDRM_EVENT_SPACE];
	size_t done = 0;
	ssize_t n;

	pthread_mutex_lock(&file->event_lock);
	for (;;) {
		n = recv(file->user_fd, event, sizeof(event),
			 MSG_PEEK | MSG_DONTWAIT);
		if (n <= 0) {
			if (!done)
				done = (size_t)-EAGAIN;
			break;
		}
		if ((size_t)n > len - done)
			break;
		/* Copy before consuming: an event that cannot be delivered
		 * stays queued, as the kernel puts it back. */
		if (udrm_copy_to_user(file, buf + done, event, (size_t)n)) {
			if (!done)
				done = (size_t)-EFAULT;
			break;
		}
		if (recv(file->user_fd, event, sizeof(event), MSG_DONTWAIT) !=
		    n)
			break;
		done += (size_t)n;
		file->event_space += (int)n;
	}
	pthread_mutex_unlock(&file->event_lock);
	return (ssize_t)done;
}

ssize_t udrm_event_read(struct udrm_file *file, void *buf, size_t len)
{
	struct pollfd pfd = {.fd = file->user_fd, .events = POLLIN};
	ssize_t ret;
	int flags;

	for (;;) {
		ret = event_read_pending(file, udrm_user_ptr(buf), len);
		if (ret != -EAGAIN)
			return ret;
		flags = fcntl(file->user_fd, F_GETFL);
		if (flags < 0)
			return -errno;
		if (flags & O_NONBLOCK)
			return -EAGAIN;
		if (poll(&pfd, 1, -1) < 0)
			return -errno; /* -EINTR: a signal, as the kernel */
	}
}
