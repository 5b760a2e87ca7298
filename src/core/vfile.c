// SPDX-License-Identifier: MIT
/*
 * Virtual files (vfile.h): the per-device list of published sysfs and
 * debugfs files and the embedding API that reads and writes them, with
 * seq_file semantics for attribute files and the kernel's stream rules
 * for the others.
 */
#include "vfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "uaccess.h"

/* The kernel's MAX_RW_COUNT: the most one read or write transfers. */
#define VFILE_RW_MAX 0x7ffff000u
/* The largest buffer a stream read() is given at once. */
#define VFILE_STREAM_CHUNK (1u << 20)

struct udrm_vfile {
	struct udrm_device *dev;
	enum udrm_vfile_root root;
	unsigned int mode;
	struct udrm_vfile_ops ops;
	void *data;
	char path[UDRM_VFILE_PATH_MAX];

	/* Under dev->lock. */
	struct udrm_vfile_open *opens;
	unsigned int active; /* callbacks in progress */
	bool removed;
	pthread_cond_t idle; /* signalled when @active drops to 0 */
	struct udrm_vfile *next;
};

struct udrm_vfile_open {
	/* Set under dev->lock; NULL once the file was removed (then @dev
	 * may be gone too). */
	_Atomic(struct udrm_vfile *) vfile;
	struct udrm_device *dev;
	void *priv;
	int flags;
	atomic_bool nonblock;
	struct udrm_vfile_open *next; /* in vfile->opens, dev->lock */

	pthread_mutex_t lock; /* what follows */
	off_t pos;
	char *content; /* show() output of the last read at offset 0 */
	size_t size;
	bool have_content;
};

static bool vfile_is_stream(const struct udrm_vfile *vf)
{
	return vf->ops.read != NULL;
}

/* ---- publishing ---- */

