// SPDX-License-Identifier: MIT
/*
 * sync_file: fences as fds (see sync_file.h), after the kernel's
 * drivers/dma-buf/sync_file.c.
 */
#include "sync_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/uaccess.h"
#include "sync/dma_fence_unwrap.h"
#include "sync/sync_fd.h"
#include "sync/syncobj.h"
#include "udrm/udrm.h"

#define sync_file_container_of(ptr, type, member)                              \
	((type *)((char *)(ptr)-offsetof(type, member)))

struct udrm_sync_file {
	struct udrm_sync_fd base;
	struct udrm_fence *fence; /* a reference */
	struct udrm_fence_cb cb;  /* makes the fd readable */
	bool cb_added;
	char user_name[sizeof(((struct sync_file_info *)0)->name)];
};

static struct udrm_sync_file *to_sync_file(struct udrm_sync_fd *sfd)
{
	return sync_file_container_of(sfd, struct udrm_sync_file, base);
}

static void sync_file_release(struct udrm_sync_fd *sfd)
{
	struct udrm_sync_file *sf = to_sync_file(sfd);

	/* After this the callback cannot run: the kept end may close. */
	if (sf->cb_added)
		udrm_fence_remove_callback(sf->fence, &sf->cb);
	udrm_fence_put(sf->fence);
	free(sf);
}

static const struct udrm_sync_fd_ops sync_file_fd_ops = {
	.name = "sync_file",
	.release = sync_file_release,
};

static void sync_file_signalled(struct udrm_fence *fence,
				struct udrm_fence_cb *cb)
{
	struct udrm_sync_file *sf =
		sync_file_container_of(cb, struct udrm_sync_file, cb);

	(void)fence;
	udrm_sync_fd_make_readable(&sf->base);
}

/* A new sync_file fd for @fence (referenced) named @name (may be NULL). */
static int sync_file_install(struct udrm_fence *fence, const char *name,
			     bool cloexec)
{
	struct udrm_sync_file *sf = calloc(1, sizeof(*sf));
	int ret, fd;

	if (!sf)
		return -ENOMEM;
	sf->fence = udrm_fence_get(fence);
	if (name)
		snprintf(sf->user_name, sizeof(sf->user_name), "%s", name);
	ret = udrm_sync_fd_export(&sf->base, &sync_file_fd_ops, cloexec, &fd);
	if (ret) {
		udrm_fence_put(sf->fence);
		free(sf);
		return ret;
	}
	/* We hold a reference, so release (which removes the callback)
	 * cannot run before the callback is added. */
	if (udrm_fence_add_callback(fence, &sf->cb, sync_file_signalled))
		udrm_sync_fd_make_readable(&sf->base);
	else
		sf->cb_added = true;
	udrm_sync_fd_put(&sf->base);
	return fd;
}

int udrm_sync_file_create(struct udrm_fence *fence, bool cloexec)
{
	if (!fence)
		return -EINVAL;
	return sync_file_install(fence, NULL, cloexec);
}

static struct udrm_sync_file *sync_file_fdget(int fd)
{
	struct udrm_sync_fd *sfd = udrm_sync_fd_lookup(fd, &sync_file_fd_ops);

	return sfd ? to_sync_file(sfd) : NULL;
}

static void sync_file_fdput(struct udrm_sync_file *sf)
{
	udrm_sync_fd_put(&sf->base);
}

struct udrm_fence *udrm_sync_file_get_fence(int fd)
{
	struct udrm_sync_file *sf = sync_file_fdget(fd);
	struct udrm_fence *fence;

	if (!sf)
		return NULL;
	fence = udrm_fence_get(sf->fence);
	sync_file_fdput(sf);
	return fence;
}

/* The user's name, or "driver-timeline<context>-<seqno>" as the kernel's
 * sync_file_get_name(). */
static void sync_file_get_name(struct udrm_sync_file *sf, char *buf, size_t len)
{
	if (sf->user_name[0]) {
		snprintf(buf, len, "%s", sf->user_name);
		return;
	}
	snprintf(buf, len, "%s-%s%llu-%lld", udrm_fence_driver_name(sf->fence),
		 udrm_fence_timeline_name(sf->fence),
		 (unsigned long long)sf->fence->context,
		 (long long)sf->fence->seqno);
}

static int sync_file_ioctl_merge(struct udrm_sync_file *sf, void *arg)
{
	struct udrm_fence *fences[2], *merged;
	struct udrm_sync_file *sf2;
	struct sync_merge_data data;
	int fd;

	if (udrm_copy_from_user(NULL, &data, udrm_user_ptr(arg), sizeof(data)))
		return -EFAULT;
	if (data.flags || data.pad)
		return -EINVAL;
	sf2 = sync_file_fdget(data.fd2);
	if (!sf2)
		return -ENOENT;
	data.name[sizeof(data.name) - 1] = '\0';
	fences[0] = sf->fence;
	fences[1] = sf2->fence;
	merged = udrm_fence_unwrap_merge(2, fences);
	sync_file_fdput(sf2);
	if (!merged)
		return -ENOMEM;
	fd = sync_file_install(merged, data.name, true);
	udrm_fence_put(merged);
	if (fd < 0)
		return fd;
	data.fence = fd;
	if (udrm_copy_to_user(NULL, udrm_user_ptr(arg), &data, sizeof(data))) {
		/* The kernel never installs the fd in this case. */
		udrm_fd_uninstall(fd);
		return -EFAULT;
	}
	return 0;
}

