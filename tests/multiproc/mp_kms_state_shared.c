// SPDX-License-Identifier: MIT
/*
 * The display is the device's, not a file's: a mode set by the master in
 * one process (SETCRTC with a dumb framebuffer) is what another process's
 * own open sees with GETCRTC and GETFB (without the handle: GETFB gives
 * handles to the master only), and so are a page change and a disable.
 */
#include "mp.h"

static void viewer_main(void *arg, int sock)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);
	const struct mp_display *want = arg;
	struct mp_display d = mp_display_find(fd);
	struct drm_mode_crtc crtc;
	struct drm_mode_fb_cmd fb = {0};

	CHECK(!mp_is_master(fd), "viewer: a second open must not be master");
	mp_recv_u64(sock); /* the mode is set */
	crtc = mp_get_crtc(fd, d.crtc_id);
	fb.fb_id = (uint32_t)mp_recv_u64(sock);
	CHECK(crtc.fb_id == fb.fb_id,
	      "viewer: GETCRTC shows fb %u, the master process set %u",
	      crtc.fb_id, fb.fb_id);
	CHECK(crtc.mode_valid, "viewer: GETCRTC says no mode is set");
	CHECK(crtc.mode.hdisplay == want->mode.hdisplay &&
		      crtc.mode.vdisplay == want->mode.vdisplay &&
		      crtc.mode.clock == want->mode.clock &&
		      !strcmp(crtc.mode.name, want->mode.name),
	      "viewer: GETCRTC shows mode %s %ux%u@%ukHz, the master process "
	      "set %s %ux%u@%ukHz",
	      crtc.mode.name, crtc.mode.hdisplay, crtc.mode.vdisplay,
	      crtc.mode.clock, want->mode.name, want->mode.hdisplay,
	      want->mode.vdisplay, want->mode.clock);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_GETFB, &fb), 0,
		    "viewer: GETFB of the master process's fb %u", fb.fb_id);
	CHECK(fb.width == want->mode.hdisplay &&
		      fb.height == want->mode.vdisplay && fb.bpp == 32,
	      "viewer: GETFB gives %ux%u@%u, expected %ux%u@32", fb.width,
	      fb.height, fb.bpp, want->mode.hdisplay, want->mode.vdisplay);
	CHECK(fb.handle == 0,
	      "viewer: GETFB by a non-master gave handle %u, expected 0",
	      fb.handle);
	mp_send_u64(sock, 0);

	fb.fb_id = (uint32_t)mp_recv_u64(sock); /* the page changed */
	crtc = mp_get_crtc(fd, d.crtc_id);
	CHECK(crtc.fb_id == fb.fb_id && crtc.mode_valid,
	      "viewer: after the master's page change GETCRTC shows fb %u "
	      "(mode_valid %u), expected %u",
	      crtc.fb_id, crtc.mode_valid, fb.fb_id);
	mp_send_u64(sock, 0);

	mp_recv_u64(sock); /* the CRTC is off */
	crtc = mp_get_crtc(fd, d.crtc_id);
	CHECK(crtc.fb_id == 0 && !crtc.mode_valid,
	      "viewer: after the master disabled the CRTC GETCRTC shows fb %u, "
	      "mode_valid %u; expected 0, 0",
	      crtc.fb_id, crtc.mode_valid);
	close(fd);
}

int main(int argc, char **argv)
{
	struct mp_display disp;
	struct drm_mode_crtc off = {0};
	struct mp_peer viewer;
	int fd;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	CHECK(mp_is_master(fd), "the first opener of card0 must be master");
	disp = mp_display_find(fd);
	mp_peer_start(&viewer, "the viewing process", viewer_main, &disp);

	mp_display_add_fb(fd, &disp, 100);
	CHECK_ERRNO(mp_display_set(fd, &disp), 0, "SETCRTC by the master");
	mp_send_u64(viewer.sock, 0);
	mp_send_u64(viewer.sock, disp.fb_id);
	mp_recv_u64(viewer.sock);

	mp_display_add_fb(fd, &disp, 101);
	CHECK_ERRNO(mp_display_set(fd, &disp), 0,
		    "SETCRTC with a second framebuffer");
	mp_send_u64(viewer.sock, disp.fb_id);
	mp_recv_u64(viewer.sock);

	off.crtc_id = disp.crtc_id;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_SETCRTC, &off), 0,
		    "SETCRTC disabling the CRTC");
	mp_send_u64(viewer.sock, 0);
	mp_peer_join(&viewer);
	close(fd);
	return 0;
}
