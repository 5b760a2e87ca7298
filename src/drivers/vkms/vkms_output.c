// SPDX-License-Identifier: MIT
/*
 * vkms outputs: one per CRTC, as the kernel's vkms_crtc.c and
 * vkms_writeback.c. When a commit becomes current the CRTC's planes are
 * copied into a snapshot; at each vblank the output's composer thread
 * composes the snapshot when someone looks (CRC capture, a writeback job,
 * display capture), so composition never runs on the ioctl path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/device.h"
#include "sync/dma_fence.h"
#include "vkms_drv.h"

static void snapshot_put(struct vkms_snapshot *snap)
{
	unsigned int i;

	if (!snap || atomic_fetch_sub(&snap->refcount, 1) != 1)
		return;
	for (i = 0; i < snap->in.num_planes; i++)
		udrm_framebuffer_put(snap->fbs[i]);
	if (snap->wb_job) {
		/* Never composed: the job fails as the kernel's
		 * drm_writeback_cleanup_job leaves its fence unsignalled
		 * only until the connector goes; signal with an error. */
		if (snap->wb_job->out_fence) {
			udrm_fence_set_error(snap->wb_job->out_fence,
					     -ECANCELED);
			udrm_fence_signal(snap->wb_job->out_fence);
			udrm_fence_put(snap->wb_job->out_fence);
		}
		udrm_framebuffer_put(snap->wb_job->fb);
		free(snap->wb_job);
	}
	free(snap->gamma);
	free(snap);
}

static struct vkms_snapshot *snapshot_get(struct vkms_snapshot *snap)
{
	if (snap)
		atomic_fetch_add(&snap->refcount, 1);
	return snap;
}

static int cmp_zpos(const void *a, const void *b)
{
	const struct udrm_plane_state *const *pa = a, *const *pb = b;

	return (int)(*pa)->normalized_zpos - (int)(*pb)->normalized_zpos;
}

/* Copies what @crtc shows now (its current states) into a snapshot. */
static struct vkms_snapshot *snapshot_take(struct udrm_crtc *crtc,
					   struct udrm_atomic_state *state)
{
	struct udrm_kms *kms = crtc->kms;
	struct udrm_crtc_state *cs = crtc->state;
	struct udrm_plane_state *visible[UDRM_KMS_MAX_PLANES];
	struct vkms_snapshot *snap = calloc(1, sizeof(*snap));
	unsigned int i, n = 0, p;

	if (!snap)
		return NULL;
	atomic_init(&snap->refcount, 1);
	snap->active = cs->active;
	snap->hold = state->fb_removal;
	snap->in.width = cs->mode.hdisplay;
	snap->in.height = cs->mode.vdisplay;
	snap->in.background = cs->background_color;
	for (i = 0; i < kms->num_total_plane; i++) {
		struct udrm_plane_state *ps = kms->planes[i]->state;

		if (ps->crtc == crtc && ps->fb && ps->visible)
			visible[n++] = ps;
	}
	qsort(visible, n, sizeof(visible[0]), cmp_zpos);
	for (i = 0; i < n; i++) {
		struct udrm_plane_state *ps = visible[i];
		struct udrm_framebuffer *fb = ps->fb;
		struct vkms_plane_input *pi = &snap->planes[i];

		udrm_framebuffer_get(fb);
		snap->fbs[i] = fb;
		pi->format = fb->format;
		for (p = 0; p < fb->format->num_planes && p < 3; p++) {
			pi->map[p] = fb->map[p] + fb->offsets[p];
			pi->pitch[p] = fb->pitches[p];
		}
		pi->fb_width = fb->width;
		pi->fb_height = fb->height;
		pi->src = ps->src;
		pi->dst = ps->dst;
		pi->rotation = ps->rotation;
		pi->alpha = ps->alpha;
		pi->blend_mode = ps->pixel_blend_mode;
		pi->color_encoding = ps->color_encoding;
		pi->color_range = ps->color_range;
	}
	snap->in.planes = snap->planes;
	snap->in.num_planes = n;
	if (cs->gamma_lut &&
	    cs->gamma_lut->length >= sizeof(struct drm_color_lut)) {
		snap->gamma = malloc(cs->gamma_lut->length);
		if (snap->gamma) {
			memcpy(snap->gamma, cs->gamma_lut->data,
			       cs->gamma_lut->length);
			snap->in.gamma = snap->gamma;
			snap->in.gamma_size =
				(uint32_t)(cs->gamma_lut->length /
					   sizeof(struct drm_color_lut));
		}
	}
	return snap;
}

