// SPDX-License-Identifier: MIT
/*
 * simgpu-demo: renders a picture on simgpu and shows it on vkms.
 *
 * The GPU draws the Mandelbrot set (DISPATCH of its built-in kernel) into
 * a VRAM buffer private to its VM at the display's size, then BLITs it
 * into an XRGB8888 picture with a 256-byte aligned pitch, a system-memory
 * buffer shared with the display; the program waits for the job through a
 * syncobj, shares the picture with the display device through PRIME (exported
 * from the simgpu render node before the GPU uses it, imported on vkms's card
 * node), makes a framebuffer of it and shows it on the first connected
 * connector's preferred mode for a few vblanks.
 *
 *   udrm run --capture demo.png -- simgpu-demo
 *
 * Exit status 0; 1 with a message naming the step on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "libsimgpu.h"
#include "simgpu_demo_view.h"

#define DEMO_VBLANKS	    3
#define DEMO_JOB_TIMEOUT_NS (30ll * 1000000000)

/* The display: vkms's card node, the connector, CRTC and mode to use. */
struct demo_display {
	int fd;
	uint32_t connector_id, crtc_id;
	unsigned int crtc_index;
	drmModeModeInfo mode;
};

/* What the GPU side made. */
struct demo_gpu {
	struct simgpu_device *dev;
	struct simgpu_vm *vm;
	struct simgpu_queue *queue;
	struct simgpu_stream *stream;
	struct simgpu_bo *fractal; /* VRAM, private to the VM */
	struct simgpu_bo *picture; /* system memory, shared with vkms */
	int picture_dmabuf;	   /* its PRIME export */
	uint64_t fractal_va, picture_va;
	uint32_t done; /* syncobj the job signals */
};

static int demo_fail(const char *what, int err)
{
	fprintf(stderr, "simgpu-demo: %s: %s\n", what, strerror(-err));
	return err;
}

static int64_t demo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The first card node whose driver is @name (opening it makes us its
 * master, as the first opener). */
static int demo_open_card(const char *name, int *out)
{
	char path[32];
	int minor;

	for (minor = 0; minor < 64; minor++) {
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "%s/card%d", DRM_DIR_NAME, minor);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && v->name && !strcmp(v->name, name)) {
			drmFreeVersion(v);
			*out = fd;
			return 0;
		}
		drmFreeVersion(v);
		close(fd);
	}
	return -ENODEV;
}

static void demo_set_crtc(struct demo_display *d, drmModeRes *res, int index)
{
	d->crtc_id = res->crtcs[index];
	d->crtc_index = (unsigned int)index;
}

/* A CRTC that can drive @conn: the one it is already driven by, or the
 * first one an encoder of it allows. */
static int demo_pick_crtc(int fd, drmModeRes *res, drmModeConnector *conn,
			  struct demo_display *d)
{
	drmModeEncoder *enc;
	int i, j;

	enc = conn->encoder_id ? drmModeGetEncoder(fd, conn->encoder_id) : NULL;
	if (enc) {
		for (j = 0; j < res->count_crtcs; j++) {
			if (enc->crtc_id && res->crtcs[j] == enc->crtc_id) {
				demo_set_crtc(d, res, j);
				drmModeFreeEncoder(enc);
				return 0;
			}
		}
		drmModeFreeEncoder(enc);
	}
	for (i = 0; i < conn->count_encoders; i++) {
		enc = drmModeGetEncoder(fd, conn->encoders[i]);
		if (!enc)
			continue;
		for (j = 0; j < res->count_crtcs; j++) {
			if (enc->possible_crtcs & (1u << j)) {
				demo_set_crtc(d, res, j);
				drmModeFreeEncoder(enc);
				return 0;
			}
		}
		drmModeFreeEncoder(enc);
	}
	return -ENOENT;
}

/* The first connected connector with a mode, its preferred mode (or its
 * first) and a CRTC for it. */
static int demo_find_output(struct demo_display *d)
{
	drmModeRes *res = drmModeGetResources(d->fd);
	int i, m, ret = -ENOENT;

	if (!res)
		return -errno;
	for (i = 0; i < res->count_connectors && ret; i++) {
		drmModeConnector *conn =
			drmModeGetConnector(d->fd, res->connectors[i]);

		if (!conn)
			continue;
		if (conn->connection == DRM_MODE_CONNECTED &&
		    conn->count_modes > 0 &&
		    !demo_pick_crtc(d->fd, res, conn, d)) {
			d->connector_id = conn->connector_id;
			d->mode = conn->modes[0];
			for (m = 0; m < conn->count_modes; m++) {
				if (conn->modes[m].type &
				    DRM_MODE_TYPE_PREFERRED) {
					d->mode = conn->modes[m];
					break;
				}
			}
			ret = 0;
		}
		drmModeFreeConnector(conn);
	}
	drmModeFreeResources(res);
	return ret;
}