static bool vfile_path_ok(const char *path)
{
	const char *p = path, *end;
	size_t len;

	if (!path || !path[0] || strlen(path) >= UDRM_VFILE_PATH_MAX)
		return false;
	for (;;) {
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (!len || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

/* Whether @a names @b, or a directory above it, or a file below it. */
static bool vfile_paths_clash(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la < lb ? la : lb;

	if (strncmp(a, b, n))
		return false;
	return la == lb || (la < lb ? b[la] == '/' : a[lb] == '/');
}

int udrm_vfile_add(struct udrm_device *dev, enum udrm_vfile_root root,
		   const char *path, unsigned int mode,
		   const struct udrm_vfile_ops *ops, void *data)
{
	struct udrm_vfile *vf, **link;

	if (!dev || !ops || !vfile_path_ok(path) ||
	    (root != UDRM_VFILE_SYSFS && root != UDRM_VFILE_DEBUGFS))
		return -EINVAL;
	if (!mode || (mode & ~0666u))
		return -EINVAL;
	if (ops->show && ops->read)
		return -EINVAL;
	if ((mode & 0444) && !ops->show && !ops->read)
		return -EINVAL;
	if ((mode & 0222) && !ops->store)
		return -EINVAL;

	vf = calloc(1, sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	vf->dev = dev;
	vf->root = root;
	vf->mode = mode;
	vf->ops = *ops;
	vf->data = data;
	memcpy(vf->path, path, strlen(path) + 1);
	pthread_cond_init(&vf->idle, NULL);

	pthread_mutex_lock(&dev->lock);
	for (link = &dev->vfiles; *link; link = &(*link)->next) {
		if ((*link)->root == root &&
		    vfile_paths_clash((*link)->path, path)) {
			pthread_mutex_unlock(&dev->lock);
			pthread_cond_destroy(&vf->idle);
			free(vf);
			return -EEXIST;
		}
	}
	*link = vf; /* in registration order */
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int udrm_vfile_add_simple(struct udrm_device *dev, enum udrm_vfile_root root,
			  const char *path, unsigned int mode,
			  int (*show)(void *data, char *buf, size_t len),
			  int (*store)(void *data, const char *buf, size_t len),
			  void *data)
{
	const struct udrm_vfile_ops ops = {.show = show, .store = store};

	return udrm_vfile_add(dev, root, path, mode, &ops, data);
}

int udrm_vfile_add_stream(struct udrm_device *dev, enum udrm_vfile_root root,
			  const char *path, unsigned int mode,
			  int (*open)(void *data, int flags, void **priv),
			  ssize_t (*read)(void *data, void *priv, char *buf,
					  size_t len, bool nonblock),
			  int (*poll_fd)(void *data, void *priv),
			  void (*release)(void *data, void *priv), void *data)
{
	const struct udrm_vfile_ops ops = {
		.open = open,
		.read = read,
		.poll_fd = poll_fd,
		.release = release,
	};

	if (!read || (mode & 0222))
		return -EINVAL;
	return udrm_vfile_add(dev, root, path, mode, &ops, data);
}

/*
 * Takes @vf (already unlinked from the device, marked removed) down: waits
 * for callbacks in progress, detaches every open (calling release() if
 * @call_release) and frees it. Called with dev->lock held; drops it while
 * release() runs.
 */
static void vfile_drain_locked(struct udrm_vfile *vf, bool call_release)
{
	struct udrm_device *dev = vf->dev;
	struct udrm_vfile_open *of;
	void *priv;

	for (;;) {
		while (vf->active)
			pthread_cond_wait(&vf->idle, &dev->lock);
		of = vf->opens;
		if (!of)
			break;
		vf->opens = of->next;
		priv = of->priv;
		/* From here on a close() of @of only frees it. */
		atomic_store(&of->vfile, NULL);
		if (call_release && vf->ops.release) {
			vf->active++;
			pthread_mutex_unlock(&dev->lock);
			vf->ops.release(vf->data, priv);
			pthread_mutex_lock(&dev->lock);
			vf->active--;
		}
	}
}

static void vfile_free(struct udrm_vfile *vf)
{
	pthread_cond_destroy(&vf->idle);
	free(vf);
}

int udrm_vfile_remove(struct udrm_device *dev, enum udrm_vfile_root root,
		      const char *path)
{
	struct udrm_vfile *vf, **link;

	if (!dev || !path)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	for (link = &dev->vfiles; *link; link = &(*link)->next)
		if ((*link)->root == root && !strcmp((*link)->path, path))
			break;
	vf = *link;
	if (!vf) {
		pthread_mutex_unlock(&dev->lock);
		return -ENOENT;
	}
	*link = vf->next;
	vf->removed = true;
	vfile_drain_locked(vf, true);
	pthread_mutex_unlock(&dev->lock);
	vfile_free(vf);
	return 0;
}

static void vfile_remove_all(struct udrm_device *dev, bool call_release)
{
	struct udrm_vfile *vf;

	pthread_mutex_lock(&dev->lock);
	while ((vf = dev->vfiles)) {
		dev->vfiles = vf->next;
		vf->removed = true;
		vfile_drain_locked(vf, call_release);
		vfile_free(vf);
	}
	pthread_mutex_unlock(&dev->lock);
}

void udrm_vfile_remove_all(struct udrm_device *dev)
{
	if (dev)
		vfile_remove_all(dev, true);
}

void udrm_vfile_device_fini(struct udrm_device *dev)
{
	vfile_remove_all(dev, false);
}

/*
 * Calls @fn for each file without dev->lock held (it may do I/O): the
 * list is copied first. The vfile pointers stay valid until the files are
 * removed, which the caller must not race with.
 */
int udrm_device_for_each_vfile(struct udrm_device *dev,
			       int (*fn)(void *ctx, enum udrm_vfile_root root,
					 const char *path, unsigned int mode,
					 struct udrm_vfile *vfile),
			       void *ctx)
{
	struct udrm_vfile *vf, **all;
	size_t n = 0, i;
	int ret = 0;

	if (!dev || !fn)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	for (vf = dev->vfiles; vf; vf = vf->next)
		n++;
	all = calloc(n + 1, sizeof(*all));
	if (!all) {
		pthread_mutex_unlock(&dev->lock);
		return -ENOMEM;
	}
	n = 0;
	for (vf = dev->vfiles; vf; vf = vf->next)
		all[n++] = vf;
	pthread_mutex_unlock(&dev->lock);

	for (i = 0; i < n && !ret; i++)
		ret = fn(ctx, all[i]->root, all[i]->path, all[i]->mode, all[i]);
	free(all);
	return ret;
}

/* ---- opens ---- */

/* Pins @of's file for a callback; NULL (-ENODEV) once it was removed. */
static struct udrm_vfile *vfile_enter(struct udrm_vfile_open *of)
{
	struct udrm_vfile *vf = atomic_load(&of->vfile);

	if (!vf)
		return NULL;
	pthread_mutex_lock(&of->dev->lock);
	vf = atomic_load(&of->vfile);
	if (vf && !vf->removed)
		vf->active++;
	else
		vf = NULL;
	pthread_mutex_unlock(&of->dev->lock);
	return vf;
}

static void vfile_leave(struct udrm_vfile *vf)
{
	pthread_mutex_lock(&vf->dev->lock);
	if (!--vf->active)
		pthread_cond_broadcast(&vf->idle);
	pthread_mutex_unlock(&vf->dev->lock);
}

int udrm_vfile_open(struct udrm_vfile *vf, int flags,
		    struct udrm_vfile_open **out)
{
	struct udrm_device *dev;
	struct udrm_vfile_open *of;
	int acc = flags & O_ACCMODE, ret = 0;

	if (!vf || !out)
		return -EINVAL;
	if (acc == O_ACCMODE)
		return -EINVAL;
	/* As kernfs: an access the file has no permission or no op for. */
	if (acc != O_WRONLY &&
	    (!(vf->mode & 0444) || (!vf->ops.show && !vf->ops.read)))
		return -EACCES;
	if (acc != O_RDONLY && (!(vf->mode & 0222) || !vf->ops.store))
		return -EACCES;

	of = calloc(1, sizeof(*of));
	if (!of)
		return -ENOMEM;
	dev = vf->dev;
	of->dev = dev;
	of->flags = flags;
	atomic_init(&of->nonblock, (flags & O_NONBLOCK) != 0);
	pthread_mutex_init(&of->lock, NULL);

	pthread_mutex_lock(&dev->lock);
	if (vf->removed) {
		pthread_mutex_unlock(&dev->lock);
		ret = -ENODEV;
		goto err_free;
	}
	vf->active++;
	pthread_mutex_unlock(&dev->lock);

	if (vf->ops.open)
		ret = vf->ops.open(vf->data, flags, &of->priv);

	pthread_mutex_lock(&dev->lock);
	if (!ret) {
		/* A removal waiting for us detaches (and releases) it. */
		of->next = vf->opens;
		vf->opens = of;
		atomic_store(&of->vfile, vf);
	}
	if (!--vf->active)
		pthread_cond_broadcast(&vf->idle);
	pthread_mutex_unlock(&dev->lock);
	if (ret)
		goto err_free;
	*out = of;
	return 0;

err_free:
	pthread_mutex_destroy(&of->lock);
	free(of);
	return ret;
}

void udrm_vfile_close(struct udrm_vfile_open *of)
{
	struct udrm_vfile_open **link;
	struct udrm_vfile *vf;

	if (!of)
		return;
	if (atomic_load(&of->vfile)) {
		pthread_mutex_lock(&of->dev->lock);
		vf = atomic_load(&of->vfile);
		if (vf) {
			for (link = &vf->opens; *link; link = &(*link)->next) {
				if (*link == of) {
					*link = of->next;
					break;
				}
			}
			atomic_store(&of->vfile, NULL);
			vf->active++;
		}
		pthread_mutex_unlock(&of->dev->lock);
		if (vf) {
			if (vf->ops.release)
				vf->ops.release(vf->data, of->priv);
			vfile_leave(vf);
		}
	}
	free(of->content);
	pthread_mutex_destroy(&of->lock);
	free(of);
}

/* Runs show() into a fresh copy of the content. Called with of->lock. */
static int vfile_generate(struct udrm_vfile *vf, struct udrm_vfile_open *of)
{
	size_t cap = UDRM_VFILE_SHOW_SIZE;
	char *buf;
	int n;

	for (;;) {
		buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		n = vf->ops.show(vf->data, buf, cap);
		if (n < 0) {
			free(buf);
			return n;
		}
		if ((size_t)n < cap)
			break;
		/* Too small: again with twice the room, as seq_file does. */
		free(buf);
		if (cap >= UDRM_VFILE_SHOW_MAX)
			return -ENOMEM;
		cap *= 2;
	}
	free(of->content);
	of->content = buf;
	of->size = (size_t)n;
	of->have_content = true;
	return 0;
}

static ssize_t vfile_show_read(struct udrm_vfile *vf,
			       struct udrm_vfile_open *of, void *ubuf,
			       size_t len, off_t pos)
{
	ssize_t ret;
	size_t n = 0;
	off_t p;

	pthread_mutex_lock(&of->lock);
	p = pos >= 0 ? pos : of->pos;
	/* seq_file shows again when a read starts at 0 (re-read after
	 * lseek(0) or pread(0) sees the current value). */
	if (p == 0 || !of->have_content) {
		ret = vfile_generate(vf, of);
		if (ret)
			goto out;
	}
	if ((uint64_t)p < of->size) {
		n = of->size - (size_t)p;
		if (n > len)
			n = len;
	}
	if (n &&
	    udrm_copy_to_user(NULL, udrm_user_ptr(ubuf), of->content + p, n)) {
		ret = -EFAULT;
		goto out;
	}
	if (pos < 0)
		of->pos = p + (off_t)n;
	ret = (ssize_t)n;
out:
	pthread_mutex_unlock(&of->lock);
	return ret;
}

static ssize_t vfile_stream_read(struct udrm_vfile *vf,
				 struct udrm_vfile_open *of, void *ubuf,
				 size_t len, off_t pos)
{
	size_t cap = len < VFILE_STREAM_CHUNK ? len : VFILE_STREAM_CHUNK;
	ssize_t n;
	char *kbuf;

	if (pos >= 0)
		return -ESPIPE;
	kbuf = malloc(cap ? cap : 1);
	if (!kbuf)
		return -ENOMEM;
	n = vf->ops.read(vf->data, of->priv, kbuf, cap,
			 atomic_load(&of->nonblock));
	if (n > (ssize_t)cap)
		n = (ssize_t)cap;
	if (n > 0 &&
	    udrm_copy_to_user(NULL, udrm_user_ptr(ubuf), kbuf, (size_t)n))
		n = -EFAULT;
	free(kbuf);
	return n;
}

ssize_t udrm_vfile_read(struct udrm_vfile_open *of, void *buf, size_t len,
			off_t pos)
{
	struct udrm_vfile *vf;
	ssize_t ret;

	if (!of)
		return -EBADF;
	if ((of->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (len > VFILE_RW_MAX)
		len = VFILE_RW_MAX;
	vf = vfile_enter(of);
	if (!vf)
		return -ENODEV;
	if (vfile_is_stream(vf))
		ret = vfile_stream_read(vf, of, buf, len, pos);
	else
		ret = vfile_show_read(vf, of, buf, len, pos);
	vfile_leave(vf);
	return ret;
}

ssize_t udrm_vfile_write(struct udrm_vfile_open *of, const void *buf,
			 size_t len, off_t pos)
{
	struct udrm_vfile *vf;
	char *kbuf;
	int ret;

	if (!of)
		return -EBADF;
	if ((of->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	vf = vfile_enter(of);
	if (!vf)
		return -ENODEV;
	if (pos >= 0 && vfile_is_stream(vf)) {
		ret = -ESPIPE;
		goto out;
	}
	if (len > UDRM_VFILE_STORE_MAX)
		len = UDRM_VFILE_STORE_MAX;
	kbuf = malloc(len + 1);
	if (!kbuf) {
		ret = -ENOMEM;
		goto out;
	}
	if (udrm_copy_from_user(NULL, kbuf, udrm_user_ptr(buf), len)) {
		free(kbuf);
		ret = -EFAULT;
		goto out;
	}
	kbuf[len] = '\0';
	pthread_mutex_lock(&of->lock);
	ret = len ? vf->ops.store(vf->data, kbuf, len) : 0;
	if (ret > (int)len)
		ret = (int)len;
	if (ret > 0 && pos < 0)
		of->pos += ret;
	pthread_mutex_unlock(&of->lock);
	free(kbuf);
out:
	vfile_leave(vf);
	return ret;
}

off_t udrm_vfile_lseek(struct udrm_vfile_open *of, off_t off, int whence)
{
	struct udrm_vfile *vf;
	off_t ret;

	if (!of)
		return -EBADF;
	vf = vfile_enter(of);
	if (!vf)
		return -ENODEV;
	if (vfile_is_stream(vf)) {
		vfile_leave(vf);
		return -ESPIPE;
	}
	pthread_mutex_lock(&of->lock);
	/* seq_lseek: SEEK_SET and SEEK_CUR only. */
	switch (whence) {
	case SEEK_SET:
		ret = off < 0 ? -EINVAL : off;
		break;
	case SEEK_CUR:
		if (off > 0 && of->pos > INT64_MAX - off)
			ret = -EOVERFLOW;
		else if (of->pos + off < 0)
			ret = -EINVAL;
		else
			ret = of->pos + off;
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret >= 0)
		of->pos = ret;
	pthread_mutex_unlock(&of->lock);
	vfile_leave(vf);
	return ret;
}

void udrm_vfile_set_nonblock(struct udrm_vfile_open *of, bool nonblock)
{
	if (of)
		atomic_store(&of->nonblock, nonblock);
}

int udrm_vfile_poll_fd(struct udrm_vfile_open *of)
{
	struct udrm_vfile *vf;
	int fd = -1;

	if (!of)
		return -1;
	vf = vfile_enter(of);
	if (!vf)
		return -1;
	if (vf->ops.poll_fd)
		fd = vf->ops.poll_fd(vf->data, of->priv);
	vfile_leave(vf);
	return fd < 0 ? -1 : fd;
}