/* The writeback job of @out's connector in @state, taken out of the state
 * as drm_writeback_queue_job() does. */
static struct udrm_writeback_job *
take_writeback_job(struct vkms_output *out, struct udrm_atomic_state *state)
{
	struct udrm_connector_state *cs = out->wb_connector.state;
	struct udrm_writeback_job *job;

	if (!out->has_writeback || !cs || !cs->writeback_job)
		return NULL;
	job = cs->writeback_job;
	cs->writeback_job = NULL;
	return job;
}

/* Whether @snap shows a program's picture that no composition has drawn
 * yet (capture draws it before it is replaced or asked for). Caller holds
 * the output's lock. */
static bool picture_unshown_locked(const struct vkms_snapshot *snap)
{
	return snap && snap->active && !snap->composed && !snap->hold &&
	       snap->in.num_planes;
}

static bool capture_wanted(struct vkms_output *out)
{
	return atomic_load(&out->vkms->capture);
}

/* Bytes a pixel of a captured frame: DRM_FORMAT_BGR888 (bytes R, G, B). */
#define VKMS_FRAME_CPP 3

/* Bytes of a captured frame: DRM_FORMAT_BGR888, lines without padding. */
static size_t vkms_frame_bytes(uint32_t width, uint32_t height)
{
	return (size_t)width * height * VKMS_FRAME_CPP;
}

/* Composes @snap (output->lock NOT held) and publishes the results. */
static void output_compose(struct vkms_output *out, struct vkms_snapshot *snap,
			   uint64_t seq, bool want_crc, bool want_frame)
{
	struct vkms_frame_output res = {.want_crc = want_crc};
	struct udrm_writeback_job *job = NULL;
	struct udrm_framebuffer *wb_fb = NULL;
	size_t frame_bytes;
	uint8_t *frame = NULL;
	int ret;

	pthread_mutex_lock(&out->compose_lock);
	frame_bytes = vkms_frame_bytes(snap->in.width, snap->in.height);
	if (want_frame && frame_bytes) {
		/* Reuse the previous picture's memory: a 4K frame is 25 MB,
		 * fresh pages from the kernel each time otherwise. */
		if (out->spare && out->spare_bytes == frame_bytes) {
			frame = out->spare;
			out->spare = NULL;
		} else {
			/* Cache-line aligned: the composer's 64-byte stores
			 * then never straddle two lines. */
			frame = aligned_alloc(64,
					      (frame_bytes + 63) & ~(size_t)63);
		}
		res.frame = frame;
		res.frame_stride = (size_t)snap->in.width * VKMS_FRAME_CPP;
		res.frame_format = DRM_FORMAT_BGR888;
	}
	pthread_mutex_lock(&out->lock);
	job = snap->wb_job;
	snap->wb_job = NULL;
	pthread_mutex_unlock(&out->lock);
	if (job) {
		wb_fb = job->fb;
		res.wb_format = wb_fb->format->format;
		res.wb_map = wb_fb->map[0] + wb_fb->offsets[0];
		res.wb_pitch = wb_fb->pitches[0];
	}

	ret = vkms_compose(&out->composer, &snap->in, &res);

	if (job) {
		if (job->out_fence) {
			if (ret)
				udrm_fence_set_error(job->out_fence, ret);
			udrm_fence_signal(job->out_fence);
			udrm_fence_put(job->out_fence);
		}
		udrm_framebuffer_put(job->fb);
		free(job);
	}
	pthread_mutex_lock(&out->lock);
	snap->composed = true;
	if (!ret && want_crc) {
		uint64_t f;

		/* One entry per vblank since the last composed one, the
		 * same CRC for frames the composer was too late for, as
		 * kernel vkms does. */
		f = out->composed_seq && out->composed_seq < seq
			    ? out->composed_seq + 1
			    : seq;
		for (; f <= seq; f++)
			vkms_crc_add(out, f, res.crc);
	}
	if (seq > out->composed_seq)
		out->composed_seq = seq;
	if (!ret && frame && !snap->hold && snap->in.num_planes) {
		free(out->spare);
		out->spare = out->frame;
		out->spare_bytes =
			vkms_frame_bytes(out->frame_width, out->frame_height);
		out->frame = frame;
		out->frame_width = snap->in.width;
		out->frame_height = snap->in.height;
		out->frame_seq = seq;
		out->frame_pid = getpid();
		out->have_frame = true;
		frame = NULL;
	}
	pthread_mutex_unlock(&out->lock);

	if (!ret && res.frame && out->vkms->frame_fn) {
		struct udrm_frame f = {
			.crtc = out->crtc.index,
			.sequence = seq,
			.width = snap->in.width,
			.height = snap->in.height,
			.stride = res.frame_stride,
			.format = DRM_FORMAT_BGR888,
			.pixels = res.frame,
		};

		out->vkms->frame_fn(out->vkms->frame_ctx, out->vkms->dev, &f);
	}
	if (frame && !out->spare) {
		out->spare = frame;
		out->spare_bytes = frame_bytes;
		frame = NULL;
	}
	pthread_mutex_unlock(&out->compose_lock);
	free(frame);
}