/* Encodes the job: Mandelbrot into the VRAM buffer, then a BLIT into the
 * picture, with pitches of their own. */
static int demo_build_job(struct demo_gpu *g, uint32_t width, uint32_t height,
			  uint32_t fractal_pitch, uint32_t picture_pitch)
{
	struct simgpu_demo_view view = simgpu_demo_view(width, height);
	struct simgpu_kernel_mandelbrot_args *args;
	struct simgpu_cs_builder *cs = simgpu_stream_cs(g->stream);
	uint64_t args_va;
	int ret;

	ret = simgpu_stream_data(g->stream, sizeof(*args), 8, (void **)&args,
				 &args_va);
	if (ret)
		return ret;
	*args = (struct simgpu_kernel_mandelbrot_args){
		.dst = g->fractal_va,
		.width = width,
		.height = height,
		.pitch = fractal_pitch,
		.max_iter = view.max_iter,
		.x0 = view.x0,
		.y0 = view.y0,
		.step = view.step,
	};
	simgpu_cs_dispatch(cs, SIMGPU_KERNEL_MANDELBROT, args_va, height);
	/* A DISPATCH that failed leaves nothing worth showing. */
	simgpu_cs_error_barrier(cs);
	simgpu_cs_blit(cs, g->picture_va, picture_pitch, DRM_FORMAT_XRGB8888,
		       g->fractal_va, fractal_pitch, DRM_FORMAT_XRGB8888, width,
		       height);
	return 0;
}

/* Renders the picture of @width x @height (@pitch bytes per row) and
 * waits for it. */
static int demo_render(struct demo_gpu *g, uint32_t width, uint32_t height,
		       uint32_t pitch)
{
	const struct drm_simgpu_fw_info *fw;
	struct drm_simgpu_sync_op signal;
	struct drm_simgpu_queue_get_state qs;
	uint32_t fractal_pitch = width * 4;
	int64_t start;
	int ret;

	ret = simgpu_device_open(NULL, &g->dev);
	if (ret)
		return demo_fail("no simgpu render node", ret);
	fw = simgpu_device_fw_info(g->dev);
	printf("simgpu: %u cores, %llu MiB VRAM, firmware %s\n",
	       simgpu_device_gpu_info(g->dev)->num_cores,
	       (unsigned long long)(simgpu_device_gpu_info(g->dev)->vram_size >>
				    20),
	       fw->version_name);

	ret = simgpu_vm_create(g->dev, 0, &g->vm);
	if (ret)
		return demo_fail("VM_CREATE", ret);
	ret = simgpu_queue_create(g->vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL, 0,
				  &g->queue);
	if (ret)
		return demo_fail("QUEUE_CREATE", ret);
	ret = simgpu_bo_create(g->dev, (uint64_t)fractal_pitch * height, 0,
			       g->vm, &g->fractal);
	if (ret)
		return demo_fail("BO_CREATE (VRAM fractal)", ret);
	ret = simgpu_bo_create(g->dev, (uint64_t)pitch * height,
			       DRM_SIMGPU_BO_SYSTEM, NULL, &g->picture);
	if (ret)
		return demo_fail("BO_CREATE (picture)", ret);
	/* Exported first, as a buffer meant for sharing is: its pages are
	 * settled before the GPU maps them. */
	ret = simgpu_bo_export(g->picture, &g->picture_dmabuf);
	if (ret)
		return demo_fail("PRIME export from simgpu", ret);
	ret = simgpu_vm_map_bo(g->vm, g->fractal, 0, &g->fractal_va);
	if (ret)
		return demo_fail("VM_BIND (fractal)", ret);
	ret = simgpu_vm_map_bo(g->vm, g->picture, 0, &g->picture_va);
	if (ret)
		return demo_fail("VM_BIND (picture)", ret);
	ret = simgpu_stream_create(g->vm, 0, &g->stream);
	if (ret)
		return demo_fail("command stream buffer", ret);
	ret = demo_build_job(g, width, height, fractal_pitch, pitch);
	if (ret)
		return demo_fail("encoding the job", ret);
	ret = simgpu_syncobj_create(g->dev, false, &g->done);
	if (ret)
		return demo_fail("SYNCOBJ_CREATE", ret);

	start = demo_now_ns();
	signal = simgpu_sync_signal(g->done, 0);
	ret = simgpu_stream_submit(g->stream, g->queue, &signal, 1);
	if (ret)
		return demo_fail("SUBMIT", ret);
	ret = simgpu_syncobj_wait(g->dev, g->done, 0, DEMO_JOB_TIMEOUT_NS);
	if (ret)
		return demo_fail("waiting for the job", ret);
	ret = simgpu_queue_get_state(g->queue, &qs);
	if (ret)
		return demo_fail("QUEUE_GET_STATE", ret);
	if (qs.state || qs.error) {
		fprintf(stderr,
			"simgpu-demo: the job failed: queue state %#x, error "
			"%d (%s), fault at %#llx\n",
			qs.state, qs.error, strerror(-qs.error),
			(unsigned long long)qs.fault_va);
		return -EIO;
	}
	printf("simgpu: rendered %ux%u in %.1f ms\n", width, height,
	       (double)(demo_now_ns() - start) / 1e6);
	return 0;
}

