// SPDX-License-Identifier: MIT
/*
 * Display capture for "udrm run --capture" and "--capture-every". The CLI
 * passes its options in the environment:
 *
 *   UDRM_CAPTURE=FILE          at exit, the last frame of each CRTC this
 *                              process showed: FILE when there is one,
 *                              else FILE's name with "-<crtc>" before a
 *                              ".png" ending ("-card<N>-<crtc>" when the
 *                              frames come from several devices);
 *   UDRM_CAPTURE_EVERY=N       every Nth composed frame of each CRTC,
 *   UDRM_CAPTURE_DIR=DIR       as DIR/crtc<i>-<sequence>.png (sequence:
 *                              the vblank count, 6 digits at least;
 *                              "card<N>-" in front for a second device).
 *
 * The driver calls ip_capture_frame() on its composer thread: it copies
 * the frame and queues it for a writer thread, so the composer never
 * waits for PNG encoding; when the queue is full the frame is dropped
 * (counted, reported at exit). At exit the queue is drained, then the
 * last frames are written. udrm_device_last_frame() only gives frames
 * composed in this process, so a forked child that showed nothing
 * writes nothing.
 */
#include "preload.h"

#include <drm_fourcc.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame_png.h"

#define IP_CAPTURE_MAX_CRTCS 32
/* Frames waiting for the writer at most (each a full copy). */
#define IP_CAPTURE_QUEUE_MAX 8

struct ip_capture_dev {
	struct udrm_device *dev;
	char card[16];	 /* "card<N>" */
	char prefix[24]; /* of --capture-every files: "" for the first
			    device, "card<N>-" for the others */
	atomic_uint_fast64_t composed[IP_CAPTURE_MAX_CRTCS];
};

struct ip_capture_item {
	struct ip_capture_item *next;
	char path[4096];
	struct udrm_frame frame; /* pixels owned */
};

static struct {
	const char *file; /* UDRM_CAPTURE or NULL */
	const char *dir;  /* UDRM_CAPTURE_DIR or NULL */
	unsigned int every;
	struct ip_capture_dev devs[IP_MAX_DEVICES];
	size_t ndevs;

	pthread_mutex_t lock; /* what follows */
	pthread_cond_t work, idle;
	struct ip_capture_item *head, **tail;
	unsigned int queued;
	bool writing;
	pid_t writer_pid; /* the process whose writer thread runs */
	uint64_t dropped;
} ipc = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static void ip_capture_free_item(struct ip_capture_item *item)
{
	free((void *)item->frame.pixels);
	free(item);
}

static void ip_capture_report(const char *path, int err)
{
	fprintf(stderr, "udrm: capture: cannot write %s: %s\n", path,
		strerror(-err));
}

static void *ip_capture_writer(void *arg)
{
	struct ip_capture_item *item;
	int ret;

	(void)arg;
	ip_bypass++;
	pthread_mutex_lock(&ipc.lock);
	for (;;) {
		while (!ipc.head)
			pthread_cond_wait(&ipc.work, &ipc.lock);
		item = ipc.head;
		ipc.head = item->next;
		if (!ipc.head)
			ipc.tail = &ipc.head;
		ipc.writing = true;
		pthread_mutex_unlock(&ipc.lock);

		ret = frame_png_write(item->path, &item->frame);
		if (ret)
			ip_capture_report(item->path, ret);
		ip_capture_free_item(item);

		pthread_mutex_lock(&ipc.lock);
		ipc.queued--;
		ipc.writing = false;
		if (!ipc.head)
			pthread_cond_broadcast(&ipc.idle);
	}
	return NULL;
}

/* Called with ipc.lock: a writer thread of this process. */
static bool ip_capture_writer_locked(void)
{
	pthread_attr_t attr;
	pthread_t thread;
	bool ok;

	if (ipc.writer_pid == getpid())
		return true;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ok = !pthread_create(&thread, &attr, ip_capture_writer, NULL);
	pthread_attr_destroy(&attr);
	if (ok)
		ipc.writer_pid = getpid();
	return ok;
}