static void *output_thread(void *arg)
{
	struct vkms_output *out = arg;

	pthread_mutex_lock(&out->lock);
	for (;;) {
		struct vkms_snapshot *snap;
		bool want_crc, want_frame;
		uint64_t seq;

		while (!out->stop && out->vblank_seq <= out->composed_seq)
			pthread_cond_wait(&out->cond, &out->lock);
		if (out->stop)
			break;
		seq = out->vblank_seq;
		snap = snapshot_get(out->snap);
		want_crc = vkms_crc_wanted(out);
		want_frame = capture_wanted(out);
		if (!snap || !snap->active ||
		    (!want_crc && !want_frame && !snap->wb_job)) {
			out->composed_seq = seq;
			pthread_mutex_unlock(&out->lock);
			snapshot_put(snap);
			pthread_mutex_lock(&out->lock);
			continue;
		}
		pthread_mutex_unlock(&out->lock);
		output_compose(out, snap, seq, want_crc, want_frame);
		snapshot_put(snap);
		pthread_mutex_lock(&out->lock);
	}
	pthread_mutex_unlock(&out->lock);
	return NULL;
}

static void vkms_crtc_atomic_flush(struct udrm_crtc *crtc,
				   struct udrm_atomic_state *state)
{
	struct vkms_output *out = vkms_output_of(crtc);
	struct vkms_snapshot *snap, *old;
	bool unshown;

	snap = snapshot_take(crtc, state);
	if (!snap)
		return; /* keeps showing the previous snapshot */
	snap->wb_job = take_writeback_job(out, state);

	pthread_mutex_lock(&out->lock);
	old = out->snap;
	out->snap = snap;
	unshown = picture_unshown_locked(old);
	pthread_mutex_unlock(&out->lock);

	/* A picture replaced before any vblank composed it still counts as
	 * shown when the display is being captured (a program that sets a
	 * mode and cleans up at once). */
	if (unshown && capture_wanted(out))
		output_compose(out, old, out->vblank_seq, false, true);
	snapshot_put(old);
}

static void vkms_crtc_vblank(struct udrm_crtc *crtc, uint64_t count,
			     const struct timespec *time)
{
	struct vkms_output *out = vkms_output_of(crtc);

	pthread_mutex_lock(&out->lock);
	out->vblank_seq = count;
	pthread_cond_broadcast(&out->cond);
	pthread_mutex_unlock(&out->lock);
}

static void vkms_crtc_destroy(struct udrm_crtc *crtc)
{
	struct vkms_output *out = vkms_output_of(crtc);

	vkms_output_stop(out);
	snapshot_put(out->snap);
	vkms_composer_fini(&out->composer);
	if (out->crc_eventfd >= 0)
		close(out->crc_eventfd);
	free(out->frame);
	free(out->spare);
	pthread_cond_destroy(&out->cond);
	pthread_mutex_destroy(&out->compose_lock);
	pthread_mutex_destroy(&out->lock);
	free(out);
}

static const struct udrm_crtc_funcs vkms_crtc_funcs = {
	.destroy = vkms_crtc_destroy,
	.atomic_flush = vkms_crtc_atomic_flush,
	.vblank = vkms_crtc_vblank,
};

static int vkms_wb_get_modes(struct udrm_connector *conn)
{
	return udrm_connector_add_modes_noedid(conn, conn->kms->max_width,
					       conn->kms->max_height);
}

static const struct udrm_connector_funcs vkms_wb_connector_funcs = {
	.get_modes = vkms_wb_get_modes,
};

int vkms_output_init(struct vkms_device *vkms, unsigned int index,
		     struct udrm_plane *primary, struct udrm_plane *cursor)
{
	struct vkms_output *out = calloc(1, sizeof(*out));
	char name[32];
	int ret;