static void demo_gpu_fini(struct demo_gpu *g)
{
	if (g->done)
		simgpu_syncobj_destroy(g->dev, g->done);
	simgpu_stream_destroy(g->stream);
	simgpu_queue_destroy(g->queue);
	if (g->picture_dmabuf >= 0)
		close(g->picture_dmabuf);
	simgpu_bo_destroy(g->picture);
	simgpu_bo_destroy(g->fractal);
	simgpu_vm_destroy(g->vm);
	simgpu_device_close(g->dev);
}

/* Waits for @n vblanks of the display's CRTC. */
static int demo_wait_vblanks(struct demo_display *d, unsigned int n)
{
	drmVBlank vbl;
	unsigned int high =
		d->crtc_index > 1 ? d->crtc_index << DRM_VBLANK_HIGH_CRTC_SHIFT
				  : 0;

	for (unsigned int i = 0; i < n; i++) {
		memset(&vbl, 0, sizeof(vbl));
		vbl.request.type =
			DRM_VBLANK_RELATIVE |
			(d->crtc_index == 1 ? DRM_VBLANK_SECONDARY : 0) |
			(high & DRM_VBLANK_HIGH_CRTC_MASK);
		vbl.request.sequence = 1;
		if (drmWaitVBlank(d->fd, &vbl))
			return -errno;
	}
	return 0;
}

/* Shares the picture with the display device and shows it. */
static int demo_show(struct demo_gpu *g, struct demo_display *d, uint32_t pitch)
{
	uint32_t handles[4] = {0}, pitches[4] = {pitch}, offsets[4] = {0};
	uint32_t width = d->mode.hdisplay, height = d->mode.vdisplay;
	struct drm_gem_close cl = {0};
	uint32_t fb_id = 0;
	int ret;

	ret = drmPrimeFDToHandle(d->fd, g->picture_dmabuf, &handles[0]) ? -errno
									: 0;
	if (ret)
		return demo_fail("PRIME import on vkms", ret);
	ret = drmModeAddFB2(d->fd, width, height, DRM_FORMAT_XRGB8888, handles,
			    pitches, offsets, &fb_id, 0)
		      ? -errno
		      : 0;
	if (ret) {
		demo_fail("ADDFB2", ret);
		goto out_handle;
	}
	ret = drmModeSetCrtc(d->fd, d->crtc_id, fb_id, 0, 0, &d->connector_id,
			     1, &d->mode)
		      ? -errno
		      : 0;
	if (ret) {
		demo_fail("SETCRTC", ret);
		goto out_fb;
	}
	printf("vkms: showing fb %u on CRTC %u, connector %u, %s\n", fb_id,
	       d->crtc_id, d->connector_id, d->mode.name);
	ret = demo_wait_vblanks(d, DEMO_VBLANKS);
	if (ret)
		demo_fail("WAIT_VBLANK", ret);

out_fb:
	drmModeRmFB(d->fd, fb_id);
out_handle:
	cl.handle = handles[0];
	drmIoctl(d->fd, DRM_IOCTL_GEM_CLOSE, &cl);
	return ret;
}

int main(void)
{
	struct demo_display display = {.fd = -1};
	struct demo_gpu gpu = {.picture_dmabuf = -1};
	uint32_t pitch;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = demo_open_card("vkms", &display.fd);
	if (ret) {
		demo_fail("no vkms card node", ret);
		goto out;
	}
	ret = demo_find_output(&display);
	if (ret) {
		demo_fail("no connected connector with a mode and a CRTC", ret);
		goto out;
	}
	/* Rows 256-byte aligned, as display engines like. */
	pitch = ((uint32_t)display.mode.hdisplay * 4 + 255) & ~255u;
	ret = demo_render(&gpu, display.mode.hdisplay, display.mode.vdisplay,
			  pitch);
	if (ret)
		goto out;
	ret = demo_show(&gpu, &display, pitch);

out:
	demo_gpu_fini(&gpu);
	if (display.fd >= 0)
		close(display.fd);
	return ret ? 1 : 0;
}