/* The driver's composer thread, once per composed frame. */
static void ip_capture_frame(void *ctx, struct udrm_device *dev,
			     const struct udrm_frame *frame)
{
	struct ip_capture_dev *cd = ctx;
	struct ip_capture_item *item;
	size_t line = (size_t)frame->width * 3, y;
	unsigned char *pixels;
	uint64_t n;

	(void)dev;
	if (!ipc.every || frame->crtc >= IP_CAPTURE_MAX_CRTCS ||
	    frame->format != DRM_FORMAT_BGR888 || !frame->width ||
	    !frame->height || frame->stride < line || !frame->pixels)
		return;
	n = atomic_fetch_add(&cd->composed[frame->crtc], 1);
	if (n % ipc.every)
		return;

	pthread_mutex_lock(&ipc.lock);
	if (ipc.queued >= IP_CAPTURE_QUEUE_MAX || !ip_capture_writer_locked()) {
		ipc.dropped++;
		pthread_mutex_unlock(&ipc.lock);
		return;
	}
	ipc.queued++;
	pthread_mutex_unlock(&ipc.lock);

	item = calloc(1, sizeof(*item));
	pixels = malloc(line * frame->height);
	if (!item || !pixels) {
		free(item);
		free(pixels);
		pthread_mutex_lock(&ipc.lock);
		ipc.queued--;
		ipc.dropped++;
		pthread_mutex_unlock(&ipc.lock);
		return;
	}
	for (y = 0; y < frame->height; y++)
		memcpy(pixels + y * line,
		       (const unsigned char *)frame->pixels + y * frame->stride,
		       line);
	item->frame = *frame;
	item->frame.stride = line;
	item->frame.pixels = pixels;
	snprintf(item->path, sizeof(item->path),
		 "%s/%scrtc%u-%06" PRIu64 ".png", ipc.dir, cd->prefix,
		 frame->crtc, frame->sequence);

	pthread_mutex_lock(&ipc.lock);
	*ipc.tail = item;
	ipc.tail = &item->next;
	pthread_cond_signal(&ipc.work);
	pthread_mutex_unlock(&ipc.lock);
}

/* Waits until this process's writer has written what was queued. */
static void ip_capture_drain(void)
{
	pthread_mutex_lock(&ipc.lock);
	if (ipc.writer_pid == getpid())
		while (ipc.head || ipc.writing)
			pthread_cond_wait(&ipc.idle, &ipc.lock);
	pthread_mutex_unlock(&ipc.lock);
}

struct ip_last_frame {
	struct ip_capture_dev *cd;
	struct udrm_frame frame;
};

/* FILE, or FILE with "-<tag>" before its ".png" ending. */
static void ip_capture_name(char *out, size_t len, const char *file,
			    const char *tag)
{
	size_t n = strlen(file);

	if (!tag) {
		snprintf(out, len, "%s", file);
		return;
	}
	if (n >= 4 && !strcasecmp(file + n - 4, ".png"))
		snprintf(out, len, "%.*s-%s%s", (int)(n - 4), file, tag,
			 file + n - 4);
	else
		snprintf(out, len, "%s-%s", file, tag);
}