	if (!out)
		return -ENOMEM;
	out->vkms = vkms;
	out->crc_eventfd = -1;
	pthread_mutex_init(&out->lock, NULL);
	pthread_mutex_init(&out->compose_lock, NULL);
	pthread_cond_init(&out->cond, NULL);
	vkms_composer_init(&out->composer);
	snprintf(name, sizeof(name), "crtc-%u", index);
	ret = udrm_crtc_init(vkms->kms, &out->crtc, primary, cursor,
			     &vkms_crtc_funcs, name);
	if (ret) {
		vkms_composer_fini(&out->composer);
		pthread_cond_destroy(&out->cond);
		pthread_mutex_destroy(&out->compose_lock);
		pthread_mutex_destroy(&out->lock);
		free(out);
		return ret;
	}
	/* From here the CRTC's destroy frees @out. */
	vkms->outputs[index] = out;
	out->crc_eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (out->crc_eventfd < 0)
		return -errno;
	ret = udrm_crtc_enable_color_mgmt(&out->crtc, VKMS_LUT_SIZE);
	if (!ret)
		ret = udrm_crtc_create_background_color_property(&out->crtc);
	if (ret)
		return ret;
	if (pthread_create(&out->thread, NULL, output_thread, out))
		return -EAGAIN;
	out->thread_running = true;
	return 0;
}

/* After the other connectors, as kernel vkms_output_init() orders them. */
int vkms_output_init_writeback(struct vkms_output *out)
{
	unsigned int index = out->crtc.index;
	int ret;

	ret = udrm_writeback_connector_init(
		out->vkms->kms, &out->wb_connector, &out->wb_encoder,
		&vkms_wb_connector_funcs, 1u << index, vkms_writeback_formats,
		vkms_writeback_format_count);
	if (ret)
		return ret;
	out->has_writeback = true;
	return 0;
}

void vkms_output_stop(struct vkms_output *out)
{
	struct vkms_snapshot *snap;

	pthread_mutex_lock(&out->lock);
	out->stop = true;
	pthread_cond_broadcast(&out->cond);
	pthread_mutex_unlock(&out->lock);
	if (out->thread_running)
		pthread_join(out->thread, NULL);
	out->thread_running = false;

	/* The framebuffers of what was shown last go now: udrm_kms_fini()
	 * frees the ones nobody let go of (an fbdev framebuffer) before it
	 * destroys the CRTC. */
	pthread_mutex_lock(&out->lock);
	snap = out->snap;
	out->snap = NULL;
	pthread_mutex_unlock(&out->lock);
	snapshot_put(snap);
}

int vkms_capture(struct udrm_device *dev,
		 void (*fn)(void *ctx, struct udrm_device *dev,
			    const struct udrm_frame *frame),
		 void *ctx)
{
	struct vkms_device *vkms = dev->driver_private;

	vkms->frame_fn = fn;
	vkms->frame_ctx = ctx;
	atomic_store(&vkms->capture, true);
	return 0;
}

int vkms_last_frame(struct udrm_device *dev, unsigned int crtc,
		    struct udrm_frame *frame)
{
	struct vkms_device *vkms = dev->driver_private;
	struct vkms_output *out;
	struct vkms_snapshot *snap;
	size_t bytes;
	void *copy;

	if (crtc >= vkms->config.num_crtcs)
		return -EINVAL;
	out = vkms->outputs[crtc];
	/* What is on the screen now but not composed yet counts too. */
	pthread_mutex_lock(&out->lock);
	snap = picture_unshown_locked(out->snap) ? snapshot_get(out->snap)
						 : NULL;
	pthread_mutex_unlock(&out->lock);
	if (snap && atomic_load(&vkms->capture))
		output_compose(out, snap, out->vblank_seq, false, true);
	snapshot_put(snap);

	pthread_mutex_lock(&out->lock);
	if (!out->have_frame || out->frame_pid != getpid()) {
		pthread_mutex_unlock(&out->lock);
		return -ENOENT;
	}
	bytes = vkms_frame_bytes(out->frame_width, out->frame_height);
	copy = malloc(bytes);
	if (!copy) {
		pthread_mutex_unlock(&out->lock);
		return -ENOMEM;
	}
	memcpy(copy, out->frame, bytes);
	*frame = (struct udrm_frame){
		.crtc = crtc,
		.sequence = out->frame_seq,
		.width = out->frame_width,
		.height = out->frame_height,
		.stride = (size_t)out->frame_width * VKMS_FRAME_CPP,
		.format = DRM_FORMAT_BGR888,
		.pixels = copy,
	};
	pthread_mutex_unlock(&out->lock);
	return 0;
}