static int sync_fill_fence_info(struct udrm_fence *fence,
				struct sync_fence_info *info)
{
	snprintf(info->obj_name, sizeof(info->obj_name), "%s",
		 udrm_fence_timeline_name(fence));
	snprintf(info->driver_name, sizeof(info->driver_name), "%s",
		 udrm_fence_driver_name(fence));
	info->status = udrm_fence_get_status(fence);
	info->timestamp_ns =
		udrm_fence_is_signaled(fence) ? udrm_fence_timestamp(fence) : 0;
	return info->status;
}

static int sync_file_ioctl_fence_info(struct udrm_sync_file *sf, void *arg)
{
	struct sync_fence_info *fence_info = NULL;
	struct udrm_fence_unwrap iter;
	struct sync_file_info info;
	struct udrm_fence *fence;
	unsigned int num_fences = 0, cap;
	int ret = 0;

	if (udrm_copy_from_user(NULL, &info, udrm_user_ptr(arg), sizeof(info)))
		return -EFAULT;
	if (info.flags || info.pad)
		return -EINVAL;
	num_fences = udrm_fence_unwrap_count(sf->fence);

	/* num_fences 0: the caller only asks how many there are. */
	if (!info.num_fences) {
		info.status = udrm_fence_get_status(sf->fence);
		goto no_fences;
	}
	info.status = 1;
	if (info.num_fences < num_fences)
		return -EINVAL;
	fence_info = calloc(num_fences, sizeof(*fence_info));
	if (!fence_info)
		return -ENOMEM;
	/* Chain links that signal meanwhile drop out: never more. */
	cap = num_fences;
	num_fences = 0;
	udrm_fence_unwrap_for_each(fence, &iter, sf->fence)
	{
		int status;

		if (num_fences == cap)
			continue;
		status = sync_fill_fence_info(fence, &fence_info[num_fences++]);
		info.status = info.status <= 0 ? info.status : status;
	}
	if (udrm_copy_to_user(NULL, info.sync_fence_info, fence_info,
			      num_fences * sizeof(*fence_info))) {
		ret = -EFAULT;
		goto out;
	}

no_fences:
	sync_file_get_name(sf, info.name, sizeof(info.name));
	info.num_fences = num_fences;
	if (udrm_copy_to_user(NULL, udrm_user_ptr(arg), &info, sizeof(info)))
		ret = -EFAULT;
out:
	free(fence_info);
	return ret;
}

static int sync_file_ioctl_set_deadline(struct udrm_sync_file *sf, void *arg)
{
	struct udrm_sync_set_deadline ts;

	if (udrm_copy_from_user(NULL, &ts, udrm_user_ptr(arg), sizeof(ts)))
		return -EFAULT;
	if (ts.pad)
		return -EINVAL;
	udrm_fence_set_deadline(sf->fence, ts.deadline_ns);
	return 0;
}

int udrm_sync_file_ioctl(int fd, unsigned long cmd, void *arg)
{
	struct udrm_sync_fd *sfd;
	struct udrm_sync_file *sf;
	int ret;

	if (_IOC_TYPE(cmd) != SYNC_IOC_MAGIC)
		return -ENOTTY;
	/* @fd is local: the transport resolved the fd it was called on. */
	sfd = udrm_sync_fd_lookup_local(fd, &sync_file_fd_ops);
	if (!sfd)
		return -ENOTTY;
	sf = to_sync_file(sfd);
	udrm_uaccess_init();
	switch (cmd) {
	case SYNC_IOC_MERGE:
		ret = sync_file_ioctl_merge(sf, arg);
		break;
	case SYNC_IOC_FILE_INFO:
		ret = sync_file_ioctl_fence_info(sf, arg);
		break;
	case UDRM_SYNC_IOC_SET_DEADLINE:
		ret = sync_file_ioctl_set_deadline(sf, arg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	sync_file_fdput(sf);
	return ret;
}

/* ---- syncobj interop ---- */

static int sync_file_export_fence(struct udrm_fence *fence, int *fd)
{
	int ret = udrm_sync_file_create(fence, true);

	if (ret < 0)
		return ret;
	*fd = ret;
	return 0;
}

static const struct udrm_syncobj_sync_file_ops sync_file_syncobj_ops = {
	.export_fence = sync_file_export_fence,
	.import_fence = udrm_sync_file_get_fence,
};

void udrm_sync_file_init(void)
{
	udrm_syncobj_set_sync_file_ops(&sync_file_syncobj_ops);
}