static void ip_capture_write_last(void)
{
	struct ip_last_frame frames[IP_MAX_DEVICES * 4];
	size_t nframes = 0, i, d;
	bool several_devs = false;
	char path[4096], tag[48];
	unsigned int crtc;
	int ret;

	for (d = 0; d < ipc.ndevs; d++) {
		for (crtc = 0; crtc < IP_CAPTURE_MAX_CRTCS; crtc++) {
			struct ip_last_frame *lf = &frames[nframes];

			if (nframes == sizeof(frames) / sizeof(frames[0]))
				break;
			ret = udrm_device_last_frame(ipc.devs[d].dev, crtc,
						     &lf->frame);
			if (ret == -EINVAL || ret == -EOPNOTSUPP)
				break; /* past the last CRTC */
			if (ret)
				continue; /* nothing shown there by us */
			lf->cd = &ipc.devs[d];
			lf->frame.crtc = crtc;
			several_devs |= nframes && frames[0].cd != lf->cd;
			nframes++;
		}
	}
	for (i = 0; i < nframes; i++) {
		if (several_devs)
			snprintf(tag, sizeof(tag), "%s-%u", frames[i].cd->card,
				 frames[i].frame.crtc);
		else
			snprintf(tag, sizeof(tag), "%u", frames[i].frame.crtc);
		ip_capture_name(path, sizeof(path), ipc.file,
				nframes == 1 ? NULL : tag);
		ret = frame_png_write(path, &frames[i].frame);
		if (ret)
			ip_capture_report(path, ret);
		free((void *)frames[i].frame.pixels);
	}
}

static void ip_capture_exit(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	ip_bypass++;
	ip_capture_drain();
	if (ipc.dropped && ipc.writer_pid == getpid())
		fprintf(stderr,
			"udrm: capture: %" PRIu64
			" frame(s) dropped, the writer fell behind\n",
			ipc.dropped);
	if (ipc.file)
		ip_capture_write_last();
	ip_bypass--;
}

/* The queue belongs to the parent's writer: the child starts afresh. */
static void ip_capture_atfork_prepare(void)
{
	pthread_mutex_lock(&ipc.lock);
}

static void ip_capture_atfork_parent(void)
{
	pthread_mutex_unlock(&ipc.lock);
}

static void ip_capture_atfork_child(void)
{
	struct ip_capture_item *item;

	while ((item = ipc.head)) {
		ipc.head = item->next;
		ip_capture_free_item(item);
	}
	ipc.tail = &ipc.head;
	ipc.queued = 0;
	ipc.writing = false;
	ipc.dropped = 0;
	pthread_mutex_unlock(&ipc.lock);
}

static bool ip_capture_configure(void)
{
	const char *file = getenv("UDRM_CAPTURE");
	const char *every = getenv("UDRM_CAPTURE_EVERY");
	const char *dir = getenv("UDRM_CAPTURE_DIR");
	unsigned long n;
	char *end;

	ipc.tail = &ipc.head;
	if (file && file[0])
		ipc.file = file;
	if (every && every[0] && dir && dir[0]) {
		errno = 0;
		n = strtoul(every, &end, 10);
		if (*end || !n || n > UINT32_MAX || errno)
			fprintf(stderr,
				"udrm: UDRM_CAPTURE_EVERY=%s is not a positive "
				"number: no frames captured\n",
				every);
		else {
			ipc.every = (unsigned int)n;
			ipc.dir = dir;
		}
	}
	if (!ipc.file && !ipc.every)
		return false;
	pthread_atfork(ip_capture_atfork_prepare, ip_capture_atfork_parent,
		       ip_capture_atfork_child);
	atexit(ip_capture_exit);
	return true;
}

void ip_capture_flush(void)
{
	if (ipc.ndevs)
		ip_capture_exit();
}

void ip_capture_device(struct udrm_device *dev)
{
	static bool configured, wanted;
	struct ip_capture_dev *cd;
	int minor;

	if (!configured) {
		configured = true;
		wanted = ip_capture_configure();
	}
	if (!wanted || ipc.ndevs >= IP_MAX_DEVICES)
		return;
	cd = &ipc.devs[ipc.ndevs];
	cd->dev = dev;
	minor = udrm_device_minor(dev, UDRM_NODE_PRIMARY);
	snprintf(cd->card, sizeof(cd->card), "card%d", minor);
	if (ipc.ndevs)
		snprintf(cd->prefix, sizeof(cd->prefix), "card%d-", minor);
	/* Devices without a display say -EOPNOTSUPP: nothing to capture. */
	if (udrm_device_capture(dev, ip_capture_frame, cd))
		return;
	ipc.ndevs++;
}
